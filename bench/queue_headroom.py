"""The queue's headroom: Redis CPU per message of dramatiq's Redis broker, as corpus uses it
(one message per batch of CORPUS_BATCH_SIZE document ids), on a private redis-server.

    .venv/bin/python bench/queue_headroom.py [--messages 5000] [--batch 16]

Enqueues the messages (``workers.queue.messages.enqueue``), then consumes and acks them with
dramatiq's consumer, and reads the server's own CPU time (INFO used_cpu_user + used_cpu_sys)
around each phase: the broker's share of one Redis core per message, whatever the client's
speed. Messages per second one Redis core can carry = 1 / (CPU seconds per message).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_info, private_redis, terminate_on_sigterm  # noqa: E402


def cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=16, help="document ids per message (CORPUS_BATCH_SIZE)")
    a = ap.parse_args(argv)
    terminate_on_sigterm()
    from workers.keys import QUEUE
    from workers.queue.broker import make_broker
    from workers.queue.messages import enqueue

    print(machine_info())
    with private_redis() as server:
        client = server.client
        broker = make_broker("bench-queue", client, heartbeat_timeout_ms=15_000)
        broker.declare_queue(QUEUE)
        ids = list(range(1, a.messages * a.batch + 1))
        c0, t0 = cpu(client), time.perf_counter()
        enqueue(broker, ids, batch_size=a.batch)
        c1, t1 = cpu(client), time.perf_counter()
        consumer = broker.consume(QUEUE, prefetch=64, timeout=1000)
        done = 0
        for message in consumer:
            if message is None:
                if done >= a.messages:
                    break
                continue
            consumer.ack(message)
            done += 1
            if done >= a.messages:
                break
        consumer.close()
        c2, t2 = cpu(client), time.perf_counter()
        memory = int(client.info("memory")["used_memory"])
    per_message = (c2 - c0) / a.messages
    print(f"{a.messages} messages of {a.batch} ids: enqueue {(c1 - c0) / a.messages * 1e6:.0f} us, "
          f"consume+ack {(c2 - c1) / a.messages * 1e6:.0f} us of Redis CPU per message "
          f"(client wall: {t1 - t0:.2f} s, {t2 - t1:.2f} s)")
    print(f"one Redis core: {1 / per_message:,.0f} messages/s = {a.batch / per_message:,.0f} documents/s "
          f"at {a.batch} per message; used_memory after: {memory / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
