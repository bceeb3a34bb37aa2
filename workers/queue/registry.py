"""Which worker processes are alive.

dramatiq's own ``__heartbeats__`` set is written by every process that talks to the broker,
producers included, so it cannot tell workers from ``corpus ingest``. Worker processes
announce themselves here instead (``<ns>:workers``, a zset of member JSON -> last beat),
every couple of seconds, and leave on a clean shutdown.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

from dramatiq.middleware import Middleware
from redis import Redis

from workers.keys import registry_key

BEAT_S = 2.0
STALE_S = 10.0
STALE_WINDOW_S = 300.0  # a worker that stopped beating without leaving counts as stale this long
FORGET_S = 3600.0


class WorkerRegistry(Middleware):
    def __init__(self, client: Redis, namespace: str) -> None:
        self.client = client
        self.key = registry_key(namespace)
        self.worker_id = ""
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def after_worker_boot(self, broker, worker) -> None:
        self.worker_id = json.dumps(
            {"host": socket.gethostname(), "pid": os.getpid(), "id": uuid.uuid4().hex[:8],
             "threads": worker.worker_threads}
        )
        self.thread = threading.Thread(target=self._beat, name="corpus-heartbeat", daemon=True)
        self.thread.start()

    def _beat(self) -> None:
        while not self.stop.is_set():
            try:
                self.client.zadd(self.key, {self.worker_id: time.time()})
            except Exception:  # Redis restarting: the next beat will do
                pass
            self.stop.wait(BEAT_S)

    def before_worker_shutdown(self, broker, worker) -> None:
        self.stop.set()
        if self.thread is not None:  # a beat under way must not re-add us after we leave
            self.thread.join(timeout=BEAT_S + 5)
        try:
            self.client.zrem(self.key, self.worker_id)
        except Exception:
            pass


def _decode(member) -> dict:
    try:
        return json.loads(member)
    except ValueError:
        return {"id": str(member)}


def alive_workers(client: Redis, namespace: str, *, now: float | None = None) -> list[dict]:
    """Workers whose last beat is fresher than STALE_S, each with ``age_s`` of that beat."""
    now = time.time() if now is None else now
    key = registry_key(namespace)
    client.zremrangebyscore(key, 0, now - FORGET_S)
    workers = []
    for member, beat in client.zrangebyscore(key, now - STALE_S, "+inf", withscores=True):
        info = _decode(member)
        info["age_s"] = round(now - beat, 1)
        workers.append(info)
    return workers


def stale_workers(client: Redis, namespace: str, *, now: float | None = None) -> list[dict]:
    """Workers that stopped beating without leaving (killed, machine gone) in the last
    STALE_WINDOW_S, each with ``age_s`` of its last beat."""
    now = time.time() if now is None else now
    workers = []
    for member, beat in client.zrangebyscore(registry_key(namespace), now - STALE_WINDOW_S, f"({now - STALE_S}",
                                             withscores=True):
        info = _decode(member)
        info["age_s"] = round(now - beat, 1)
        workers.append(info)
    return workers
