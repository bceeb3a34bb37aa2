"""Redis goes away: restarted mid-run (workers and the inbox watcher reconnect, nothing is
lost), or emptied (``corpus reindex`` restores the index from the store and ``corpus
verify --repair`` finds the un-acked work again). A Redis of the test's own, with AOF."""

from __future__ import annotations

import os
import time
import uuid

import redis

from bench.corpus import generate
from tests.support import servers
from tests.conftest import CorpusEnv
from tests.support.ops import Proc
from tests.support.reliability import (assert_consistent, calm_clusters, clusters, fleet, ledger, log_dir,  # noqa: F401
                                            own_redis, verify, wait_settled, write_texts)


def env_on(server, tmp_path, name: str) -> CorpusEnv:
    return CorpusEnv(data_dir=tmp_path / name, redis_url=server.url, database_url=None,
                     namespace=f"test-{uuid.uuid4().hex[:10]}")


def drop(files, inbox) -> None:
    """Move finished files into the inbox (a rename: the watcher never sees half a file)."""
    for path in files:
        target = inbox / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)


def test_redis_restarted_mid_run_loses_nothing(own_redis, fleet, log_dir, tmp_path):
    env = env_on(own_redis, tmp_path, "data")
    env.extra["CORPUS_HEARTBEAT_TIMEOUT_MS"] = "15000"
    staged = write_texts(tmp_path / "staged", generate(240, seed=11, copy_ratio=0.4))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fleet.start(env)
    watcher = Proc.start(env, "watch", "watch", str(inbox), "--interval", "0.5", log_dir=log_dir)
    try:
        drop(staged[:120], inbox)
        servers.wait_until(lambda: ledger(env).get("total", 0) >= 40, 120, interval=0.3,
                           message="the first documents to be recorded")
        own_redis.stop()  # SIGTERM: AOF flushed; workers and the watcher lose their connections
        own_redis.start()
        drop(staged[120:], inbox)
        state = wait_settled(env, 240, 240, fleet=fleet)
        assert state["total"] == 240 and state.get("failed", 0) == 0, state
        servers.wait_until(lambda: not any((inbox / "processing").rglob("*.txt")), 60, interval=0.5,
                           message="the watcher to finish its files")
        assert len(list((inbox / "done").rglob("*.txt"))) == 240
        assert watcher.alive() and all(p.alive() for p in fleet.procs)
    finally:
        watcher.stop()
    assert_consistent(env)


def test_redis_emptied_reindex_and_repair_restore_everything(own_redis, redis_server, fleet, tmp_path, monkeypatch):
    env = env_on(own_redis, tmp_path, "data")
    docs = generate(160, seed=12, copy_ratio=0.5)
    # Half processed (in the index), half waiting in the queue when Redis is emptied: whatever
    # the machine's speed, the flush takes both an index and queued work with it.
    paths = write_texts(tmp_path / "processed", docs[:80]) + write_texts(tmp_path / "queued", docs[80:])
    assert env.run("ingest", str(tmp_path / "processed")).returncode == 0
    fleet.start(env)
    wait_settled(env, 80, 180, fleet=fleet)
    fleet.stop_all()
    assert env.run("ingest", str(tmp_path / "queued")).returncode == 0
    redis.Redis.from_url(own_redis.url).flushdb()  # the queue and the index: gone

    result = env.run("reindex")
    assert result.returncode == 0, result.stderr
    code, report = verify(env, "--repair")
    assert code == 0, report
    assert report["found"].get("stuck", 0) == 80 and report["repaired"]["enqueued"] == 80, report
    fleet.start(env)
    wait_settled(env, 160, 180, fleet=fleet)
    assert_consistent(env)

    calm = env_on(redis_server, tmp_path, "calm")
    try:
        expected = calm_clusters(calm, monkeypatch, paths)
    finally:
        servers.delete_namespace(redis_server.url, calm.namespace)
    assert clusters(env) == expected


def test_a_delayed_retry_is_not_stranded_when_redis_restarts(own_redis, fleet, tmp_path, monkeypatch):
    """A retry waiting out its backoff lives in the worker's memory, its id in the worker's
    ack set. Redis going away makes dramatiq's consumer drop that memory; the worker stays
    alive, so no janitor would ever hand the message back. It must still be processed."""
    from ingest.api import Corpus, Handle
    from models.db import session_scope
    from models.documents import NewDocument, record
    from workers.queue.messages import message
    from workers.runtime import runtime

    env = env_on(own_redis, tmp_path, "data")
    env.activate(monkeypatch)
    worker = fleet.start(env)
    with session_scope(runtime().engine) as session:  # recorded, not sent: the test sends it delayed
        [(document_id, _)] = record(session, [NewDocument(source="https://example.com/delayed", format="text",
                                                          data=generate(1, seed=14)[0]["text"].encode())])
    handle = Handle(Corpus(runtime()), document_id)
    delay_s = 6
    runtime().broker.enqueue(message([document_id]), delay=delay_s * 1000)
    client = redis.Redis.from_url(own_redis.url)
    held = f"{runtime().broker.namespace}:__acks__.*.documents.DQ"
    servers.wait_until(lambda: any(client.smembers(k) for k in client.keys(held)), 30, interval=0.1,
                       message="the worker to hold the delayed message")
    own_redis.stop()
    time.sleep(3)  # long enough for the worker's consumers to meet the outage, not only a retry
    own_redis.start()
    assert handle.wait(timeout=delay_s + 45).status == "canonical"
    assert worker.alive()
