"""How long the fleet takes to mend itself after a Redis without persistence restarts mid-run.

    python bench/selfheal.py [--docs 2075] [--grace 30 5] [--delay 2]

The issue's scenario: a fresh corpus (SQLite in a temporary folder, a private
``redis-server`` without persistence), ``--docs`` generated documents (40 % copies)
ingested, one ``corpus worker`` (1 process, 2 threads) started, and Redis restarted
``--delay`` seconds later: the queue and the index are gone. Reported per stranded grace
(``CORPUS_STRANDED_GRACE_S``, the default 30 s and a short one side by side): how many
documents were unsettled at the restart, seconds from Redis's return until every document
settled, the repairs counted, whether ``corpus verify`` is clean, and whether the clusters
equal a calm run's (the same files processed in-process, one batch after another). Before
the self-repair those documents stayed pending until someone ran ``corpus verify --repair``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, machine_info  # noqa: E402
from bench.corpus import generate  # noqa: E402
from tests.conftest import CorpusEnv  # noqa: E402
from tests.support import servers  # noqa: E402
from tests.support.reliability import Fleet, clusters, dispose, ledger, write_texts  # noqa: E402


def calm(paths: list[Path], redis_url: str, workdir: Path) -> set:
    """The calm run's clusters, in a subprocess of its own environment."""
    from tests.support.reliability import read_calm_run, start_calm_run

    env = CorpusEnv(data_dir=workdir / "calm", redis_url=redis_url, database_url=None,
                    namespace=f"bench-{uuid.uuid4().hex[:10]}")
    out = workdir / "calm.json"
    try:
        return read_calm_run(start_calm_run(env, paths, out), out, timeout=900)
    finally:
        servers.delete_namespace(redis_url, env.namespace)


def one_run(docs: int, grace: float, delay: float, workdir: Path) -> dict:
    server = servers.start_redis(persist=False)
    fleet = Fleet(workdir / "logs")
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    env = CorpusEnv(data_dir=workdir / "data", redis_url=server.url, database_url=None,
                    namespace=f"bench-{uuid.uuid4().hex[:10]}", extra={"CORPUS_STRANDED_GRACE_S": str(grace)})
    try:
        paths = write_texts(workdir / "in", generate(docs, seed=21, copy_ratio=0.4))
        assert env.run("ingest", str(workdir / "in")).returncode == 0
        fleet.start(env)
        time.sleep(delay)
        unsettled = ledger(env)["unsettled"]
        server.stop()
        server.start()
        back = time.monotonic()
        deadline = back + 600
        while time.monotonic() < deadline:
            state = ledger(env)
            if state["total"] >= docs and state["unsettled"] == 0:
                break
            time.sleep(0.5)
        settled_s = time.monotonic() - back
        report = json.loads(env.run("status", "--json").stdout)
        verified = env.run("verify", "--json")
        result = {"grace_s": grace, "unsettled_at_restart": unsettled, "settled_after_return_s": round(settled_s, 1),
                  "ledger": ledger(env), "repairs": {k: v for k, v in report["repairs"].items() if k != "last"},
                  "verify_ok": verified.returncode == 0, "clusters": clusters(env)}
        fleet.stop_all()
        result["same_clusters_as_calm"] = result.pop("clusters") == calm(paths, server.url, workdir)
        return result
    finally:
        fleet.stop_all()
        dispose(env)
        server.kill()
        shutil.rmtree(server.directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2075)
    parser.add_argument("--grace", type=float, nargs="+", default=[30.0, 5.0])
    parser.add_argument("--delay", type=float, default=2.0)
    args = parser.parse_args()
    print(machine_info(machine()))
    rows = []
    for grace in args.grace:
        with tempfile.TemporaryDirectory(prefix="corpus-bench-selfheal-") as tmp:
            rows.append(one_run(args.docs, grace, args.delay, Path(tmp)))
        print(json.dumps(rows[-1]), flush=True)
    print(f"{'grace s':>8} {'unsettled at restart':>21} {'settled after return s':>23} {'rebuilds':>9} "
          f"{'re-enqueued':>12} {'verify':>7} {'= calm':>7}")
    for r in rows:
        print(f"{r['grace_s']:>8g} {r['unsettled_at_restart']:>21} {r['settled_after_return_s']:>23} "
              f"{r['repairs']['index_rebuilds']:>9} {r['repairs']['stranded_requeued']:>12} "
              f"{'ok' if r['verify_ok'] else 'NOT OK':>7} {str(r['same_clusters_as_calm']):>7}")


if __name__ == "__main__":
    main()
