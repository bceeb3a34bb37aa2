"""The process's connections: settings, Redis, the store, the broker and the LSH index.

Built once per process and shared by the CLI, the Python API and the actors, so that each
of them fails the same way, with a message naming the variable to fix, when Redis or the
database cannot be reached. This is also where the broker's middleware is assembled: each
piece is handed the connections it needs, none reaches back for the runtime.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlsplit
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import redis
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import Engine

from models.db import mask_url, open_store, session_scope
from models.meta import insert_or_get_meta
from workers.embedded import redis_url
from workers.keys import broker_namespace, index_prefix, queue_names
from workers.queue.broker import make_broker
from workers.queue.dead_letters import DeadLetterReasons
from workers.queue.events_drain import EventsDrain
from workers.queue.janitor import Janitor
from workers.queue.registry import WorkerRegistry
from workers.queue.sampler import QueueSampler
from workers.queue.selfheal import SelfHeal
from workers.queue.window import IndexWindow
from workers.settings import Settings

if TYPE_CHECKING:
    from workers.index.lsh import LshIndex
    from workers.sites import SiteModels


class RedisUnavailable(RuntimeError):
    """Redis (CORPUS_REDIS_URL, or the embedded server) cannot be reached."""


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def redis_url(self) -> str:
        try:
            return redis_url(self.settings)
        except Exception as exc:
            raise RedisUnavailable(f"cannot start the embedded Redis: {exc}") from exc

    @cached_property
    def redis(self) -> redis.Redis:
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=5, health_check_interval=30)
        try:
            client.ping()
        except redis.RedisError as exc:
            where = (
                f"{mask_url(self.settings.redis_url)} (CORPUS_REDIS_URL)"
                if self.settings.redis_url
                else f"the embedded Redis at {self.redis_url}"
            )
            raise RedisUnavailable(f"cannot reach Redis at {where}: {exc}") from exc
        return client

    @cached_property
    def index_redis(self):
        """Where the duplicate index lives: the queue's Redis unless ``CORPUS_INDEX_URL`` is set;
        a ``RedisCluster`` over every master when that URL names a node of a cluster."""
        url = self.settings.index_url
        if not url:
            return self.redis
        try:
            return connect_index(url)
        except redis.RedisError as exc:
            raise RedisUnavailable(f"cannot reach the index Redis at {mask_url(url)} (CORPUS_INDEX_URL): {exc}") from exc

    @cached_property
    def engine(self) -> Engine:
        variable = "CORPUS_DATABASE_URL" if self.settings.database_url else "CORPUS_DATA_DIR"
        return open_store(self.settings.effective_database_url, variable=variable)

    @cached_property
    def broker(self) -> RedisBroker:
        settings, client = self.settings, self.redis
        middleware = [
            WorkerRegistry(client, settings.namespace),
            DeadLetterReasons(client, settings.namespace),
            QueueSampler(client, settings.namespace),
            # dramatiq's maintenance alone leaves a SIGKILLed worker's messages waiting for minutes.
            # ... and nothing else notices a lost index, a lost queue or an outage's dead letters.
            Janitor(client, broker_namespace(settings.namespace), settings.heartbeat_timeout_ms, queue_names(),
                    heal=self.self_heal),
            # ... nor the event outbox rows a worker that died after its link left behind.
            EventsDrain(self.drain_events),
        ]
        if settings.dedup_window_days > 0:
            middleware.append(IndexWindow(settings.dedup_window_days, lambda: self.index))
        return make_broker(settings.namespace, client, heartbeat_timeout_ms=settings.heartbeat_timeout_ms,
                           middleware=middleware, max_retries=settings.max_retries,
                           max_backoff_ms=settings.max_backoff_ms)

    def drain_events(self, **options) -> int:
        """``workers.events.drain`` on this store (imported here: the event rule is the workers')."""
        from workers.events import drain

        return drain(self.engine, **options)

    @cached_property
    def self_heal(self) -> SelfHeal:
        """The janitor's repairs (lost index, stranded documents, outage dead letters)."""
        settings = self.settings
        return SelfHeal(self.redis, settings.namespace, engine=lambda: self.engine, index=lambda: self.bare_index,
                        broker=lambda: self.broker, batch_size=settings.batch_size, grace_s=settings.stranded_grace_s)

    @cached_property
    def index(self) -> LshIndex:
        """The shared LSH index, after checking that this process fingerprints exactly as
        the store and the index were built: mixing parameters would silently miss copies."""
        from workers.index.lsh import ParamsMismatch  # the fingerprint code: imported by workers only
        from workers.steps import dedup

        params = dedup.params()
        wanted = json.dumps(params, sort_keys=True)
        with session_scope(self.engine) as session:
            recorded = insert_or_get_meta(session, "dedup_params", wanted)
            if recorded != wanted:
                raise ParamsMismatch(
                    f"this worker's dedup parameters {wanted} differ from the store's {recorded}; "
                    "run the same corpus version everywhere (or re-fingerprint and `corpus reindex`)"
                )
        index = self.bare_index
        index.ensure_params(params)
        return index

    @property
    def bare_index(self) -> LshIndex:
        """The index without the parameter check (``corpus reindex`` rebuilds it whatever it holds)."""
        from workers.index.lsh import LshIndex

        return LshIndex(self.index_redis, index_prefix(self.settings.namespace))

    @cached_property
    def site_models(self) -> SiteModels:
        from workers.sites import SiteModels  # the cleaning rules and trafilatura: workers only

        return SiteModels(self.engine)

    @cached_property
    def site_stream(self):
        """The sites' chrome learned online, shared through Redis (``workers.sites.SiteStream``)."""
        from workers.sites import SiteStream

        return SiteStream(self.redis, self.settings.namespace)


def connect_index(url: str):
    """A client for ``url``: a ``RedisCluster`` when the node says it is in cluster mode
    (``INFO cluster``), discovering every other node from it; a plain client otherwise.

    ``url`` may list several nodes, comma-separated (``redis://a:7000,redis://b:7000``): the
    first that answers is asked, and all of them are the cluster's start-up nodes, so a
    process (re)started while one of them is down still finds the cluster.
    """
    urls = [u.strip() for u in url.split(",") if u.strip()]
    urls = [u if "://" in u else f"redis://{u}" for u in urls]
    clustered, first, error = None, None, None
    for candidate in urls:
        probe = redis.Redis.from_url(candidate, socket_connect_timeout=5)
        try:
            clustered = int(probe.info("cluster").get("cluster_enabled", 0)) == 1
            first = candidate
            break
        except redis.RedisError as exc:
            error = exc
        finally:
            probe.close()
    if first is None:
        raise error or redis.ConnectionError("CORPUS_INDEX_URL names no node")
    if not clustered:
        client = redis.Redis.from_url(first, socket_connect_timeout=5, health_check_interval=30)
        client.ping()
        return client
    from redis.backoff import ExponentialBackoff
    from redis.cluster import ClusterNode, RedisCluster
    from redis.retry import Retry

    others = []
    for candidate in urls:
        if candidate != first:
            parts = urlsplit(candidate)
            others.append(ClusterNode(parts.hostname or "localhost", parts.port or 6379))
    # A failover takes about the cluster-node-timeout (15 s by default) to promote a replica:
    # retry a command that meets a dead master for ~20 s (backoff 0.1 s doubling to 1 s),
    # refreshing the slot map each time, before the message's own retry takes over.
    return RedisCluster.from_url(first, startup_nodes=others or None, socket_connect_timeout=5, socket_timeout=10,
                                 retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 20))


_lock = threading.Lock()
_current: Runtime | None = None


def runtime() -> Runtime:
    """The process-wide runtime, built from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Runtime(Settings.from_env())
        return _current


def reset() -> None:
    """Forget the process-wide runtime (tests that change the environment)."""
    global _current
    with _lock:
        _current = None
