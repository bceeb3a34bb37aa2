"""End-to-end throughput of ``corpus ingest --wait`` against the hand-written script, per corpus.

    .venv/bin/python bench/throughput.py                       # 2,000 docs per corpus, 1 and 2 workers
    .venv/bin/python bench/throughput.py --quick               # 400 docs, smaller in-process sample
    .venv/bin/python bench/throughput.py --docs 4000 --corpora text,real --workers 2 --json out.json

What it does, per corpus (``text``: raw text only; ``html``: HTML only; ``mixed``: one doc in six
HTML -- all three from ``bench/corpus.py`` with 30% copies -- and ``real``: the 181 pages of the
article-extraction benchmark, repeated to ``--docs``; every repeat gets a distinct trailing HTML
comment so that its bytes differ and it is extracted again, as by the baseline; ``--real-identical``
keeps the bytes, which corpus recognises as exact copies without cleaning them):

1. writes the corpus as one file per document in a temp dir;
2. **baseline**: ``bench/baseline.py`` on that dir as a whole process (python start, imports,
   trafilatura, datasketch MinHash + MinHashLSH in memory), wall clock;
3. **enqueue**: ``corpus ingest DIR`` without ``--wait`` and with no worker running (record every
   file in the store + enqueue), wall clock; the same command on an empty dir gives the fixed start-up
   cost, which is subtracted for the steady files/s;
4. **ours**, for each ``--workers`` N: a fresh store and namespace, ``corpus worker -p N`` started
   and waited for until its processes are alive (workers are a service: their ~1 s start-up is shown
   separately as ``boot``), then ``corpus ingest DIR --wait --json`` timed as a whole process until it
   exits. Then: the stage times the workers recorded in Redis (``workers/queue/counters.py``; per document,
   summed over processes), the workers' busy share (CPU seconds / (wall x N)), peak RSS of every
   worker process (VmHWM), Redis bytes per document (INFO used_memory delta; and the LSH index's
   keys alone by MEMORY USAGE) and database bytes per document (SQLite file after a checkpoint);
5. **in-process stages**: ``pipeline.process`` called directly on a sample (``--stage-docs``) with
   decode / clean / fingerprint / index / compare / link timed separately, and MinHash
   (``dedup.fingerprint``) docs/s per core by CPU time.

Redis: a private ``redis-server`` on a unix socket in a temp dir (``--redis-url`` to use an
existing one; keys go under a unique ``CORPUS_NAMESPACE`` and are deleted). The store: SQLite in a
temp ``CORPUS_DATA_DIR``; ``--postgres URL`` (a server URL such as
``postgresql://postgres@127.0.0.1:5432/``) runs every measurement on a fresh database of that
server instead, created per run and dropped after it (database bytes/doc are then n/a). Everything is removed at the end, also on Ctrl-C / SIGTERM.

The machine is printed first. On a shared machine, wall-clock figures move with the load
(printed with the machine and per run); the CPU-second figures move less.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (EXTRACTION_BENCH, PrivateRedis, machine, machine_info, mib, proc_status,  # noqa: E402
                          process_tree)

CORPORA = {"text": 0.0, "html": 1.0, "mixed": 1 / 6, "real": None}
# ours / baseline (documents/s) the issue asks for, and with how many worker processes.
TARGETS = {"text": (0.7, None), "mixed": (1.0, None), "real": (1.5, 2)}
ENQUEUE_TARGET = 2000  # files/s, corpus ingest without --wait
MINHASH_TARGET = 4000  # docs/s per core
SIGNATURE_TARGET = 8000  # docs/s per core, the signature stage alone (issue 17)


def log(*args) -> None:
    print(*args, file=sys.stderr if ARGS.json == "-" else sys.stdout, flush=True)


# ------------------------------------------------------------------------------------ corpora


def write_corpus(kind: str, n: int, out: Path, *, seed: int, bench_dir: Path, identical: bool) -> dict:
    out.mkdir(parents=True)
    t = time.perf_counter()
    if kind == "real":
        pages = sorted((bench_dir / "html").glob("*.html.gz"))
        if not pages:
            raise SystemExit(f"no pages under {bench_dir / 'html'} (pass --bench-dir or set CORPUS_EXTRACTION_BENCH)")
        raw = [gzip.decompress(p.read_bytes()) for p in pages]
        nbytes = 0
        for i in range(n):
            data = raw[i % len(raw)]
            if i >= len(raw) and not identical:
                data = data + f"\n<!-- corpus-bench copy {i // len(raw)} -->\n".encode()
            (out / f"{i:07d}.html").write_bytes(data)
            nbytes += len(data)
        return {"docs": n, "html": n, "bytes": nbytes, "pages": len(raw), "seconds": time.perf_counter() - t}
    from bench.corpus import generate

    docs = generate(n, seed=seed, html_ratio=CORPORA[kind], copy_ratio=0.3)
    nbytes = html = 0
    for d in docs:
        body = (d.get("html") or d["text"]).encode("utf-8")
        html += "html" in d
        (out / f"{d['id']:07d}.{'html' if 'html' in d else 'txt'}").write_bytes(body)
        nbytes += len(body)
    return {"docs": len(docs), "html": html, "bytes": nbytes, "seconds": time.perf_counter() - t}


# ------------------------------------------------------------------------------------ processes


def run_timed(cmd: list[str], env: dict, cwd: Path, out_path: Path) -> dict:
    """Run a command to completion: wall seconds, CPU seconds (its own and its waited-for
    children's, from wait4), peak RSS, exit code, standard output.

    Peak RSS is the process's VmHWM sampled every 20 ms: wait4's ru_maxrss is useless here, because
    Linux carries the parent's RSS at fork over the exec into the child's maxrss (every child of
    this, by then large, benchmark process would report at least its size)."""
    import threading

    with open(out_path, "wb") as out, open(out_path.with_suffix(".err"), "wb") as errf:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=errf)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], proc_status(proc.pid).get("peak_rss", 0))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss": peak[0],
            "rc": proc.returncode, "stdout": out_path.read_text(errors="replace"),
            "stderr": out_path.with_suffix(".err").read_text(errors="replace")[-2000:]}


class Workers:
    """``corpus worker -p N -t T`` in its own process group, waited for until alive."""

    def __init__(self, env: dict, processes: int, threads: int, log_path: Path, redis_client, namespace: str):
        self.t0 = time.perf_counter()
        self.logf = open(log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", "worker", "-p", str(processes), "-t", str(threads)],
                                     env=env, cwd=ROOT, stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        from workers.queue.registry import alive_workers

        deadline = time.monotonic() + 120
        while len(alive_workers(redis_client, namespace)) < processes:
            if self.proc.poll() is not None:
                raise SystemExit(f"corpus worker exited with {self.proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("workers did not come up in 120 s")
            time.sleep(0.05)
        self.boot_s = time.perf_counter() - self.t0

    def snapshot(self) -> list[dict]:
        """Peak RSS and CPU of the dramatiq processes (the parent first)."""
        return [s for s in (proc_status(p) for p in process_tree(self.proc.pid)) if s]

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.logf.close()


# ------------------------------------------------------------------------------------ measures


def used_memory(client) -> int:
    return int(client.info("memory")["used_memory"])


def key_bytes(client, pattern: str) -> tuple[int, int]:
    """(keys, MEMORY USAGE sum) of the keys matching ``pattern``."""
    keys = list(client.scan_iter(match=pattern, count=5000))
    total = 0
    for i in range(0, len(keys), 1000):
        pipe = client.pipeline(transaction=False)
        for k in keys[i:i + 1000]:
            pipe.memory_usage(k, samples=0)
        total += sum(x or 0 for x in pipe.execute())
    return len(keys), total


def delete_namespace(client, namespace: str) -> None:
    batch = []
    for key in client.scan_iter(match=namespace + ":*", count=5000):
        batch.append(key)
        if len(batch) >= 1000:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)


def db_bytes(data_dir: Path) -> dict:
    path = data_dir / "corpus.db"
    if not path.exists():
        return {"bytes": 0}
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = {}
        try:
            for name, size in con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"):
                tables[name] = size
        except sqlite3.DatabaseError:
            pass
    finally:
        con.close()
    size = sum(p.stat().st_size for p in data_dir.glob("corpus.db*") if p.is_file() and not p.name.endswith(".lock"))
    return {"bytes": size, "by_object": tables}


def stage_ms(client, namespace: str) -> dict:
    from workers.ops import metrics

    stages = metrics.totals(client, namespace)["stages"]
    return {name: 1000 * s["sum"] / s["count"] for name, s in stages.items() if s["count"]}


# ------------------------------------------------------------------------------------ runs


class Bench:
    def __init__(self, args, tmp: Path):
        self.a = args
        self.tmp = tmp
        import redis

        if args.redis_url:
            self.server = None
            self.redis_url = args.redis_url
            self.client = redis.Redis.from_url(args.redis_url)
        else:
            self.server = PrivateRedis()
            self.redis_url = self.server.url
            self.client = self.server.client
        self.runs = 0
        self.databases: list[str] = []

    def close(self) -> None:
        if self.databases:
            self.drop_databases()
        if self.server is not None:
            self.server.stop()

    def fresh(self, label: str) -> tuple[dict, Path, str]:
        self.runs += 1
        ns = f"bench-tp-{uuid.uuid4().hex[:8]}"
        data = self.tmp / f"run{self.runs:02d}-{label}"
        data.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CORPUS_")}
        env.update(CORPUS_REDIS_URL=self.redis_url, CORPUS_DATA_DIR=str(data / "data"), CORPUS_NAMESPACE=ns,
                   PYTHONPATH=str(ROOT))
        if self.a.postgres:
            env["CORPUS_DATABASE_URL"] = self.fresh_database(ns.replace("-", "_"))
        if self.a.batch_size:
            env["CORPUS_BATCH_SIZE"] = str(self.a.batch_size)
        if self.server is not None:
            self.client.flushall()
        return env, data, ns

    def fresh_database(self, name: str) -> str:
        import psycopg

        base = self.a.postgres.rstrip("/") + "/"
        with psycopg.connect(base + "postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return base + name

    def drop_databases(self) -> None:
        import psycopg

        base = self.a.postgres.rstrip("/") + "/"
        with psycopg.connect(base + "postgres", autocommit=True) as connection:
            for name in self.databases:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.databases.clear()

    def redis_cpu(self) -> float:
        return proc_status(self.server.proc.pid).get("cpu_s", 0.0) if self.server is not None else 0.0

    def baseline(self, corpus_dir: Path) -> dict:
        r = run_timed([sys.executable, str(ROOT / "bench" / "baseline.py"), str(corpus_dir), "--json"], dict(os.environ),
                      ROOT, self.tmp / "baseline.out")
        if r["rc"] != 0:
            raise SystemExit(f"baseline failed: {r['stderr']}")
        inner = json.loads(r["stdout"].strip().splitlines()[-1])
        return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "peak_rss": r["peak_rss"], **inner}

    def enqueue(self, corpus_dir: Path, n: int) -> dict:
        env, data, ns = self.fresh("enqueue-empty")
        empty = self.tmp / "empty"
        empty.mkdir(exist_ok=True)
        start = run_timed([sys.executable, "-m", "ingest.cli", "ingest", str(empty), "--json"], env, ROOT, data / "out")
        env, data, ns = self.fresh("enqueue")
        r = run_timed([sys.executable, "-m", "ingest.cli", "ingest", str(corpus_dir), "--json"], env, ROOT, data / "out")
        if r["rc"] != 0:
            raise SystemExit(f"corpus ingest failed ({r['rc']}): {r['stderr']}")
        enq = json.loads(r["stdout"].strip().splitlines()[-1])["enqueued"]
        steady = r["wall_s"] - start["wall_s"]  # can be <= 0 on a loaded machine: then n/a
        delete_namespace(self.client, ns)
        steady_cpu = max(1e-9, r["cpu_s"] - start["cpu_s"])
        return {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "startup_s": start["wall_s"], "startup_cpu_s": start["cpu_s"],
                "enqueued": enq, "files_per_s": n / r["wall_s"], "files_per_s_steady": n / steady if steady > 0.05 else None,
                "files_per_cpu_s_steady": n / steady_cpu, "peak_rss": r["peak_rss"]}

    def ours(self, corpus_dir: Path, n: int, processes: int) -> dict:
        env, data, ns = self.fresh(f"p{processes}")
        # the store and index exist before the workers start (as in any deployment)
        workers = Workers(env, processes, self.a.threads, data / "workers.log", self.client, ns)
        try:
            load0 = os.getloadavg()[0]
            mem0 = used_memory(self.client)
            redis_cpu0 = self.redis_cpu()
            before = {s["pid"]: s["cpu_s"] for s in workers.snapshot()}
            r = run_timed([sys.executable, "-m", "ingest.cli", "ingest", str(corpus_dir), "--wait", "--json"], env, ROOT,
                          data / "out")
            procs = workers.snapshot()
            redis_cpu = self.redis_cpu() - redis_cpu0
            mem1 = used_memory(self.client)
            lsh_keys, lsh_bytes = key_bytes(self.client, f"{ns}:lsh:*")
            stages = stage_ms(self.client, ns)
        finally:
            workers.stop()
        if r["rc"] not in (0, 1):
            raise SystemExit(f"corpus ingest --wait failed ({r['rc']}): {r['stderr']}")
        summary = json.loads(r["stdout"])["summary"]
        dbb = db_bytes(data / "data") if not self.a.postgres else {"bytes": None}
        if self.server is None:
            delete_namespace(self.client, ns)
        worker_procs = [p for p in procs if p["pid"] != workers.proc.pid]
        cpu = sum(p["cpu_s"] - before.get(p["pid"], 0.0) for p in worker_procs)
        docs = summary["documents"]
        out = {
            "processes": processes, "threads": self.a.threads, "docs": docs, "wall_s": r["wall_s"],
            "docs_per_s": docs / r["wall_s"], "boot_s": workers.boot_s,
            "ingest_cpu_s": r["cpu_s"], "ingest_peak_rss": r["peak_rss"],
            "workers_cpu_s": cpu, "busy": cpu / (r["wall_s"] * processes),
            "redis_cpu_s": redis_cpu if self.server is not None else None,
            "cpu_ms_per_doc": 1000 * (cpu + r["cpu_s"] + (redis_cpu if self.server is not None else 0.0)) / docs if docs else None,
            "worker_peak_rss": [p["peak_rss"] for p in worker_procs],
            "parent_peak_rss": next((p["peak_rss"] for p in procs if p["pid"] == workers.proc.pid), 0),
            "stage_ms": stages,
            # share of the worker threads' wall time (N processes x T threads) inside pipeline stages; the rest is
            # waiting for the first messages (ingest start-up + first 500 records), queue fetches,
            # metrics, the GIL between a process's threads, and the --wait poll's last interval
            "stage_share": stages.get("total", 0.0) / 1000 * docs / (r["wall_s"] * processes * self.a.threads) if docs else None,
            "redis_bytes_per_doc": (mem1 - mem0) / docs if self.server is not None and docs else None,
            "lsh_bytes_per_doc": lsh_bytes / docs if docs else None, "lsh_keys": lsh_keys,
            "db_bytes_per_doc": dbb["bytes"] / docs if docs and dbb["bytes"] is not None else None, "db_objects": dbb.get("by_object", {}),
            "summary": {k: summary[k] for k in ("canonical", "duplicate", "failed", "pending")},
            "load_1m": load0,
        }
        shutil.rmtree(data / "data", ignore_errors=True)
        return out

    def in_process(self, corpus_dir: Path, limit: int) -> dict:
        """``pipeline.process`` in this process on the first ``limit`` files, sub-steps timed."""
        env, data, ns = self.fresh("inproc")
        saved = dict(os.environ)
        os.environ.update({k: v for k, v in env.items() if k.startswith("CORPUS_")})
        try:
            return _in_process(corpus_dir, limit)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            from workers import runtime as rtmod

            rtmod.reset()
            delete_namespace(self.client, ns)


def _in_process(corpus_dir: Path, limit: int) -> dict:
    from collections import defaultdict

    from ingest import readers
    from models.db import session_scope
    from models.documents import record
    import xxhash

    from bench.baseline import minhash_of
    from workers import pipeline
    from workers.steps import dedup, prepare
    from workers import runtime as rtmod

    rtmod.reset()
    rt = rtmod.runtime()
    rt.engine, rt.index  # schema and index parameters before the clock starts
    files = sorted(readers.walk([corpus_dir]))[:limit]
    spent: dict[str, float] = defaultdict(float)
    cpu_fp = [0.0, 0]
    texts: list[str] = []

    def timed(name, fn, keep=False):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            c = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t
                if name == "fingerprint":
                    cpu_fp[0] += time.process_time() - c
                    cpu_fp[1] += 1
                    texts.append(args[0])
        return wrapper

    originals = {"decode": prepare.decode_text, "clean": prepare.clean, "link": pipeline.link}
    fingerprint, compare = dedup.fingerprint, dedup.compare
    try:
        prepare.decode_text = timed("decode", originals["decode"])
        prepare.clean = timed("clean", originals["clean"])
        pipeline.link = timed("link (in SQL)", originals["link"])
        dedup.fingerprint = timed("fingerprint", fingerprint)
        dedup.compare = timed("compare", compare)
        rt.index.insert_and_query = timed("index (Redis)", rt.index.insert_and_query)

        t = time.perf_counter()
        batch, ids = [], []
        for path in files:
            batch.extend(readers.documents(path))
        spent["ingest: read files"] = time.perf_counter() - t
        t = time.perf_counter()
        for start in range(0, len(batch), 500):
            with session_scope(rt.engine) as session:
                ids += [doc_id for doc_id, _ in record(session, batch[start:start + 500])]
        spent["ingest: record"] = time.perf_counter() - t
        t = time.perf_counter()
        from workers.keys import QUEUE
        from workers.queue.messages import enqueue

        rt.broker.declare_queue(QUEUE)
        size = rt.settings.batch_size
        enqueue(rt.broker, ids, batch_size=size)
        spent["ingest: enqueue"] = time.perf_counter() - t

        stage: dict[str, float] = defaultdict(float)
        t = time.perf_counter()
        for start in range(0, len(ids), size):
            outcome = pipeline.process(rt, ids[start:start + size])
            for k, v in outcome.stage_seconds.items():
                stage[k] += v
        total = time.perf_counter() - t
    finally:
        prepare.decode_text, prepare.clean, pipeline.link = originals["decode"], originals["clean"], originals["link"]
        dedup.fingerprint, dedup.compare = fingerprint, compare
    n = len(ids)
    # MinHash alone, per core: CPU seconds of dedup.fingerprint on the cleaned texts, again
    c = time.process_time()
    for text in texts:
        fingerprint(text)
    fp_cpu = time.process_time() - c
    # The reference the target came from, on the same texts: datasketch MinHash(128) with a fast
    # hash (xxh32) and update_batch over word 5-grams, nothing else (no normalisation, no lead
    # sketch, no record). Its ceiling is ours: both spend most of their time in update_batch.
    c = time.process_time()
    for text in texts:
        minhash_of(text, hashfunc=xxhash.xxh32_intdigest)
    recipe_cpu = time.process_time() - c
    sig = signature_speed(texts)
    sub = {k: 1000 * v / n for k, v in spent.items()}
    return {
        "docs": n, "process_s": total, "docs_per_s": n / total if total else 0.0,
        "stage_ms": {k: 1000 * v / n for k, v in stage.items()},
        "sub_ms": sub,
        "minhash_docs_per_cpu_s": len(texts) / fp_cpu if fp_cpu else None,
        "minhash_recipe_docs_per_cpu_s": len(texts) / recipe_cpu if recipe_cpu else None,
        **sig,
    }


def signature_speed(texts: list[str], rounds: int = 3) -> dict:
    """The signature stage alone (full + lead sketch from the same shingle hashes), docs per
    CPU-second: ``workers.steps.signature`` next to datasketch ``MinHash.update_batch``, which
    gives the same values; best of ``rounds`` to damp a shared machine's noise."""
    from datasketch import MinHash

    from workers.steps import dedup, signature

    shingled = [dedup._shingle_hashes(dedup._tokens(dedup.normalise(t))) for t in texts]
    if not shingled:
        return {}
    full, lead = dedup._PERMUTATIONS, dedup._LEAD_PERMUTATIONS

    def numpy_sig(h, lh):
        signature.signature(h, dedup.NUM_PERM, dedup.SEED)
        signature.signature(lh, dedup.LEAD_PERM, dedup.LEAD_SEED)

    def datasketch_sig(h, lh):
        MinHash(num_perm=dedup.NUM_PERM, hashfunc=int, permutations=full, scheme="affine32").update_batch(h.tolist())
        MinHash(num_perm=dedup.LEAD_PERM, hashfunc=int, permutations=lead, scheme="affine32").update_batch(lh.tolist())

    out = {}
    for name, fn in (("signature_docs_per_cpu_s", numpy_sig), ("signature_datasketch_docs_per_cpu_s", datasketch_sig)):
        best = float("inf")
        for _ in range(rounds):
            c = time.process_time()
            for h, lh in shingled:
                fn(h, lh)
            best = min(best, time.process_time() - c)
        out[name] = len(shingled) / best if best else None
    out["signature_shingles_avg"] = sum(len(h) for h, _ in shingled) / len(shingled)
    out["signature_chars_avg"] = sum(map(len, texts)) / len(texts)
    return out


# ------------------------------------------------------------------------------------ report


def ratio_line(kind: str, base: dict, ours: list[dict]) -> dict:
    row = {"corpus": kind, "baseline_docs_per_s": base["docs"] / base["wall_s"]}
    row.update({f"events_share_p{o['processes']}": o["stage_ms"].get("events", 0) / o["stage_ms"]["total"]
                for o in ours if o["stage_ms"].get("total")})
    for o in ours:
        row[f"ours_p{o['processes']}_docs_per_s"] = o["docs_per_s"]
        row[f"ratio_p{o['processes']}"] = o["docs_per_s"] / row["baseline_docs_per_s"]
        row[f"cpu_ratio_p{o['processes']}"] = 1000 * base["cpu_s"] / base["docs"] / o["cpu_ms_per_doc"]
    target = TARGETS.get(kind)
    if target:
        want, at = target
        ratios = [row[f"ratio_p{o['processes']}"] for o in ours if at is None or o["processes"] == at]
        row["target"] = f">= {want}x" + (f" at p{at}" if at else "")
        row["met"] = bool(ratios) and max(ratios) >= want
    return row


def _num(x) -> str:
    return "n/a" if x is None else f"{x:.0f}"


def print_run(kind: str, info: dict, base: dict, enq: dict | None, ours: list[dict], inproc: dict | None) -> None:
    log(f"\n== {kind}: {info['docs']} docs ({info['html']} HTML, {info['bytes'] / info['docs'] / 1024:.1f} KiB/doc avg)")
    bps = base["docs"] / base["wall_s"]
    bcpu = base["cpu_s"] / base["docs"]
    log(f"  baseline (whole process) {base['wall_s']:7.2f}s  {bps:7.1f} docs/s   cpu {base['cpu_s']:.2f}s  "
        f"peak RSS {mib(base['peak_rss'])}  [loop {base['docs_per_s_loop']:.0f} docs/s; imports {base['import_s']:.2f}s; ms/doc "
        + " ".join(f"{k} {v:.2f}" for k, v in base["ms_per_doc"].items()) + f"; {base['duplicates']} dups]")
    if enq:
        log(f"  corpus ingest (no --wait) {enq['wall_s']:6.2f}s  {enq['files_per_s']:7.0f} files/s   "
            f"(start-up {enq['startup_s']:.2f}s, {enq['startup_cpu_s']:.2f} CPU-s; steady {_num(enq['files_per_s_steady'])} files/s, "
            f"{enq['files_per_cpu_s_steady']:.0f} files per CPU-s; cpu {enq['cpu_s']:.2f}s; "
            f"peak RSS {mib(enq['peak_rss'])})")
    for o in ours:
        st = o["stage_ms"]
        stage_txt = " ".join(f"{k} {v:.2f}" for k, v in st.items() if k != "total")
        rss = ", ".join(mib(x) for x in o["worker_peak_rss"])
        log(f"  ours p{o['processes']} t{o['threads']} ingest --wait {o['wall_s']:6.2f}s  {o['docs_per_s']:7.1f} docs/s  "
            f"x{o['docs_per_s'] / bps:.2f} of baseline   (boot {o['boot_s']:.1f}s before; load {o['load_1m']:.1f})")
        if st.get("total") and "events" in st:
            stage_txt += f" (events {100 * st['events'] / st['total']:.0f}% of the total)"
        log(f"      worker stage ms/doc (per process): {stage_txt}; total {st.get('total', 0):.2f} -> "
            f"{1000 / st['total'] * o['processes'] if st.get('total') else 0:.0f} docs/s if busy 100%; "
            f"stages fill {100 * (o['stage_share'] or 0):.0f}% of the worker threads' wall time")
        log(f"      workers busy {100 * o['busy']:.0f}% (cpu {o['workers_cpu_s']:.1f}s over {o['processes']} proc x "
            f"{o['wall_s']:.1f}s); cpu of ingest {o['ingest_cpu_s']:.2f}s"
            + (f", redis-server {o['redis_cpu_s']:.2f}s" if o["redis_cpu_s"] is not None else "")
            + f"; all processes {o['cpu_ms_per_doc']:.2f} ms CPU/doc (baseline {1000 * bcpu:.2f})")
        log(f"      peak RSS workers [{rss}], dramatiq parent {mib(o['parent_peak_rss'])}, ingest {mib(o['ingest_peak_rss'])}")
        rb = f"{o['redis_bytes_per_doc']:.0f}" if o["redis_bytes_per_doc"] is not None else "n/a"
        objs = ", ".join(f"{k} {v / o['docs'] / 1024:.1f}" for k, v in list(o["db_objects"].items())[:4])
        dbtxt = f"{o['db_bytes_per_doc'] / 1024:.1f}" if o["db_bytes_per_doc"] is not None else "n/a"
        log(f"      Redis {rb} B/doc (LSH keys {o['lsh_bytes_per_doc']:.0f} B/doc); SQLite {dbtxt} KiB/doc"
            + (f" ({objs} KiB/doc)" if objs else "") + f"; outcome {o['summary']}")
    if inproc:
        log(f"  in-process pipeline.process on {inproc['docs']} docs: {inproc['docs_per_s']:.0f} docs/s; "
            f"stages ms/doc " + " ".join(f"{k} {v:.2f}" for k, v in inproc["stage_ms"].items()))
        log("      sub-steps ms/doc: " + "; ".join(f"{k} {v:.2f}" for k, v in inproc["sub_ms"].items()))
        if inproc["minhash_docs_per_cpu_s"]:
            log(f"      MinHash (dedup.fingerprint) {inproc['minhash_docs_per_cpu_s']:.0f} docs per CPU-second "
                f"(target >= {MINHASH_TARGET}); the datasketch recipe alone (xxh32, update_batch, word 5-grams) "
                f"{inproc['minhash_recipe_docs_per_cpu_s']:.0f} on the same texts")
        if inproc.get("signature_docs_per_cpu_s"):
            log(f"      signature stage alone (128 + 12 permutations, {inproc['signature_shingles_avg']:.0f} shingles, "
                f"{inproc['signature_chars_avg'] / 1000:.1f} K chars avg): numpy {inproc['signature_docs_per_cpu_s']:.0f} "
                f"docs per CPU-second (target >= {SIGNATURE_TARGET}), datasketch update_batch "
                f"{inproc['signature_datasketch_docs_per_cpu_s']:.0f}: "
                f"x{inproc['signature_docs_per_cpu_s'] / inproc['signature_datasketch_docs_per_cpu_s']:.2f}")


def main(argv=None) -> None:
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=None, help="documents per corpus (default 2000; --quick 400)")
    ap.add_argument("--quick", action="store_true", help="400 docs, 100-doc in-process sample")
    ap.add_argument("--corpora", default="text,html,mixed,real", help="comma-separated: text, html, mixed, real")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker process counts")
    ap.add_argument("--threads", type=int, default=2, help="threads per worker process (corpus worker's default: 2)")
    ap.add_argument("--batch-size", type=int, default=None, help="CORPUS_BATCH_SIZE for the run (default: the product's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=1, help="baseline then ours, this many times per corpus (A B A B)")
    ap.add_argument("--stage-docs", type=int, default=None, help="in-process sample size (0: skip; default 300, --quick 100)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-enqueue", action="store_true", help="skip the ingest-without---wait measurement")
    ap.add_argument("--real-identical", action="store_true", help="repeat the real pages byte for byte")
    ap.add_argument("--bench-dir", type=Path, default=EXTRACTION_BENCH,
                    help="article-extraction benchmark dir (default ../shared/benchmarks/article-extraction)")
    ap.add_argument("--postgres", default=None, metavar="URL",
                    help="PostgreSQL server URL (e.g. postgresql://postgres@127.0.0.1:5432/): a fresh database per run")
    ap.add_argument("--redis-url", default=None, help="use this Redis (unique namespace) instead of a private one")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (corpora, logs)")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                    help="also write all figures as JSON to FILE (or standard output: '-', the text goes to stderr)")
    a = ap.parse_args(argv)
    ARGS = a
    n = a.docs or (400 if a.quick else 2000)
    stage_docs = a.stage_docs if a.stage_docs is not None else (100 if a.quick else 300)
    kinds = [k.strip() for k in a.corpora.split(",") if k.strip()]
    for k in kinds:
        if k not in CORPORA:
            raise SystemExit(f"unknown corpus {k!r} (choose from {', '.join(CORPORA)})")
    procs = [int(x) for x in a.workers.split(",")]

    from bench.common import terminate_on_sigterm

    terminate_on_sigterm()
    info = machine()
    log(machine_info(info))
    tmp = Path(tempfile.mkdtemp(prefix="corpus-throughput-"))
    bench = None
    result = {"machine": info, "args": {k: str(v) for k, v in vars(a).items()}, "docs": n, "corpora": {}, "summary": []}
    try:
        bench = Bench(a, tmp)
        store = f"PostgreSQL, a fresh database per run on {a.postgres}" if a.postgres else f"SQLite (WAL) in {tmp}"
        log(f"redis: {'private redis-server (unix socket)' if bench.server else a.redis_url}; store: {store}; "
            f"worker threads {a.threads}; batch size {a.batch_size or 'default'}")
        for kind in kinds:
            cdir = tmp / f"corpus-{kind}"
            cinfo = write_corpus(kind, n, cdir, seed=a.seed, bench_dir=a.bench_dir, identical=a.real_identical)
            for r in range(a.rounds):  # A B A B: the script, then the service, again, under the same load
                label = kind if a.rounds == 1 else f"{kind}#{r + 1}"
                base = bench.baseline(cdir) if not a.no_baseline else None
                enq = bench.enqueue(cdir, cinfo["docs"]) if not a.no_enqueue and r == 0 else None
                ours = [bench.ours(cdir, cinfo["docs"], p) for p in procs]
                inproc = bench.in_process(cdir, stage_docs) if stage_docs and r == a.rounds - 1 else None
                if base:
                    print_run(label, cinfo, base, enq, ours, inproc)
                    result["summary"].append(ratio_line(label, base, ours))
                else:
                    print_run(label, cinfo, {"docs": 1, "wall_s": 1, "cpu_s": 0, "peak_rss": 0, "docs_per_s_loop": 0,
                                             "import_s": 0, "ms_per_doc": {}, "duplicates": 0}, enq, ours, inproc)
                result["corpora"][label] = {"corpus": cinfo, "baseline": base, "enqueue": enq, "ours": ours,
                                            "in_process": inproc}
            if not a.keep:
                shutil.rmtree(cdir, ignore_errors=True)
        if result["summary"]:
            log("\n== summary: documents/s of whole processes (ours: corpus ingest --wait with warm workers)")
            log("  (ratio: ours/baseline documents/s by wall clock; cpu_ratio: baseline CPU-seconds per doc / ours, all processes)")
            cols = ([f"ours_p{p}_docs_per_s" for p in procs] + [f"ratio_p{p}" for p in procs]
                    + [f"cpu_ratio_p{p}" for p in procs])
            log(f"  {'corpus':8} {'baseline':>9} " + " ".join(f"{c.replace('_docs_per_s', ''):>12}" for c in cols) + "  target")
            for row in result["summary"]:
                met = "" if "met" not in row else ("MET" if row["met"] else "NOT MET")
                log(f"  {row['corpus']:8} {row['baseline_docs_per_s']:9.1f} "
                    + " ".join(f"{row.get(c, float('nan')):12.2f}" for c in cols) + f"  {row.get('target', '')} {met}")
        enq_rates = [c["enqueue"]["files_per_s"] for c in result["corpora"].values() if c["enqueue"]]
        if enq_rates:
            steady = [c["enqueue"]["files_per_cpu_s_steady"] for c in result["corpora"].values() if c["enqueue"]]
            log(f"  corpus ingest without --wait: {min(enq_rates):.0f}-{max(enq_rates):.0f} files/s whole command, "
                f"{min(steady):.0f}-{max(steady):.0f} files per CPU-second after start-up (target >= {ENQUEUE_TARGET} files/s: "
                f"{'MET' if min(enq_rates) >= ENQUEUE_TARGET else 'NOT MET'})")
        mh = [c["in_process"]["minhash_docs_per_cpu_s"] for c in result["corpora"].values()
              if c["in_process"] and c["in_process"]["minhash_docs_per_cpu_s"]]
        if mh:
            recipe = [c["in_process"]["minhash_recipe_docs_per_cpu_s"] for c in result["corpora"].values()
                      if c["in_process"] and c["in_process"]["minhash_recipe_docs_per_cpu_s"]]
            log(f"  MinHash: {min(mh):.0f}-{max(mh):.0f} docs per CPU-second (target >= {MINHASH_TARGET}: "
                f"{'MET' if min(mh) >= MINHASH_TARGET else 'NOT MET'}); the bare datasketch recipe on the same texts: "
                f"{min(recipe):.0f}-{max(recipe):.0f}")
        sg = [(c["in_process"]["signature_docs_per_cpu_s"], c["in_process"]["signature_datasketch_docs_per_cpu_s"])
              for c in result["corpora"].values() if c["in_process"] and c["in_process"].get("signature_docs_per_cpu_s")]
        if sg:
            log(f"  signature stage: numpy {min(x for x, _ in sg):.0f}-{max(x for x, _ in sg):.0f} docs per CPU-second "
                f"(target >= {SIGNATURE_TARGET}: {'MET' if min(x for x, _ in sg) >= SIGNATURE_TARGET else 'NOT MET'}); "
                f"datasketch update_batch on the same shingles {min(y for _, y in sg):.0f}-{max(y for _, y in sg):.0f}")
        result["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
        log(f"  load average at the end: {result['machine']['load_end']}")
    finally:
        if bench is not None:
            bench.close()
        if a.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        text = json.dumps(result, indent=1, default=float)
        if a.json == "-":
            print(text)
        else:
            Path(a.json).write_text(text)


if __name__ == "__main__":
    main()
