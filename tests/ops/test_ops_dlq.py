"""corpus dlq: list, show, requeue, purge dramatiq's dead letters."""

from __future__ import annotations

import json

import redis

from tests.support.ops import cli, dead_letter_without_worker

TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nOperationalError: database is locked\n'


def test_list_show_requeue_purge(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    first = dead_letter_without_worker(env, monkeypatch, ([41],), traceback=TRACEBACK)
    second = dead_letter_without_worker(env, monkeypatch, ([42],))

    listed = cli(env, monkeypatch, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["id"] for e in entries] == [second, first]  # most recent first
    by_id = {e["id"]: e for e in entries}
    assert by_id[first]["error"] == "OperationalError: database is locked"
    assert by_id[first]["actor"] == "process_documents" and by_id[first]["document_ids"] == [41]
    assert by_id[second]["error"].startswith("unknown")
    assert all(e["age_s"] >= 0 for e in entries)

    table = cli(env, monkeypatch, "dlq", "list")
    assert table.returncode == 0 and first[:8] in table.stdout and "database is locked" in table.stdout

    shown = cli(env, monkeypatch, "dlq", "show", first[:8], "--json")
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["id"] == first and "OperationalError" in detail["traceback"]
    assert detail["options"]["max_retries"] == 0
    text = cli(env, monkeypatch, "dlq", "show", first[:8])
    assert "Traceback" in text.stdout and "database is locked" in text.stdout

    requeued = cli(env, monkeypatch, "dlq", "requeue", first[:8], "--json")
    assert requeued.returncode == 0, requeued.stderr
    assert json.loads(requeued.stdout) == {"requeued": 1}
    client = redis.Redis.from_url(env.redis_url)
    base = f"{env.namespace}:dq:documents"
    assert client.zscore(f"{base}.XQ", first) is None and client.hget(f"{base}.XQ.msgs", first) is None
    [new_id] = [i.decode() for i in client.lrange(base, 0, -1)]
    message = json.loads(client.hget(f"{base}.msgs", new_id))
    assert new_id != first and message["args"] == [[41]]
    assert message["options"]["retries"] == 0 and message["options"]["corpus_requeued"] == 1
    assert "traceback" not in message["options"] and message["options"]["redis_message_id"] == new_id
    again = cli(env, monkeypatch, "dlq", "requeue", first)
    assert again.returncode == 1 and "no dead letter" in again.stderr

    assert client.zcard(f"{base}.XQ") == 1 and client.llen(base) == 1

    usage = cli(env, monkeypatch, "dlq", "requeue")
    assert usage.returncode == 2 and "--all" in usage.stderr

    refused = cli(env, monkeypatch, "dlq", "purge", input="n\n")
    assert refused.returncode == 1 and client.zcard(f"{base}.XQ") == 1
    purged = cli(env, monkeypatch, "dlq", "purge", input="y\n")
    assert purged.returncode == 0 and "purged 1" in purged.stderr
    assert client.zcard(f"{base}.XQ") == 0 and not client.exists(f"{base}.XQ.msgs")
    assert cli(env, monkeypatch, "dlq", "list").stdout.strip() == "no dead letters"
    assert second  # purged with the rest


def test_requeue_all_and_purge_yes(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    client = redis.Redis.from_url(env.redis_url)
    dead_letter_without_worker(env, monkeypatch, ([9],))
    assert cli(env, monkeypatch, "dlq", "purge", "--yes").returncode == 0
    assert json.loads(cli(env, monkeypatch, "dlq", "list", "--json").stdout) == []
    for doc_id in (1, 2, 3):
        dead_letter_without_worker(env, monkeypatch, ([doc_id],))
    done = cli(env, monkeypatch, "dlq", "requeue", "--all", "--json")
    assert json.loads(done.stdout) == {"requeued": 3}
    assert client.llen(f"{env.namespace}:dq:documents") == 3
    assert client.hget(f"{env.namespace}:metrics:events", "requeued") == b"3"


def test_requeue_is_atomic_when_two_race(sqlite_corpus, monkeypatch):
    from workers.ops.dlq import DeadLetters
    from workers.runtime import runtime

    env = sqlite_corpus
    rid = dead_letter_without_worker(env, monkeypatch, ([7],))
    letters = DeadLetters(runtime().redis, runtime().settings.namespace)
    raw = letters.client.hget(letters.xq_msgs, rid)
    assert letters.requeue(rid) is True
    # A second requeue that read the dead letter before the first moved it: the script
    # finds it gone from the XQ and enqueues nothing.
    letters.client.hset(letters.xq_msgs, rid, raw)
    monkeypatch.setattr(letters, "resolve", lambda prefix: rid)
    assert letters.requeue(rid) is False
    assert letters.client.llen(f"{env.namespace}:dq:documents") == 1


def test_dlq_on_unreachable_redis_is_one_line_exit_2(sqlite_corpus, monkeypatch):
    from tests.support import servers

    env = sqlite_corpus
    env.redis_url = f"redis://:s3cret@127.0.0.1:{servers.free_port()}/0"
    result = cli(env, monkeypatch, "dlq", "list")
    assert result.returncode == 2
    assert "CORPUS_REDIS_URL" in result.stderr and "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
