"""The janitor's self-repair, one round at a time in this process: a lost index is noticed
by its generation mark and rebuilt from the store once, documents the queue lost are
enqueued again once, dead letters of an outage are retried and others are left alone, and
``corpus status`` shows all of it. (Through real worker processes and real server restarts:
``tests/reliability/test_reliability_selfheal.py``.)"""

from __future__ import annotations

import json
import time

import pytest
import redis
import sqlalchemy.exc

from models.db import session_scope
from models.tables import Document
from tests.reliability.test_reliability_ledger import recorded, runtime_for
from tests.support.ops import dead_letter_without_worker
from workers import pipeline
from workers.index import generation
from workers.keys import QUEUE, stranded_timer_key
from workers.queue.dead_letters import is_outage, record_reason
from workers.queue.stats import queue_snapshot

LATER = 3600.0  # "now" for the stranded check: every recorded document is past its grace


def test_an_emptied_index_makes_even_a_fresh_worker_process_wait(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full", "trimmed"])
    pipeline.process(rt, [ids["full"]])
    assert generation.index_mark(rt.index) == generation.store_mark(rt.engine) is not None
    rt.index.clear()  # what a Redis restart without persistence does
    fresh = runtime_for(env, monkeypatch)  # a worker started after the restart: its index is new to it
    with pytest.raises(pipeline.IndexLost):
        pipeline.process(fresh, [ids["trimmed"]])
    with session_scope(fresh.engine) as session:
        assert session.get(Document, ids["trimmed"]).status == "pending"


def test_a_lost_index_and_a_lost_queue_are_mended_once(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full", "trimmed", "first-half"])  # recorded, never enqueued: as if the queue was lost
    pipeline.process(rt, [ids["full"]])
    before = generation.store_mark(rt.engine)
    rt.index.clear()

    done = rt.self_heal.run_once(now=time.time() + LATER)
    assert done == {"index_rebuilds": 1, "stranded_requeued": 2}
    assert rt.index.get(ids["full"]) is not None
    mark = generation.index_mark(rt.index)
    assert mark == generation.store_mark(rt.engine) and mark != before  # a new generation, in both
    snap = queue_snapshot(rt.redis, rt.broker.namespace, QUEUE)
    assert snap.queued == {ids["trimmed"], ids["first-half"]}

    rt.redis.delete(stranded_timer_key(env.namespace))  # the next period
    assert rt.self_heal.run_once(now=time.time() + LATER) == {}  # once: both are carried now

    pipeline.process(rt, [ids["trimmed"], ids["first-half"]])  # what the worker does with that message
    with session_scope(rt.engine) as session:
        full = session.get(Document, ids["full"])
        assert [session.get(Document, ids[n]).article_id for n in ("trimmed", "first-half")] == [full.article_id] * 2


def test_the_stranded_check_reads_a_long_queue_a_share_per_period_and_finds_the_one_no_message_carries(
        sqlite_corpus, monkeypatch):
    from models.documents import NewDocument, record
    from workers.queue import selfheal
    from workers.queue.messages import enqueue

    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    with session_scope(rt.engine) as session:
        ids = [d for d, _ in record(session, [NewDocument(source=f"n{n}", data=f"note {n}".encode(), format="text")
                                              for n in range(301)])]
    lost = ids[150]
    enqueue(rt.broker, [d for d in ids if d != lost], batch_size=1)  # 300 messages; one document lost its own
    monkeypatch.setattr(selfheal, "SCAN_MESSAGES", 40)
    periods = []
    for _ in range(30):
        rt.redis.delete(stranded_timer_key(env.namespace))  # the next period
        done: dict = {}
        rt.self_heal.requeue_stranded(done, now=time.time() + LATER)
        periods.append(done)
        if done:
            break
    assert periods[-1] == {"stranded_requeued": 1} and len(periods) >= 300 // 40  # a share of the queue each
    snap = queue_snapshot(rt.redis, rt.broker.namespace, QUEUE)
    assert snap.queued == set(ids) and snap.messages == 301

    rt.redis.delete(stranded_timer_key(env.namespace))
    for _ in range(12):  # a whole pass more: every document is carried, nothing is enqueued twice
        rt.redis.delete(stranded_timer_key(env.namespace))
        done = {}
        rt.self_heal.requeue_stranded(done, now=time.time() + LATER)
        assert done == {}


def test_documents_within_their_grace_are_left_to_their_front_door(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    recorded(rt, ["full"])  # just recorded: its enqueue may be on its way
    assert rt.self_heal.run_once() == {}
    assert queue_snapshot(rt.redis, rt.broker.namespace, QUEUE).messages == 0


OUTAGE = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nOperationalError: connection refused\n'
BUG = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nKeyError: \'title\'\n'


def test_dead_letters_of_an_outage_are_retried_and_others_kept(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    outage = dead_letter_without_worker(env, monkeypatch, ([41],), traceback=OUTAGE)
    bug = dead_letter_without_worker(env, monkeypatch, ([42],), traceback=BUG)
    rt = runtime_for(env, monkeypatch)
    xq = f"{rt.broker.namespace}:{QUEUE}.XQ"
    from workers.ops.status import repairs

    assert repairs(rt.redis, env.namespace)["dead_letters_outage"] == 1  # the outage's, not the bug's

    assert rt.self_heal.run_once() == {"dead_letters_retried": 1}
    assert [m.decode() for m in rt.redis.zrange(xq, 0, -1)] == [bug]
    assert queue_snapshot(rt.redis, rt.broker.namespace, QUEUE).queued == {41}

    report = json.loads(env.run("status", "--json").stdout)
    assert report["repairs"]["dead_letters_retried"] == 1 and report["repairs"]["dead_letters_outage"] == 0
    assert report["repairs"]["last"]["kind"] == "dead_letters_retried"
    assert any("1 dead-lettered" in p for p in report["problems"])
    del outage


def test_a_dead_letter_that_keeps_dying_is_left_to_a_person(sqlite_corpus, monkeypatch):
    from workers.queue.selfheal import MAX_AUTO_RETRIES

    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    dead_letter_without_worker(env, monkeypatch, ([41],), traceback=OUTAGE)
    rt = runtime_for(env, monkeypatch)
    for attempt in range(MAX_AUTO_RETRIES + 1):
        done = rt.self_heal.run_once()
        assert done == ({"dead_letters_retried": 1} if attempt < MAX_AUTO_RETRIES else {})
        for raw in rt.broker.do_fetch(QUEUE, 10) or []:  # it dies again, of the same
            rid = json.loads(raw)["options"]["redis_message_id"]
            rt.broker.do_nack(QUEUE, rid)
            record_reason(rt.redis, env.namespace, rid, OUTAGE, None)
    assert rt.redis.zcard(f"{rt.broker.namespace}:{QUEUE}.XQ") == 1
    from workers.ops.dlq import DeadLetters
    from workers.ops.status import repairs

    assert repairs(rt.redis, env.namespace)["dead_letters_outage"] == 0  # no retry left: a person's now
    letters = DeadLetters(rt.redis, env.namespace)
    assert [e["outage"] for e in letters.list()] == [True]
    letters.discard(letters.ids()[0])
    assert rt.redis.scard(letters.outage) == 0


def test_outage_errors_are_told_from_bad_input():
    try:
        try:
            raise ConnectionRefusedError("refused")
        except ConnectionRefusedError as exc:
            raise sqlalchemy.exc.OperationalError("SELECT 1", {}, exc) from exc
    except sqlalchemy.exc.OperationalError as wrapped:
        assert is_outage(wrapped)
    assert is_outage(redis.ConnectionError("Connection refused"))
    assert is_outage(pipeline.IndexLost("lost"))
    assert not is_outage(KeyError("title"))
    assert not is_outage(ValueError("bad"))


def test_status_shows_a_lost_index_and_the_rebuild(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full"])
    pipeline.process(rt, [ids["full"]])
    rt.index.clear()
    report = json.loads(env.run("status", "--json").stdout)
    assert report["index"]["state"] == "lost" and report["health"] == "degraded"
    assert any("index in Redis is lost" in p for p in report["problems"])

    rt.self_heal.run_once()
    result = env.run("status", "--json")
    report = json.loads(result.stdout)
    assert report["index"]["state"] == "ok" and report["repairs"]["index_rebuilds"] == 1
    assert report["repairs"]["last"]["kind"] == "index_rebuilds"
    assert "index rebuilt 1" in env.run("status").stdout


def test_workers_starting_together_on_a_new_corpus_do_not_rebuild(sqlite_corpus, monkeypatch):
    """One worker has stored its batch's fingerprints but not made the index yet when
    another worker, and the janitor, look: a new corpus, not a lost index."""
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full", "trimmed"])
    first = pipeline._load(rt, [ids["full"]])
    rows, failures = pipeline._prepare_all(rt, first)
    pipeline._store(rt, first, rows, failures)  # fingerprinted, not yet indexed nor linked

    assert rt.self_heal.run_once() == {}
    pipeline.process(rt, [ids["trimmed"]])  # no IndexLost
    pipeline.process(rt, [ids["full"]])  # the first worker goes on: it meets the copy
    with session_scope(rt.engine) as session:
        assert session.get(Document, ids["full"]).article_id == session.get(Document, ids["trimmed"]).article_id


def test_a_round_with_nothing_to_retry_reads_no_dead_letter_and_status_scans_no_keyspace(tmp_path, monkeypatch):
    """Hundreds of dead letters of bad input (kept for a person) and a large keyspace (the
    index's keys) cost the janitor's round and `corpus status` nothing per letter or key: on a
    Redis of its own, the server's command counts show no dead letter read and no SCAN, and the
    figures are still right (the workers' held messages; an outage's letter still retried)."""
    import shutil
    import uuid

    from tests.conftest import CorpusEnv
    from tests.support import servers
    from workers.queue.stats import queue_stats

    server = servers.start_redis(persist=False)
    try:
        env = CorpusEnv(data_dir=tmp_path / "data", redis_url=server.url, database_url=None, namespace="own")
        rt = runtime_for(env, monkeypatch)
        client, bns = rt.redis, rt.broker.namespace
        pipe = client.pipeline(transaction=False)
        for i in range(20_000):
            pipe.set(f"own:index:filler:{i}", i)
        now = time.time()
        bugs = [str(uuid.uuid4()) for _ in range(600)]
        for n, rid in enumerate(bugs):
            pipe.zadd(f"{bns}:{QUEUE}.XQ", {rid: now})
            pipe.hset(f"{bns}:{QUEUE}.XQ.msgs", rid, json.dumps(
                {"queue_name": QUEUE, "actor_name": "process_documents", "args": [[n + 1]], "kwargs": {},
                 "options": {"redis_message_id": rid}, "message_id": rid, "message_timestamp": int(now * 1000)}))
        for worker, held in (("w1", 2), ("w2", 1)):  # two workers holding three messages
            pipe.zadd(f"{bns}:__heartbeats__", {worker: now * 1000})
            pipe.sadd(f"{bns}:__acks__.{worker}.{QUEUE}", *[f"{worker}-{i}" for i in range(held)])
        pipe.execute()
        for rid in bugs:
            record_reason(client, env.namespace, rid, BUG, None)

        def calls() -> dict[str, int]:
            return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in client.info("commandstats").items()}

        client.config_resetstat()
        done: dict[str, int] = {}
        rt.self_heal.retry_dead_letters(done)
        stats = queue_stats(client, bns, QUEUE)
        made = calls()
        assert done == {} and stats["in_flight"] == 3 and stats["dead"] == 600
        assert not {"hmget", "hgetall", "scan", "keys"} & set(made), made  # no dead letter read, no key walked
        assert sum(made.values()) < 20, made  # a few counts (in the scripts too: Redis counts their calls)

        outage = dead_letter_without_worker(env, monkeypatch, ([7],), traceback=OUTAGE)
        rt.self_heal.retry_dead_letters(done)
        assert done == {"dead_letters_retried": 1}
        assert not client.zscore(f"{bns}:{QUEUE}.XQ", outage) and client.zcard(f"{bns}:{QUEUE}.XQ") == 600
    finally:
        from workers import runtime

        runtime.reset()
        server.kill()
        shutil.rmtree(server.directory, ignore_errors=True)
