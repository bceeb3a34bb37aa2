"""A master of the index's cluster fails over mid-run, twice: once killed (SIGKILL; its
replica is promoted after the node timeout) and once handed over (``CLUSTER FAILOVER`` on a
replica). The workers ride it out, and afterwards ``corpus verify --repair`` leaves the
ledger and the index consistent: nothing is lost that it cannot mend. Every index write
waits for its master's replica (``WAIT 1``), so no link is lost either: the clusters are
those of a calm run on one Redis."""

from __future__ import annotations

import uuid

import pytest

from bench.corpus import generate
from tests.conftest import CorpusEnv
from tests.support import servers
from tests.support.cluster import start_cluster
from tests.support.reliability import (assert_consistent, calm_clusters, clusters, dispose, fleet, ledger,  # noqa: F401
                                       log_dir, verify, wait_settled, write_texts)

N_DOCS = 400


@pytest.fixture
def replicated_cluster():
    """3 masters with one replica each, for this test alone (it breaks them)."""
    cluster = start_cluster(masters=3, replicas=1)
    yield cluster
    cluster.stop()


def test_failovers_mid_run_end_consistent_after_repair(replicated_cluster, redis_server, postgres_server, fleet,
                                                       tmp_path, monkeypatch):
    cluster = replicated_cluster
    docs = generate(N_DOCS, seed=29, copy_ratio=0.5)
    paths = write_texts(tmp_path / "in", docs)
    url = postgres_server.create_database()
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url,
                    namespace=f"test-{uuid.uuid4().hex[:10]}")
    # every master: a process started while one of them is down still finds the cluster
    env.extra["CORPUS_INDEX_URL"] = ",".join(n.url for n in cluster.primaries())
    env.extra["CORPUS_BATCH_SIZE"] = "16"  # many small messages: the run is still going when a master fails
    try:
        result = env.run("ingest", str(tmp_path / "in"))
        assert result.returncode == 0, result.stderr
        fleet.start(env)
        fleet.start(env, wait=False)
        masters = cluster.primaries()
        assert len(masters) == 3

        # 1. kill a master mid-run: its replica takes over after the node timeout (2 s here)
        servers.wait_until(lambda: ledger(env)["unsettled"] <= N_DOCS * 2 // 3, 120, interval=0.1,
                           message="a third of the corpus to settle")
        killed = masters[0]
        promoted = cluster.replicas_of(killed)[0]
        killed.kill()
        servers.wait_until(lambda: promoted.role() == "master" and cluster.healthy(), 60, interval=0.2,
                           message="the replica to be promoted")
        assert ledger(env)["unsettled"] > 0, "the failover came too late to be mid-run"

        # 2. hand another master over to its replica while the workers write
        servers.wait_until(lambda: ledger(env)["unsettled"] <= N_DOCS // 3, 180, interval=0.1,
                           message="two thirds of the corpus to settle")
        handed = masters[1]
        successor = cluster.replicas_of(handed)[0]
        successor.client().execute_command("CLUSTER", "FAILOVER")
        servers.wait_until(lambda: successor.role() == "master" and cluster.healthy(), 60, interval=0.2,
                           message="the manual failover")

        state = wait_settled(env, N_DOCS, 300, fleet=fleet)
        assert state["total"] == N_DOCS
        fleet.stop_all()
        code, report = verify(env, "--repair")
        assert code == 0 and report["ok"], report
        final = assert_consistent(env)
        assert final["ledger"]["total"] == N_DOCS
        assert final["info"]["index_records"] == N_DOCS - final["ledger"].get("failed", 0)
        after_failovers = clusters(env)
        # the writes waited for the replicas (WAIT), on every master that kept its replica
        assert all("cmdstat_wait" in node.client().info("commandstats") for node in masters[2:])
    finally:
        fleet.stop_all()
        dispose(env)
        postgres_server.drop_database(url)
    calm = CorpusEnv(data_dir=tmp_path / "calm", redis_url=redis_server.url, database_url=None,
                     namespace=f"test-{uuid.uuid4().hex[:10]}")
    try:
        expected = calm_clusters(calm, monkeypatch, paths)
    finally:
        servers.delete_namespace(redis_server.url, calm.namespace)
    assert len(expected) < N_DOCS  # the corpus has copies
    assert after_failovers == expected
