"""LSH index at scale: lookup latency and Redis memory per document, 10k -> 100k (-> 1M) docs;
and (``--cluster``) the insert+query rate on one Redis and on Redis Clusters of 1, 2 and 3 masters.

    .venv/bin/python bench/scale.py            # 10k, 100k
    .venv/bin/python bench/scale.py --full     # 10k, 100k, 1M  (~1.2 GB of Redis memory)
    .venv/bin/python bench/scale.py --full --masters 3   # the same on a 3-master cluster of its own
    .venv/bin/python bench/scale.py --cluster [--docs 40000] [--clients 2] [--rounds 2] [--no-replicas]

Runs a private redis-server (port 0, unix socket in a temp dir) so that INFO used_memory measures
this index alone; ``--redis-url`` uses an existing server instead (keys under a unique prefix,
deleted at the end). Documents are synthetic fingerprints: random signatures, of which
``--copy-ratio`` are near copies (85% of the values) of a recent document, so buckets shared by
several ids exist as in a real corpus. The index is loaded up to each size by
``--loaders`` processes (insert_many, 1,000 documents a call); then ``insert_and_query`` latency
(lone calls, one at a time, three round trips each) for 2,000 new documents, 30% of them copies,
measured in the client, per round trip, and on every master (stats reset before the probes with
CONFIG RESETSTAT): EVALSHA p50/p99/p99.9 from INFO latencystats, calls and usec_per_call from
INFO commandstats, and the redis-server processes' CPU per probe, beside the load average before
and after the probes. The machine is shared: its load moves the client's p99 (time spent waiting
for a core), not the servers' own, so the server figures tell whether the index itself stays
flat as it grows. Memory = (used_memory - used_memory of the empty server) / documents.
``--cluster`` runs its setups ``--rounds`` times in turn and gives the rate ratios per round
(setups of one round run back to back, under about the same load). On a cluster the probes alternate
between ``main``'s script runner and this tree's (``_runners``), so the two share the load.
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
from workers.index import lsh as lsh_module  # noqa: E402
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


def masters(client) -> list:
    """One plain client per master (the server itself when not a cluster)."""
    if hasattr(client, "get_primaries"):
        return [client.get_redis_connection(n) for n in client.get_primaries()]
    return [client]


def server_cpu(node) -> float:
    """CPU seconds (user + sys) the redis-server process has used so far."""
    info = node.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def reset_server_stats(nodes) -> list[float]:
    """CONFIG RESETSTAT on every master (command, latency and error stats); returns their CPU."""
    for node in nodes:
        node.config_resetstat()
    return [server_cpu(node) for node in nodes]


def server_side(nodes, cpu_before: list[float], probes: int) -> str:
    """What the servers saw of the probes' EVALSHA calls since ``reset_server_stats``: per
    master the latency percentiles (INFO latencystats, Redis >= 7, ms), the calls and their
    mean (INFO commandstats usec_per_call); and the redis-server processes' CPU per probe. A
    server's own time excludes the network and the wait for a core before the command is read,
    which is what a loaded machine adds to the client's figure."""
    out, calls, usec = [], 0, 0.0
    for node in nodes:
        stat = node.info("commandstats").get("cmdstat_evalsha", {})
        calls += int(stat.get("calls", 0))
        usec += float(stat.get("usec", 0))
        try:
            pct = node.info("latencystats").get("latency_percentiles_usec_evalsha") or {}
        except redis.exceptions.ResponseError:
            pct = {}
        if isinstance(pct, str):
            pct = dict(kv.split("=") for kv in pct.split(","))
        pcts = "/".join(f"{float(v) / 1000:.2f}" for v in pct.values()) or "n/a"
        out.append(f"{pcts} ({int(stat.get('calls', 0))} calls, {float(stat.get('usec_per_call', 0)):.0f} us/call)")
    cpu = sum(server_cpu(n) for n in nodes) - sum(cpu_before)
    return (f"server EVALSHA p50/p99/p99.9 ms per master: {'; '.join(out)}; "
            f"{calls / probes:.1f} calls, {usec / probes:.0f} us in them and {cpu / probes * 1e6:.0f} us of "
            f"redis-server CPU per probe")


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
    ap.add_argument("--loaders", type=int, default=2,
                    help="processes that load the index up to each size (the probes run alone, one at a time)")
    ap.add_argument("--cluster", action="store_true", help="rate on one Redis and on 1/2/3-master clusters")
    ap.add_argument("--single", action="store_true",
                    help="--cluster on one Redis only: one round trip per batch against three, A B A B")
    ap.add_argument("--docs", type=int, default=40_000, help="--cluster: documents loaded per setup")
    ap.add_argument("--clients", type=int, default=2, help="--cluster: client processes inserting at once")
    ap.add_argument("--batch", type=int, default=16, help="--cluster: documents per insert_many (CORPUS_BATCH_SIZE)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="--cluster: run the setups this many times in turn (A B C A B C), ratios per round")
    ap.add_argument("--no-replicas", action="store_true", help="--cluster: leave out the setup with replicas")
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
        target = ("cluster", cluster.url)
        client = connect_index(cluster.url)
    elif a.redis_url:
        target = ("url", a.redis_url)
        client = redis.Redis.from_url(a.redis_url)
    else:
        client, proc, tmp = private_redis()
        target = ("socket", client.connection_pool.connection_kwargs["path"])
    print(f"redis {client.info('server')['redis_version']}; record {dedup.FP_BYTES + 4} B; "
          f"{dedup.BANDS}+{dedup.LEAD_BANDS} buckets per doc; loaded by {a.loaders} processes, "
          f"then {a.probes} lone insert_and_query calls")
    prefix = f"bench-scale-{uuid.uuid4().hex[:12]}:"
    ix = LshIndex(client, prefix)
    stages = _time_stages(ix)
    runners = _runners() if cluster else [("", lsh_module.run)]
    gen = Gen(0, a.copy_ratio)
    try:
        base = used_memory(client)
        ix.ensure_params(dedup.params())
        next_id = 0
        head = "".join(f" {'p50 ' + n:>10} {'p99 ' + n:>10}" for n, _ in runners)
        print(f"{'docs':>9} {'bytes/doc':>9}{head} {'max ms':>7} {'cand/probe':>10} {'load docs/s':>11} {'load avg':>8}"
              "   stages p50/p99 ms: records, buckets, candidates")
        for size in sizes:
            t0 = time.perf_counter()
            loaded = size - next_id
            next_id = bulk_load(target, prefix, gen, next_id, size, a.loaders)
            t_load = time.perf_counter() - t0
            mem = used_memory(client) - base
            per_doc = mem / ix.count()
            lat: dict[str, list] = {n: [] for n, _ in runners}
            cpu: dict[str, list] = {n: [] for n, _ in runners}
            cands = 0
            probes = gen.batch(a.probes)
            for times in stages.values():
                times.clear()
            nodes = masters(client)
            load_before = os.getloadavg()
            cpu_before = reset_server_stats(nodes)
            before = _cluster_counters(client) if cluster is not None else None
            for k, fp in enumerate(probes):  # the runners alternate, probe by probe (A B A B)
                name, runner = runners[k % len(runners)]
                lsh_module.run = runner
                t, c = time.perf_counter(), time.thread_time()
                res = ix.insert_and_query(next_id, fp)
                lat[name].append(time.perf_counter() - t)
                cpu[name].append(time.thread_time() - c)
                cands += len(res)
                next_id += 1
            lsh_module.run = runners[-1][1]
            server = server_side(nodes, cpu_before, a.probes)
            load_after = os.getloadavg()
            cols = "".join(f" {np.percentile(np.array(v) * 1000, 50):>10.2f} {np.percentile(np.array(v) * 1000, 99):>10.2f}"
                           for v in lat.values())
            worst = max(max(v) for v in lat.values()) * 1000
            split = ", ".join(f"{np.percentile(v, 50) * 1000:.2f}/{np.percentile(v, 99) * 1000:.2f}" for v in stages.values())
            print(f"{size:>9} {per_doc:>9.0f}{cols} {worst:>7.2f} {cands / a.probes:>10.2f} {loaded / t_load:>11.0f} "
                  f"{load_after[0]:>8.2f}   {split}", flush=True)
            print(f"{'':>9} load average (1/5/15 min) {'/'.join(f'{x:.2f}' for x in load_before)} before the probes, "
                  f"{'/'.join(f'{x:.2f}' for x in load_after)} after; {server}", flush=True)
            print(f"{'':>9} {_tail(lat, cpu)}" + (f"; {_cluster_diff(before, _cluster_counters(client))}" if cluster else ""),
                  flush=True)
        st = ix.stats()
        enc = {}
        keys = list(client.scan_iter(match=ix.prefix + "*b:*", count=10_000))
        for i in range(0, len(keys), 5000):
            pipe = client.pipeline(transaction=False) if cluster is None else client.pipeline()
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


def _tail(lat: dict[str, list], cpu: dict[str, list]) -> str:
    """Where the slow probes' time went, per runner: the client's own CPU (thread time) against
    the wall time; what is neither is waiting on the servers or for a core."""
    out = []
    for name in lat:
        wall, own = np.array(lat[name]) * 1000, np.array(cpu[name]) * 1000
        slow = wall >= np.percentile(wall, 99)
        out.append(f"{name or 'probes'}: client CPU p50/p99 {np.percentile(own, 50):.2f}/{np.percentile(own, 99):.2f} ms, "
                   f"slowest 1% {wall[slow].mean():.2f} ms of which {(wall - own)[slow].mean():.2f} off the client's CPU "
                   f"(the rest {(wall - own)[~slow].mean():.2f})")
    return "; ".join(out)


def _cluster_counters(client) -> dict[str, int]:
    """Summed over the masters: redirections (MOVED, ASK), slot-map reads and client connections."""
    total = {"MOVED/ASK": 0, "slot-map reads": 0, "connections": 0}
    for node in client.get_primaries():
        r = client.get_redis_connection(node)
        errors = r.info("errorstats")
        total["MOVED/ASK"] += sum(int(errors.get(f"errorstat_{e}", {}).get("count", 0)) for e in ("MOVED", "ASK"))
        stats = r.info("commandstats")
        total["slot-map reads"] += sum(int(stats.get(f"cmdstat_cluster|{c}", {}).get("calls", 0))
                                       for c in ("slots", "shards", "nodes"))
        total["connections"] = max(total["connections"], int(r.info("clients")["connected_clients"]))
    return total


def _cluster_diff(before: dict[str, int], after: dict[str, int]) -> str:
    return (f"during the probes: MOVED/ASK {after['MOVED/ASK'] - before['MOVED/ASK']}, slot-map reads "
            f"{after['slot-map reads'] - before['slot-map reads']}, "
            f"connections on the busiest master {after['connections']}")


def _time_stages(ix: LshIndex) -> dict[str, list]:
    """Wrap the index's three round trips (records, buckets, the candidates' records) to time
    each; returns stage -> durations (s) of the calls since it was last cleared."""
    times: dict[str, list] = {}
    for stage in ("_write_records", "_buckets", "_fetch"):
        method = getattr(ix, stage)
        times[stage] = []

        def timed(*args, _method=method, _out=times[stage], **kwargs):
            t = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                _out.append(time.perf_counter() - t)

        setattr(ix, stage, timed)
    return times


RUNNER_REV = "0650e48"  # main with the cluster runner that wrote and read each master in turn


def _runners() -> list[tuple[str, object]]:
    """On a cluster, the probes alternate between ``main``'s script runner (one master's
    pipeline written and read, then the next: "seq") and this tree's (every master's calls
    written before any reply is read: "ovl")."""
    import importlib.util

    try:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{RUNNER_REV}:workers/index/scripts.py"],
                             capture_output=True, check=True).stdout
    except subprocess.CalledProcessError:
        return [("", lsh_module.run)]
    tmp = Path(tempfile.mkdtemp(prefix="corpus-old-runner-"))
    (tmp / "scripts.py").write_bytes(src)
    spec = importlib.util.spec_from_file_location("old_scripts", tmp / "scripts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [("seq", module.run), ("ovl", lsh_module.run)]


def _bulk(args) -> None:
    """One loader process: insert a slice of documents (ids, fingerprints) with insert_many."""
    target, prefix, start, fps = args
    ix = _LOADER.get(prefix)
    if ix is None:
        kind, where = target
        if kind == "cluster":
            from workers.runtime import connect_index

            client = connect_index(where)
        elif kind == "socket":
            client = redis.Redis(unix_socket_path=where)
        else:
            client = redis.Redis.from_url(where)
        ix = _LOADER[prefix] = LshIndex(client, prefix)
    ix.insert_many(list(zip(range(start, start + len(fps)), fps)))


_LOADER: dict[str, LshIndex] = {}


def bulk_load(target, prefix: str, gen: Gen, start: int, size: int, loaders: int, chunk: int = 1000) -> int:
    """Insert documents ``start .. size - 1`` from ``loaders`` processes at once (the fingerprints
    drawn here, in order, so the probes' near copies are of loaded documents); returns ``size``."""
    import multiprocessing

    jobs = ((target, prefix, s, gen.batch(min(chunk, size - s))) for s in range(start, size, chunk))
    if loaders <= 1:
        for job in jobs:
            _bulk(job)
        return size
    with multiprocessing.get_context("fork").Pool(loaders) as pool:
        for _ in pool.imap_unordered(_bulk, jobs):
            pass
    return size


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
        ix = LshIndex(client, prefix, one_trip=kind == "single")  # single3: a cluster's three round trips
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
    server_us: dict = {}
    setups = [("old layout, one Redis", "old", None, 0), ("one Redis", "single", None, 0),
              ("cluster, 1 master", "cluster", 1, 0), ("cluster, 2 masters", "cluster", 2, 0),
              ("cluster, 3 masters", "cluster", 3, 0),
              ("cluster, 3 masters + replicas", "cluster", 3, 1)]  # every write waits for its replica
    if a.no_replicas:
        setups = [s for s in setups if not s[3]]
    if a.single:  # one Redis, one round trip per batch against three, A B A B
        setups = [("one Redis, 3 round trips", "single3", None, 0), ("one Redis", "single", None, 0)] * 2
    ctx = multiprocessing.get_context("fork")
    for round_no, (name, kind, masters, replicas) in ((r, s) for r in range(a.rounds) for s in setups):
        if name == setups[0][0]:
            print(f"round {round_no + 1}: load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
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
            cpu0 = [server_cpu(c) for c in nodes]
            t0 = time.perf_counter()
            with ctx.Pool(a.clients) as pool:
                results = pool.map(_load, [(kind, target, prefix, w, a.clients, a.docs, a.copy_ratio, a.batch)
                                           for w in range(a.clients)])
            wall = time.perf_counter() - t0
            mem = [used_memory(c) - m for c, m in zip(nodes, mem0)]
            cpu = [server_cpu(c) - c0 for c, c0 in zip(nodes, cpu0)]
            per_master = ", ".join(f"{c.dbsize()}, {m / 2**20:.0f}" for c, m in zip(nodes, mem))
            rate = a.docs / max(t for t, _, _ in results)
            rows.setdefault(name, []).append(rate)
            server_us.setdefault(name, []).append(sum(cpu) / a.docs * 1e6)
            client_cpu = sum(c for _, _, c in results) / a.docs * 1e6
            print(f"{name:<28} {rate:>8.0f} {sum(mem) / a.docs:>9.0f} {sum(cpu) / a.docs * 1e6:>17.0f} "
                  f"{client_cpu:>17.0f}  {per_master}; load {os.getloadavg()[0]:.2f}", flush=True)
        finally:
            if cluster:
                cluster.stop()
            if server:
                server.stop()
    print(f"mean over {a.rounds} round(s): " + ", ".join(
        f"{k} {np.mean(v):.0f} docs/s, {np.mean(server_us[k]):.0f} us server CPU/doc" for k, v in rows.items()))
    for base in ("one Redis", "cluster, 1 master"):
        if base in rows and len(rows) > 1:  # a ratio per round (the setups of one round ran minutes apart), then the median
            ratios = {k: [x / b for x, b in zip(v, rows[base])] for k, v in rows.items() if k != base}
            print(f"rate ratios to {base} (median of rounds; each round): " + ", ".join(
                f"{k} {np.median(r):.2f}x ({' '.join(f'{x:.2f}' for x in r)})" for k, r in ratios.items()))


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
