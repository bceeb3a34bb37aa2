"""LSH index at scale: lookup latency and Redis memory per document, 10k -> 100k (-> 1M) docs;
and (``--cluster``) the insert+query rate on one Redis and on Redis Clusters of 1, 2 and 3 masters.

    .venv/bin/python bench/scale.py            # 10k, 100k
    .venv/bin/python bench/scale.py --full     # 10k, 100k, 1M  (~1.2 GB of Redis memory)
    .venv/bin/python bench/scale.py --cluster [--docs 40000] [--clients 2]

Runs a private redis-server (port 0, unix socket in a temp dir) so that INFO used_memory measures
this index alone; ``--redis-url`` uses an existing server instead (keys under a unique prefix,
deleted at the end). Documents are synthetic fingerprints: random signatures, of which
``--copy-ratio`` are near copies (85% of the values) of a recent document, so buckets shared by
several ids exist as in a real corpus. At each size: ``insert_and_query`` latency (single calls,
one round trip each, like a worker) for 2,000 new documents, 30% of them copies, measured in the
client and (INFO latencystats) in the server; memory =
(used_memory - used_memory of the empty server) / documents.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import redis  # noqa: E402

from workers.steps import dedup  # noqa: E402
from workers.steps.dedup import Fingerprint  # noqa: E402
from workers.index.lsh import LshIndex  # noqa: E402


def private_redis():
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server not found; pass --redis-url")
    tmp = tempfile.mkdtemp(prefix="corpus-scale-")
    sock = str(Path(tmp) / "redis.sock")
    proc = subprocess.Popen([exe, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=sock)
    for _ in range(200):
        try:
            client.ping()
            return client, proc, tmp
        except (redis.exceptions.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("private redis-server did not start")


class Gen:
    def __init__(self, seed: int, copy_ratio: float, window: int = 50_000):
        self.rng = np.random.default_rng(seed)
        self.copy_ratio = copy_ratio
        self.ring = np.zeros((window, dedup.NUM_PERM), dtype=np.uint32)
        self.ring_lead = np.zeros((window, dedup.LEAD_PERM), dtype=np.uint32)
        self.n = 0

    def batch(self, k: int) -> list[Fingerprint]:
        rng = self.rng
        sig = rng.integers(0, 2**32, (k, dedup.NUM_PERM), dtype=np.uint64).astype(np.uint32)
        lead = rng.integers(0, 2**32, (k, dedup.LEAD_PERM), dtype=np.uint64).astype(np.uint32)
        if self.n > 0:
            copies = np.nonzero(rng.random(k) < self.copy_ratio)[0]
            src = rng.integers(0, min(self.n, len(self.ring)), len(copies))
            keep = rng.random((len(copies), dedup.NUM_PERM)) < 0.85
            sig[copies] = np.where(keep, self.ring[src], sig[copies])
            lead[copies] = self.ring_lead[src]
        hashes = rng.integers(0, 256, (k, 16), dtype=np.uint8)
        out = [Fingerprint(bytes(hashes[i]).hex(), 5000, 800, sig[i], lead[i]) for i in range(k)]
        for i in range(k):
            self.ring[(self.n + i) % len(self.ring)] = sig[i]
            self.ring_lead[(self.n + i) % len(self.ring)] = lead[i]
        self.n += k
        return out


def _server_percentiles(client) -> str:
    """Server-side duration of the probes' EVALSHA calls (Redis >= 7 latency tracking)."""
    if hasattr(client, "get_primaries"):
        return "n/a (cluster)"
    try:
        stats = client.info("latencystats")
    except redis.exceptions.ResponseError:
        return "n/a"
    v = stats.get("latency_percentiles_usec_evalsha")
    if not v:
        return "n/a"
    if isinstance(v, str):
        v = dict(kv.split("=") for kv in v.split(","))
    return " ".join(f"{k}={float(x) / 1000:.2f}" for k, x in v.items())


def used_memory(client) -> int:
    if hasattr(client, "get_primaries"):  # a cluster: all its masters
        return sum(int(client.get_redis_connection(n).info("memory")["used_memory"]) for n in client.get_primaries())
    return int(client.info("memory")["used_memory"])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also the 1M step")
    ap.add_argument("--sizes", default=None, help="comma-separated sizes (overrides --full)")
    ap.add_argument("--copy-ratio", type=float, default=0.3)
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--redis-url", default=None)
    ap.add_argument("--masters", type=int, default=0, help="the latency/memory run on a cluster of this many masters")
    ap.add_argument("--cluster", action="store_true", help="rate on one Redis and on 1/2/3-master clusters")
    ap.add_argument("--single", action="store_true",
                    help="--cluster on one Redis only: one round trip per batch against three, A B A B")
    ap.add_argument("--docs", type=int, default=40_000, help="--cluster: documents loaded per setup")
    ap.add_argument("--clients", type=int, default=2, help="--cluster: client processes inserting at once")
    ap.add_argument("--batch", type=int, default=16, help="--cluster: documents per insert_many (CORPUS_BATCH_SIZE)")
    a = ap.parse_args(argv)
    if a.cluster or a.single:
        return cluster_main(a)
    sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else ([10_000, 100_000, 1_000_000] if a.full else [10_000, 100_000])

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below on kill
    from bench.common import machine_info

    print(machine_info())
    print(f"params {dedup.params()}")
    proc = tmp = cluster = None
    if a.masters:
        from tests.support.cluster import start_cluster
        from workers.runtime import connect_index

        cluster = start_cluster(masters=a.masters)
        client = connect_index(cluster.url)
    elif a.redis_url:
        client = redis.Redis.from_url(a.redis_url)
    else:
        client, proc, tmp = private_redis()
    print(f"redis {client.info('server')['redis_version']}; record {dedup.FP_BYTES + 4} B; "
          f"{dedup.BANDS}+{dedup.LEAD_BANDS} buckets per doc")
    ix = LshIndex(client, f"bench-scale-{uuid.uuid4().hex[:12]}:")
    gen = Gen(0, a.copy_ratio)
    try:
        base = used_memory(client)
        ix.ensure_params(dedup.params())
        next_id = 0
        t_load = 0.0
        print(f"{'docs':>9} {'bytes/doc':>9} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cand/probe':>10} {'load docs/s':>11}"
              "   server-side EVALSHA (INFO latencystats, ms)")
        for size in sizes:
            t0 = time.perf_counter()
            while next_id < size:
                k = min(1000, size - next_id)
                fps = gen.batch(k)
                ix.insert_many(list(zip(range(next_id, next_id + k), fps)))
                next_id += k
            t_load = time.perf_counter() - t0
            loaded = next_id
            mem = used_memory(client) - base
            per_doc = mem / ix.count()
            lat = []
            cands = 0
            probes = gen.batch(a.probes)
            try:
                client.config_resetstat()
            except (redis.exceptions.ResponseError, redis.exceptions.RedisClusterException):
                pass
            for fp in probes:
                t = time.perf_counter()
                res = ix.insert_and_query(next_id, fp)
                lat.append(time.perf_counter() - t)
                cands += len(res)
                next_id += 1
            lat_ms = np.array(lat) * 1000
            server = _server_percentiles(client)
            print(f"{size:>9} {per_doc:>9.0f} {np.percentile(lat_ms, 50):>7.2f} {np.percentile(lat_ms, 99):>7.2f} "
                  f"{lat_ms.max():>7.2f} {cands / a.probes:>10.2f} {(loaded - (sizes[sizes.index(size) - 1] if sizes.index(size) else 0)) / t_load:>11.0f}"
                  f"   {server}", flush=True)
        st = ix.stats()
        enc = {}
        keys = list(client.scan_iter(match=ix.prefix + "*b:*", count=10_000))
        for i in range(0, len(keys), 5000):
            pipe = client.pipeline(transaction=False)
            for k in keys[i:i + 5000]:
                pipe.object("encoding", k)
            for e in pipe.execute():
                e = e.decode() if isinstance(e, bytes) else e
                enc[e] = enc.get(e, 0) + 1
        print(f"bucket table: {st['groups']} groups, deepest L={st['L']}, fields={st['nent']}, shards by encoding {enc}")
    finally:
        if cluster is not None:
            cluster.stop()
        elif proc is None:
            ix.clear()
        else:
            proc.terminate()
            proc.wait(30)
            shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------- --cluster


def old_index_class():
    """The single-node index of ``main`` before the cluster layout (one script per document),
    loaded from git for the A/B comparison; None when git has no such version."""
    import importlib.util

    tmp = Path(tempfile.mkdtemp(prefix="corpus-old-index-"))
    try:
        for name in ("lsh.py", "insert.lua", "remove.lua"):
            src = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_REV}:workers/index/{name}"],
                                 capture_output=True, check=True).stdout
            (tmp / name).write_bytes(src)
    except subprocess.CalledProcessError:
        return None
    spec = importlib.util.spec_from_file_location("old_lsh", tmp / "lsh.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LshIndex


OLD_REV = "d498ec8"  # main before the cluster layout


def _load(args) -> tuple[float, int]:
    """One client process: insert its share of the documents in batches of BATCH."""
    kind, target, prefix, worker, clients, docs, copy_ratio, batch = args
    if kind == "old":
        client = redis.Redis(unix_socket_path=target)
        ix = old_index_class()(client, prefix)
    elif kind in ("single", "single3"):
        client = redis.Redis(unix_socket_path=target)
        ix = LshIndex(client, prefix)
        ix.one_trip = kind == "single"  # single3: the three round trips of a cluster's path
    else:
        from workers.runtime import connect_index

        ix = LshIndex(connect_index(target), prefix)
    gen = Gen(100 + worker, copy_ratio)
    mine = [b for b in range(0, docs, batch) if (b // batch) % clients == worker]
    cands, cpu = 0, 0.0
    t0 = time.perf_counter()
    for start in mine:
        k = min(batch, docs - start)
        items = list(zip(range(start, start + k), gen.batch(k)))
        c0 = time.process_time()
        for found in ix.insert_many(items):
            cands += len(found)
        cpu += time.process_time() - c0
    return time.perf_counter() - t0, cands, cpu


def _cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def cluster_main(a) -> None:
    import multiprocessing

    sys.path.insert(0, str(ROOT))
    from bench.common import machine_info
    from tests.support.cluster import start_cluster

    print(machine_info())
    print(f"{a.docs} synthetic documents ({a.copy_ratio:.0%} near copies) per setup, {a.clients} client processes, "
          f"batches of {a.batch}; docs/s = documents / wall time of the slowest client")
    print(f"{'setup':<28} {'docs/s':>8} {'bytes/doc':>9} {'server CPU us/doc':>17} {'client CPU us/doc':>17}"
          "  per master: keys, MB")
    rows: dict = {}
    setups = [("old layout, one Redis", "old", None, 0), ("one Redis", "single", None, 0),
              ("cluster, 1 master", "cluster", 1, 0), ("cluster, 2 masters", "cluster", 2, 0),
              ("cluster, 3 masters", "cluster", 3, 0),
              ("cluster, 3 masters + replicas", "cluster", 3, 1)]  # every write waits for its replica
    if a.single:  # one Redis, one round trip per batch against three, A B A B
        setups = [("one Redis, 3 round trips", "single3", None, 0), ("one Redis", "single", None, 0)] * 2
    ctx = multiprocessing.get_context("fork")
    for name, kind, masters, replicas in setups:
        if kind == "old" and old_index_class() is None:
            continue
        server = cluster = None
        if kind == "cluster":
            cluster = start_cluster(masters=masters, replicas=replicas)
            target = cluster.url
            nodes = [n.client() for n in cluster.primaries()]
        else:
            server = PrivateRedisServer()
            target = server.socket
            nodes = [server.client]
        try:
            prefix = f"bench-scale-{uuid.uuid4().hex[:12]}:"
            if kind == "old":
                old_index_class()(nodes[0], prefix).ensure_params(dedup.params())
            else:
                from workers.runtime import connect_index

                LshIndex(connect_index(target) if cluster else nodes[0], prefix).ensure_params(dedup.params())
            mem0 = [used_memory(c) for c in nodes]
            cpu0 = [_cpu(c) for c in nodes]
            t0 = time.perf_counter()
            with ctx.Pool(a.clients) as pool:
                results = pool.map(_load, [(kind, target, prefix, w, a.clients, a.docs, a.copy_ratio, a.batch)
                                           for w in range(a.clients)])
            wall = time.perf_counter() - t0
            mem = [used_memory(c) - m for c, m in zip(nodes, mem0)]
            cpu = [_cpu(c) - c0 for c, c0 in zip(nodes, cpu0)]
            per_master = ", ".join(f"{c.dbsize()}, {m / 2**20:.0f}" for c, m in zip(nodes, mem))
            rate = a.docs / max(t for t, _, _ in results)
            rows.setdefault(name, []).append(rate)
            client_cpu = sum(c for _, _, c in results) / a.docs * 1e6
            print(f"{name:<28} {rate:>8.0f} {sum(mem) / a.docs:>9.0f} {sum(cpu) / a.docs * 1e6:>17.0f} "
                  f"{client_cpu:>17.0f}  {per_master}", flush=True)
        finally:
            if cluster:
                cluster.stop()
            if server:
                server.stop()
    rates = {k: sum(v) / len(v) for k, v in rows.items()}
    base = rates.get("one Redis")
    if base:
        print("ratios to one Redis: " + ", ".join(f"{k} {v / base:.2f}x" for k, v in rates.items()))


class PrivateRedisServer:
    def __init__(self) -> None:
        self.client, self.proc, self.dir = private_redis()
        self.socket = self.client.connection_pool.connection_kwargs["path"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
