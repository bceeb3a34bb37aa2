"""The index on a real Redis Cluster: CORPUS_INDEX_URL finds it from any node, the index
spreads over every master, and the operations tools see every master."""

from __future__ import annotations

import uuid

import numpy as np
import redis
from redis.cluster import RedisCluster

from tests.index.test_lsh_index import synthetic_fp
from workers.index.lsh import LshIndex
from workers.runtime import Runtime, connect_index
from workers.settings import Settings


def test_index_url_names_the_index_redis(redis_cluster, redis_server, monkeypatch, tmp_path):
    monkeypatch.setenv("CORPUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CORPUS_REDIS_URL", redis_server.url)
    monkeypatch.delenv("CORPUS_INDEX_URL", raising=False)
    unset = Runtime(Settings.from_env())
    assert unset.index_redis is unset.redis  # today's behaviour: the queue's Redis
    monkeypatch.setenv("CORPUS_INDEX_URL", redis_cluster.nodes[-1].url)  # any node will do
    clustered = Runtime(Settings.from_env())
    assert isinstance(clustered.index_redis, RedisCluster)
    assert len(clustered.index_redis.get_primaries()) == 3
    assert clustered.bare_index.r is clustered.index_redis
    plain = connect_index(redis_server.url)
    assert isinstance(plain, redis.Redis) and not isinstance(plain, RedisCluster)


def test_unreachable_index_url_names_the_variable(monkeypatch, tmp_path):
    import pytest

    from tests.support.servers import free_port
    from workers.runtime import RedisUnavailable

    monkeypatch.setenv("CORPUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CORPUS_INDEX_URL", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(RedisUnavailable, match="CORPUS_INDEX_URL"):
        Runtime(Settings.from_env()).index_redis


def test_index_keys_and_memory_on_every_master(redis_cluster):
    client = redis_cluster.client()
    ix = LshIndex(client, f"test-{uuid.uuid4().hex}:")
    ix.ensure_params()
    rng = np.random.default_rng(5)
    try:
        before = {n["node"]: n["keys"] for n in ix.nodes()}
        ix.insert_many([(i, synthetic_fp(rng)) for i in range(2000)])
        nodes = ix.nodes()
        assert len(nodes) == 3
        for node in redis_cluster.primaries():
            mine = list(node.client().scan_iter(match=ix.prefix + "*", count=1000))
            assert any(b"}b:" in k for k in mine) and any(b"}r:" in k for k in mine), node.port
        assert all(n["keys"] > before[n["node"]] and n["used_memory"] > 0 for n in nodes)
        assert ix.count() == len(ix.records()) == 2000
        assert ix.unbucketed(ix.records()) == []
    finally:
        ix.clear()
