"""Lost state mends itself, with real worker processes and real servers of the test's own:
a Redis without persistence restarted mid-run (the queue and the index gone), and a
PostgreSQL away for longer than the retry budget (the messages dead-lettered). With no
manual step, every accepted document ends canonical, duplicate or failed within 3 minutes
of the dependency's return, with the clusters of a calm run, and ``corpus verify`` is clean."""

from __future__ import annotations

import json
import shutil
import time
import uuid

import pytest
import redis

from bench.corpus import generate
from tests.conftest import CorpusEnv
from tests.support import servers
from tests.support.reliability import (assert_consistent, calm_clusters, clusters, dispose, documents,  # noqa: F401
                                       fleet, ledger, log_dir, own_postgres, wait_settled, write_texts)

#: The issue's promise: settled within 3 minutes of the dependency's return.
SETTLE_S = 180


@pytest.fixture
def volatile_redis():
    """A Redis of the test's own without persistence: a restart brings it back empty."""
    server = servers.start_redis(persist=False)
    yield server
    server.kill()
    shutil.rmtree(server.directory, ignore_errors=True)


def calm_run(redis_server, tmp_path, monkeypatch, paths) -> set:
    calm = CorpusEnv(data_dir=tmp_path / "calm", redis_url=redis_server.url, database_url=None,
                     namespace=f"test-{uuid.uuid4().hex[:10]}")
    try:
        return calm_clusters(calm, monkeypatch, paths)
    finally:
        servers.delete_namespace(redis_server.url, calm.namespace)


def status(env: CorpusEnv) -> dict:
    result = env.run("status", "--json")
    return json.loads(result.stdout)


def test_redis_restarted_without_persistence_mid_run_heals_itself(volatile_redis, redis_server, fleet, tmp_path,
                                                                    monkeypatch):
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=volatile_redis.url, database_url=None,
                    namespace=f"test-{uuid.uuid4().hex[:10]}", extra={"CORPUS_STRANDED_GRACE_S": "3",
                                                        # many messages, so some are queued, some in flight
                                                        "CORPUS_BATCH_SIZE": "16"})
    docs = generate(360, seed=21, copy_ratio=0.5)
    # A first part processed (in the index), the rest queued when Redis restarts: whatever the
    # machine's speed, the restart takes both an index the store fed and queued work with it.
    paths = write_texts(tmp_path / "first", docs[:120]) + write_texts(tmp_path / "second", docs[120:])
    assert env.run("ingest", str(tmp_path / "first")).returncode == 0
    fleet.start(env)
    wait_settled(env, 120, SETTLE_S, fleet=fleet)
    fleet.stop_all()
    assert env.run("ingest", str(tmp_path / "second")).returncode == 0
    worker = fleet.start(env)  # mid-run: messages ready, prefetched and in flight
    assert ledger(env)["unsettled"] > 0

    volatile_redis.stop()  # no persistence: the index, the queue and the counters are gone
    volatile_redis.start()

    state = wait_settled(env, 360, SETTLE_S, fleet=fleet)
    assert state.get("failed", 0) == 0, state
    assert worker.alive()
    assert_consistent(env)
    repairs = status(env)["repairs"]
    assert repairs["index_rebuilds"] >= 1 and repairs["stranded_requeued"] > 0, repairs
    assert clusters(env) == calm_run(redis_server, tmp_path, monkeypatch, paths)


def test_a_database_away_longer_than_the_retry_budget_heals_itself(own_postgres, redis_server, fleet, tmp_path,
                                                                     monkeypatch):
    url = own_postgres.create_database()
    # A retry budget of a few seconds (3 attempts, backoff at most 2 s), so that a short
    # outage outlasts it; the default budget is about two minutes.
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url,
                    namespace=f"test-{uuid.uuid4().hex[:10]}",
                    extra={"CORPUS_MAX_RETRIES": "2", "CORPUS_MAX_BACKOFF_MS": "2000", "CORPUS_STRANDED_GRACE_S": "5"})
    client = redis.Redis.from_url(redis_server.url)
    dead_letters = f"{env.namespace}:dq:documents.XQ"
    try:
        paths = write_texts(tmp_path / "in", generate(150, seed=22, copy_ratio=0.4))
        bad = tmp_path / "in" / "bad" / "binary.txt"
        bad.parent.mkdir()
        bad.write_bytes(b"\x00\x01\x02\x03 not text \x00" * 50)
        assert env.run("ingest", str(tmp_path / "in")).returncode == 0
        fleet.start(env)
        servers.wait_until(lambda: ledger(env)["unsettled"] <= 140, 120, interval=0.2,
                           message="the first documents to be processed")

        own_postgres.stop()
        servers.wait_until(lambda: client.zcard(dead_letters) > 0, 120, interval=0.5,
                           message="messages to exhaust their retries while the database is away")
        time.sleep(5)  # more of them die
        own_postgres.start()

        state = wait_settled(env, 151, SETTLE_S, fleet=fleet)
        assert all(p.alive() for p in fleet.procs)
        failed = [d for d in documents(env) if d["status"] == "failed"]
        assert [d["source"].endswith("binary.txt") for d in failed] == [True], failed  # bad input fails...
        assert "binary" in failed[0]["error"], failed  # ... with its reason
        assert state.get("failed", 0) == 1
        servers.wait_until(lambda: client.zcard(dead_letters) == 0, 30, interval=0.5,
                           message="no dead letter left")
        assert_consistent(env)
        report = status(env)
        assert report["repairs"]["dead_letters_retried"] > 0, report["repairs"]
        assert report["queues"]["documents"]["dead"] == 0 and report["documents"]["pending"] == 0
        assert clusters(env) == calm_run(redis_server, tmp_path, monkeypatch, paths + [bad])
    finally:
        fleet.stop_all()
        servers.delete_namespace(redis_server.url, env.namespace)
        dispose(env)
