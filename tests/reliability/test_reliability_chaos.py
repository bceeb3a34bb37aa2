"""Chaos: 2,000 documents with many copies, workers SIGKILLed every few seconds, Redis
restarted once. At the end the ledger holds (``corpus verify`` exits 0) and the clusters
are those of a calm run. Real workers, a Redis of the test's own, PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid

from bench.corpus import generate
from tests.support import servers
from tests.conftest import CorpusEnv
from tests.support.reliability import (assert_consistent, clusters, read_calm_run, start_calm_run, fleet, ledger, log_dir,  # noqa: F401
                                            own_redis, wait_settled, write_texts)

N_DOCS = 2_000
KILLS = 6
KILL_EVERY_S = 4.0
# On a fast machine 2,000 documents go through in a few seconds: a kill is also due each time
# another tenth of the corpus has settled, so the faults land mid-run whatever the speed.
KILL_EVERY_SHARE = 0.1


def _ok(scope: dict) -> bool:
    return "chaotic" in scope  # the chaotic part got through: keep the calm run going


def test_chaos_run_ends_with_the_ledger_and_clusters_of_a_calm_run(own_redis, redis_server, postgres_server, fleet,
                                                                   tmp_path, monkeypatch):
    docs = generate(N_DOCS, seed=21, copy_ratio=0.5)
    paths = write_texts(tmp_path / "in", docs)
    url = postgres_server.create_database()
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=own_redis.url, database_url=url,
                    namespace=f"test-{uuid.uuid4().hex[:10]}")
    # A shorter heartbeat timeout than the default: killed work comes back within seconds.
    env.extra["CORPUS_HEARTBEAT_TIMEOUT_MS"] = "5000"
    rng = random.Random(21)
    # The calm run: the same files, in-process, no faults; beside the chaotic one.
    calm = CorpusEnv(data_dir=tmp_path / "calm", redis_url=redis_server.url, database_url=None,
                     namespace=f"test-{uuid.uuid4().hex[:10]}")
    calm_run = start_calm_run(calm, paths, tmp_path / "calm.json")
    try:
        result = env.run("ingest", str(tmp_path / "in"))
        assert result.returncode == 0, result.stderr
        fleet.start(env)
        fleet.start(env, wait=False)
        kills, restarted = 0, False
        while kills < KILLS:
            last_kill, unsettled_then = time.monotonic(), ledger(env)["unsettled"]
            while True:
                unsettled = ledger(env)["unsettled"]
                if (time.monotonic() - last_kill >= KILL_EVERY_S
                        or unsettled_then - unsettled >= KILL_EVERY_SHARE * N_DOCS or unsettled <= N_DOCS // 10):
                    break
                time.sleep(0.1)
            if unsettled <= N_DOCS // 10:
                break
            alive = fleet.alive()
            if alive:
                fleet.kill(rng.choice(alive))
                kills += 1
            fleet.start(env, wait=False)
            if not restarted and kills == 2:
                own_redis.stop()
                own_redis.start()
                restarted = True
        while len(fleet.alive()) < 2:
            fleet.start(env, wait=False)
        assert kills >= 3 and restarted, "workers killed and Redis restarted mid-run"
        state = wait_settled(env, N_DOCS, 240, fleet=fleet)
        assert state["total"] == N_DOCS
        assert_consistent(env)
        chaotic = clusters(env)
    finally:
        fleet.stop_all()
        if calm_run.poll() is None and not _ok(locals()):
            calm_run.kill()
        from tests.support.reliability import dispose

        dispose(env)
        postgres_server.drop_database(url)

    try:
        expected = read_calm_run(calm_run, tmp_path / "calm.json")
    finally:
        if calm_run.poll() is None:
            calm_run.kill()
        servers.delete_namespace(redis_server.url, calm.namespace)
    assert len(expected) < N_DOCS  # the corpus has copies
    assert chaotic == expected
