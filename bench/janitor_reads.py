"""What the janitor's dead-letter round and the status report's queue figures cost when there
is little to do, on a private redis-server: a keyspace of other keys (the duplicate index's,
``--keys``), dead letters none of which is retryable (``--dead``: bad input kept for a person),
a few workers holding messages.

    .venv/bin/python bench/janitor_reads.py [--keys 200000] [--dead 2000] [--rounds 20]

Before (the code as it was, inlined here): ``queue_stats`` found the ack sets by SCAN over the
whole keyspace; ``retry_dead_letters`` read the oldest 500 dead letters and their reasons every
round. After: the ack sets from dramatiq's heartbeat set (a worker leaves it only once its ack
sets are given back), and only the dead letters of an outage (their set) are read. Prints, per
call, the Redis commands the server counted (INFO commandstats), the bytes it sent back, and
the time, A B A B.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_info, private_redis, terminate_on_sigterm  # noqa: E402

NAMESPACE = "bench"
WORKERS = 4


def before_queue_stats(client, namespace: str, queue: str) -> dict:
    """queue_stats's in-flight and held figures as they were read before (SCAN)."""
    in_flight = sum(client.scard(k) for k in client.scan_iter(match=f"{namespace}:__acks__.*.{queue}", count=1000))
    held = sum(client.scard(k) for k in client.scan_iter(match=f"{namespace}:__acks__.*.{queue}.DQ", count=1000))
    return {"ready": client.llen(f"{namespace}:{queue}"), "in_flight": in_flight, "held": held}


def before_retry_reads(client, namespace: str) -> int:
    """What retry_dead_letters read before deciding anything: the oldest 500 and their reasons."""
    from workers.keys import QUEUE, broker_namespace, reasons_key

    xq = f"{broker_namespace(namespace)}:{QUEUE}.XQ"
    ids = [i.decode() for i in client.zrange(xq, 0, 499)]
    if not ids:
        return 0
    pipe = client.pipeline(transaction=False)
    pipe.hmget(f"{xq}.msgs", ids)
    pipe.hmget(reasons_key(namespace), ids)
    raws, _ = pipe.execute()
    return sum(1 for r in raws if r)


def fill(client, keys: int, dead: int) -> None:
    from workers.keys import QUEUE, broker_namespace
    from workers.queue.dead_letters import record_reason

    bns = broker_namespace(NAMESPACE)
    pipe = client.pipeline(transaction=False)
    for i in range(keys):  # the index's keys share the Redis
        pipe.sadd(f"{NAMESPACE}:lsh:b{i % 64}:{i}", i)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    now = time.time()
    for i in range(dead):
        rid = str(uuid.uuid4())
        body = json.dumps({"queue_name": QUEUE, "actor_name": "process_documents", "args": [[i]], "kwargs": {},
                           "options": {"redis_message_id": rid, "retries": 0}, "message_id": rid,
                           "message_timestamp": int(now * 1000)})
        pipe.zadd(f"{bns}:{QUEUE}.XQ", {rid: now})
        pipe.hset(f"{bns}:{QUEUE}.XQ.msgs", rid, body)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    rids = [r.decode() for r in client.zrange(f"{bns}:{QUEUE}.XQ", 0, -1)]
    for rid in rids:  # every one of them a bug, not an outage
        record_reason(client, NAMESPACE, rid, None, "ValueError: a bad page", outage=False)
    for w in range(WORKERS):
        worker = str(uuid.uuid4())
        client.zadd(f"{bns}:__heartbeats__", {worker: now * 1000})
        client.sadd(f"{bns}:__acks__.{worker}.{QUEUE}", *[str(uuid.uuid4()) for _ in range(4)])


def commands(client) -> int:
    return sum(int(v["calls"]) for k, v in client.info("commandstats").items() if k.startswith("cmdstat_"))


def sent(client) -> int:
    return int(client.info("stats").get("total_net_output_bytes", 0))


def measure(client, fn, rounds: int) -> tuple[float, float, float]:
    """(commands, bytes sent, seconds) per call; INFO's own calls are subtracted."""
    c0, b0 = commands(client), sent(client)
    t0 = time.perf_counter()
    for _ in range(rounds):
        fn()
    seconds = (time.perf_counter() - t0) / rounds
    c1 = commands(client)
    b1 = sent(client)
    return (c1 - c0 - 1) / rounds, (b1 - b0) / rounds, seconds


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=200_000)
    ap.add_argument("--dead", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args(argv)
    terminate_on_sigterm()
    from sqlalchemy import create_engine

    from workers.keys import QUEUE, broker_namespace
    from workers.queue.selfheal import SelfHeal
    from workers.queue.stats import queue_stats

    print(machine_info())
    with private_redis() as server:
        client = server.client
        fill(client, a.keys, a.dead)
        print(f"keyspace {client.dbsize()} keys, {a.dead} dead letters (none retryable), {WORKERS} workers")
        engine = create_engine("sqlite://")
        heal = SelfHeal(client, NAMESPACE, engine=lambda: engine, index=lambda: None, broker=lambda: None,
                        batch_size=256, grace_s=30)
        bns = broker_namespace(NAMESPACE)
        assert before_queue_stats(client, bns, QUEUE)["in_flight"] == queue_stats(client, bns, QUEUE)["in_flight"]
        pairs = {
            "queue_stats": (lambda: before_queue_stats(client, bns, QUEUE), lambda: queue_stats(client, bns, QUEUE)),
            "dead-letter round": (lambda: before_retry_reads(client, NAMESPACE), lambda: heal.retry_dead_letters({})),
        }
        for name, (before, after) in pairs.items():
            rows = []
            for label, fn in (("A before", before), ("B after", after), ("A before", before), ("B after", after)):
                rows.append((label, *measure(client, fn, a.rounds)))
            print(f"\n{name} ({a.rounds} calls each):")
            for label, n, b, s in rows:
                print(f"  {label:9} {n:8.1f} commands  {b / 1024:9.1f} KiB sent  {s * 1000:8.2f} ms")
            b_s = sum(r[3] for r in rows if r[0].startswith("A")) / sum(r[3] for r in rows if r[0].startswith("B"))
            b_kb = sum(r[2] for r in rows if r[0].startswith("A")) / max(1.0, sum(r[2] for r in rows if r[0].startswith("B")))
            print(f"  before/after: time x{b_s:.1f}, bytes sent x{b_kb:.1f}")


if __name__ == "__main__":
    main()
