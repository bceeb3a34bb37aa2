"""A corpus ingested by several worker processes with the duplicate index on a 3-master
Redis Cluster gives exactly the clusters of a run on one Redis; the index spreads over
every master, and reindex, verify, status and /metrics work on it."""

from __future__ import annotations

import json
import uuid

from prometheus_client.parser import text_string_to_metric_families

from bench.corpus import generate
from tests.conftest import CorpusEnv
from tests.support import servers
from tests.support.reliability import (assert_consistent, calm_clusters, clusters, dispose, fleet, log_dir,  # noqa: F401
                                       verify, wait_settled, write_texts)
from workers.keys import index_prefix

N_DOCS = 300
WORKERS = 3


def test_workers_on_a_cluster_index_give_the_clusters_of_one_redis(redis_cluster, redis_server, postgres_server,
                                                                     fleet, tmp_path, monkeypatch):
    docs = generate(N_DOCS, seed=23, copy_ratio=0.5)
    paths = write_texts(tmp_path / "in", docs)
    calm = CorpusEnv(data_dir=tmp_path / "calm", redis_url=redis_server.url, database_url=None,
                     namespace=f"test-{uuid.uuid4().hex[:10]}")
    url = postgres_server.create_database()
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url,
                    namespace=f"test-{uuid.uuid4().hex[:10]}")
    env.extra["CORPUS_INDEX_URL"] = redis_cluster.nodes[1].url
    prefix = index_prefix(env.namespace)
    try:
        result = env.run("ingest", str(tmp_path / "in"))
        assert result.returncode == 0, result.stderr
        for _ in range(WORKERS):
            fleet.start(env, wait=False)
        wait_settled(env, N_DOCS, 300, fleet=fleet)
        fleet.stop_all()
        spread = clusters(env)
        report = assert_consistent(env)
        assert report["info"]["index_records"] == N_DOCS - report["ledger"].get("failed", 0)
        # every master holds part of the index; none of it is on the queue's Redis
        for node in redis_cluster.primaries():
            assert next(node.client().scan_iter(match=prefix + "*", count=1000), None) is not None, node.port
        assert next(servers_keys(redis_server.url, prefix), None) is None

        status = json.loads(env.run("status", "--json").stdout)
        assert status["index"]["cluster"] is True and status["index"]["records"] == report["info"]["index_records"]
        assert len(status["index"]["nodes"]) == 3 and all(n["keys"] > 0 for n in status["index"]["nodes"])
        assert "(cluster, 3 masters)" in env.run("status").stdout
        env.activate(monkeypatch)
        from prometheus_client import CollectorRegistry, generate_latest

        from ingest.monitor.collector import CorpusCollector
        from workers.runtime import runtime

        registry = CollectorRegistry()
        registry.register(CorpusCollector(runtime()))
        families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
        per_node = {s.labels["node"]: s.value for s in families["corpus_index_keys"].samples}
        assert len(per_node) == 3 and all(v > 0 for v in per_node.values())
        assert len(families["corpus_index_memory_bytes"].samples) == 3

        # reindex rebuilds the same index on the cluster; verify finds a lost bucket entry and mends it
        before = runtime().bare_index.records()
        rebuilt = env.run("reindex")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert runtime().bare_index.records() == before
        assert_consistent(env)
        index = runtime().bare_index
        victim = min(before)
        index._unbucket([(victim, index.get(victim))])  # what a failover may lose: bucket entries only
        code, found = verify(env)
        assert code == 1 and found["problems"]["index_unbucketed"]["ids"] == [victim]
        code, mended = verify(env, "--repair")
        assert code == 0 and mended["ok"], mended
    finally:
        fleet.stop_all()
        dispose(env)
        postgres_server.drop_database(url)
        from workers.index.lsh import LshIndex
        from workers.runtime import connect_index

        LshIndex(connect_index(redis_cluster.url), prefix).clear()
    try:
        expected = calm_clusters(calm, monkeypatch, paths)
    finally:
        servers.delete_namespace(redis_server.url, calm.namespace)
    assert len(expected) < N_DOCS  # the corpus has copies
    assert spread == expected


def servers_keys(url: str, prefix: str):
    import redis

    return redis.Redis.from_url(url).scan_iter(match=prefix + "*", count=1000)
