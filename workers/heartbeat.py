"""Which worker processes are alive, and what they report from inside dramatiq.

dramatiq's own ``__heartbeats__`` set is written by every process that talks to the broker,
producers included, so it cannot tell workers from ``corpus ingest``. Worker processes
announce themselves here instead, every few seconds, and leave on a clean shutdown.

The same middleware is the workers' eye for operations (``corpus status``, ``corpus dlq``,
``corpus serve``): it counts actor exceptions, records why a message was dead-lettered
(the final attempt's traceback, which dramatiq does not keep with the dead letter), and
samples the queue depth once a minute into the history the dashboard draws.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid

from dramatiq.middleware import Middleware
from redis import Redis

BEAT_S = 2.0
STALE_S = 10.0
STALE_WINDOW_S = 300.0  # a worker that stopped beating without leaving counts as stale this long
FORGET_S = 3600.0
SAMPLE_S = 15.0

log = logging.getLogger("corpus.heartbeat")


def registry_key(namespace: str) -> str:
    return f"{namespace}:workers"


def sampler_lock_key(namespace: str) -> str:
    return f"{namespace}:metrics:sampler"


class WorkerRegistry(Middleware):
    def __init__(self, client: Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
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
        next_sample = 0.0
        while not self.stop.is_set():
            try:
                self.client.zadd(self.key, {self.worker_id: time.time()})
            except Exception:  # Redis restarting: the next beat will do
                pass
            if time.monotonic() >= next_sample:
                next_sample = time.monotonic() + SAMPLE_S
                self._sample()
            self.stop.wait(BEAT_S)

    def _sample(self) -> None:
        """One worker in the fleet samples the queue depth per SAMPLE_S (a short lock)."""
        try:
            if not self.client.set(sampler_lock_key(self.namespace), self.worker_id, nx=True, ex=int(SAMPLE_S) - 1):
                return
            from workers.metrics import sample_queues
            from workers.runtime import runtime

            sample_queues(self.client, runtime().settings)
        except Exception as exc:
            log.debug("queue sample skipped: %s", exc)

    def before_worker_shutdown(self, broker, worker) -> None:
        self.stop.set()
        if self.thread is not None:  # a beat under way must not re-add us after we leave
            self.thread.join(timeout=BEAT_S + 5)
        try:
            self.client.zrem(self.key, self.worker_id)
        except Exception:
            pass

    # Messages: exceptions and dead letters (best effort; never raise from here).

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        if exception is not None:
            from workers.metrics import count_event

            count_event(self.client, self.namespace, "message_errors")

    def after_nack(self, broker, message) -> None:
        from workers.dlq import error_line, record_reason
        from workers.metrics import count_event

        count_event(self.client, self.namespace, "dead_lettered")
        try:
            options = message.options
            tb = options.get("traceback")
            exception = getattr(message, "_exception", None)
            error = f"{type(exception).__name__}: {exception}" if exception is not None else error_line(tb)
            record_reason(self.client, self.namespace, options["redis_message_id"], tb, error)
        except Exception as exc:
            log.warning("could not record why message %s was dead-lettered: %s",
                        getattr(message, "message_id", "?"), exc)


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
