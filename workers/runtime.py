"""The process's connections: settings, Redis, the store, the broker and the LSH index.

Built once per process and shared by the CLI, the Python API and the actors, so that each
of them fails the same way, with a message naming the variable to fix, when Redis or the
database cannot be reached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import redis
from sqlalchemy import Engine

from models.db import mask_url, open_store
from workers.settings import Settings


class RedisUnavailable(RuntimeError):
    """Redis (CORPUS_REDIS_URL, or the embedded server) cannot be reached."""


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def redis_url(self) -> str:
        from workers.embedded_redis import redis_url

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
    def engine(self) -> Engine:
        variable = "CORPUS_DATABASE_URL" if self.settings.database_url else "CORPUS_DATA_DIR"
        return open_store(self.settings.effective_database_url, variable=variable)

    @cached_property
    def broker(self):
        from workers.broker import make_broker

        return make_broker(self.settings, self.redis)

    @cached_property
    def index(self):
        """The shared LSH index, after checking that this process fingerprints exactly as
        the store and the index were built: mixing parameters would silently miss copies."""
        import json

        from models.db import session_scope
        from models.store import get_meta, set_meta
        from workers import dedup
        from workers.lsh_index import LshIndex, ParamsMismatch

        params = dedup.params()
        wanted = json.dumps(params, sort_keys=True)
        with session_scope(self.engine) as session:
            recorded = get_meta(session, "dedup_params")
            if recorded is None:
                set_meta(session, "dedup_params", wanted)
            elif recorded != wanted:
                raise ParamsMismatch(
                    f"this worker's dedup parameters {wanted} differ from the store's {recorded}; "
                    "run the same corpus version everywhere (or re-fingerprint and `corpus reindex`)"
                )
        index = LshIndex(self.redis, f"{self.settings.namespace}:lsh:")
        index.ensure_params(params)
        return index


    @cached_property
    def site_models(self):
        from workers.site_models import SiteModels

        return SiteModels(self.engine)


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
