"""How long a SIGKILLed worker's in-flight messages take to be delivered again.

    python bench/recovery.py [--runs 3] [--heartbeat-ms 15000]

Each run: a fresh corpus (SQLite in a temporary folder, a temporary ``redis-server`` unless
CORPUS_REDIS_URL is set, then a namespace of its own), one ``corpus worker`` (1 process, 2
threads), four long documents, one per message. Once the worker holds all four messages
in flight it is SIGKILLed (its whole process group) and a second worker is started. The
report: seconds from the kill until every one of the four messages was fetched again by
the live worker ("recovered"), and until the four documents were settled ("settled").
With the default heartbeat timeout (CORPUS_HEARTBEAT_TIMEOUT_MS=15000) recovery is the
timeout plus at most the janitor's 2 s round and a 1 s poll; dramatiq's own maintenance
alone took many minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CorpusEnv  # noqa: E402
from tests.support import servers  # noqa: E402
from tests.support.reliability import Fleet, acked, caught_holding, ledger, slow_documents  # noqa: E402


def one_run(redis_url: str, heartbeat_ms: int, workdir: Path) -> dict:
    import redis

    env = CorpusEnv(data_dir=workdir / "data", redis_url=redis_url, database_url=None,
                    namespace=f"bench-recovery-{uuid.uuid4().hex[:8]}",
                    extra={"CORPUS_BATCH_SIZE": "1", "CORPUS_HEARTBEAT_TIMEOUT_MS": str(heartbeat_ms)})
    slow_documents(workdir / "in", 4, seed=int(time.time()))
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    fleet = Fleet(logs)
    client = redis.Redis.from_url(redis_url)
    try:
        assert env.run("ingest", str(workdir / "in")).returncode == 0
        victim = fleet.start(env)
        victim_id, in_flight = caught_holding(env, client, 4)
        fleet.kill(victim)
        killed = time.monotonic()
        fleet.start(env, wait=False)
        recovered = None
        while True:
            others = set().union(*[ids for b, ids in acked(client, env).items() if b != victim_id] or [set()])
            state = ledger(env)
            if recovered is None and (in_flight <= others or state["unsettled"] == 0):
                recovered = time.monotonic() - killed
            if state["unsettled"] == 0:
                break
            if time.monotonic() - killed > 600:
                raise TimeoutError("not recovered after 600 s")
            time.sleep(0.1)
        return {"recovered_s": round(recovered, 1), "settled_s": round(time.monotonic() - killed, 1)}
    finally:
        fleet.stop_all()
        servers.delete_namespace(redis_url, env.namespace)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heartbeat-ms", type=int, default=int(os.environ.get("CORPUS_HEARTBEAT_TIMEOUT_MS", 15000)))
    args = parser.parse_args(argv)
    server = None
    redis_url = os.environ.get("CORPUS_REDIS_URL")
    if not redis_url:
        server = servers.start_redis()
        redis_url = server.url
    results = []
    try:
        for i in range(args.runs):
            workdir = Path(tempfile.mkdtemp(prefix="corpus-bench-recovery-"))
            try:
                result = one_run(redis_url, args.heartbeat_ms, workdir)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            results.append(result)
            print(f"run {i + 1}: in-flight messages delivered again {result['recovered_s']} s after SIGKILL, "
                  f"all settled after {result['settled_s']} s", file=sys.stderr)
    finally:
        if server is not None:
            server.kill()
            shutil.rmtree(server.directory, ignore_errors=True)
    recovered = [r["recovered_s"] for r in results]
    print(json.dumps({"heartbeat_timeout_ms": args.heartbeat_ms, "runs": results,
                      "recovered_s": {"min": min(recovered), "max": max(recovered),
                                      "mean": round(sum(recovered) / len(recovered), 1)}}))


if __name__ == "__main__":
    main()
