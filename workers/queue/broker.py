"""The dramatiq broker: Redis, JSON messages carrying document ids only, fast redelivery.

dramatiq's defaults recover a dead worker's messages only after a rare random maintenance
run (one command in a thousand) past a 60 s heartbeat timeout: many minutes in practice.
We shorten the heartbeat timeout and make maintenance frequent; and since that
maintenance only ever looks at the queue being dispatched, and only when a live consumer
dispatches on it, every worker also runs a janitor (``workers.queue.janitor.Janitor``) that hands
a dead worker's messages back within 2 s of its heartbeat timeout.

``make_broker`` takes the middleware the caller assembled (``workers.runtime``): the broker
knows nothing of what the middleware does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.encoder import JSONEncoder
from dramatiq.middleware import Middleware, default_middleware
from dramatiq.middleware.retries import Retries
from redis import Redis

from workers.keys import broker_namespace

log = logging.getLogger("corpus.broker")

MAINTENANCE_CHANCE = 50_000  # per million broker commands; idle consumers poll every second


class RedisSafeRetries(Retries):
    """dramatiq's Retries, except that a retry which cannot be enqueued because Redis is
    restarting is tried again until Redis answers (as dramatiq does for the ack that
    follows). Otherwise the ack drops the failed message, and its documents with it."""

    def after_process_message(self, broker, message, *, result=None, exception=None):
        options = dict(message.options)
        while True:
            try:
                return super().after_process_message(broker, message, result=result, exception=exception)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("could not enqueue the retry of %s (%s); trying again", message.message_id, exc)
                message.options.clear()
                message.options.update(options)
                time.sleep(1.0)


class CorpusBroker(RedisBroker):
    """dramatiq's RedisBroker, except that a delay-queue consumer starting again hands back
    the delayed messages its thread no longer holds.

    dramatiq keeps delayed messages (retries waiting out their backoff) in the consumer
    thread's memory, their ids in this worker's ack set in Redis. A connection error (Redis
    restarted) makes the thread drop that memory and start a new consumer; the ids would stay
    in the ack set of a live worker, which no janitor touches, until the worker exits."""

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000):
        consumer = super().consume(queue_name, prefetch, timeout)
        if queue_name.endswith(".DQ"):
            try:
                self.requeue_dropped_delayed(queue_name)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                raise dramatiq.ConnectionClosed(exc) from None  # dramatiq's consumer thread retries
        return consumer

    def requeue_dropped_delayed(self, queue_name: str) -> int:
        """Requeue the ids in this worker's ack set of ``queue_name`` that the calling consumer
        thread does not hold; returns how many."""
        delay_queue = getattr(threading.current_thread(), "delay_queue", None)
        held = {item.message.options.get("redis_message_id") for item in list(getattr(delay_queue, "queue", ()))}
        acked = self.client.smembers(f"{self.namespace}:__acks__.{self.broker_id}.{queue_name}")
        lost = [m.decode() if isinstance(m, bytes) else m for m in acked]
        lost = [m for m in lost if m not in held]
        if lost:
            log.warning("requeueing %d delayed message(s) dropped by a reconnecting consumer", len(lost))
            self.do_requeue(queue_name, *lost)
        return len(lost)


def make_broker(namespace: str, client: Redis, *, heartbeat_timeout_ms: int,
                middleware: Iterable[Middleware] = (), max_retries: int = 8,
                max_backoff_ms: int = 60_000) -> RedisBroker:
    """dramatiq's default middleware (its Retries made Redis-safe) and then ``middleware``.

    The retry budget (``CORPUS_MAX_RETRIES``, ``CORPUS_MAX_BACKOFF_MS``): backoff doubles from
    1 s up to the cap, so the defaults wait out about two minutes of outage before a message
    is dead-lettered (and then retried by the janitor once the dependency is back)."""
    stack = [m() for m in default_middleware if m is not Retries]
    stack.append(RedisSafeRetries(max_retries=max_retries, min_backoff=1_000, max_backoff=max_backoff_ms))
    broker = CorpusBroker(
        client=client,
        namespace=broker_namespace(namespace),
        middleware=stack,
        heartbeat_timeout=heartbeat_timeout_ms,
        maintenance_chance=MAINTENANCE_CHANCE,
    )
    for extra in middleware:
        broker.add_middleware(extra)
    dramatiq.set_encoder(JSONEncoder())
    dramatiq.set_broker(broker)
    return broker
