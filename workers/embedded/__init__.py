"""The embedded Redis: a private ``redis-server`` that corpus starts, shares between its
own commands and stops after the last of them, when ``CORPUS_REDIS_URL`` is unset."""

from workers.embedded.server import EmbeddedRedis, EmbeddedRedisError, find_redis_server, redis_url

__all__ = ["EmbeddedRedis", "EmbeddedRedisError", "find_redis_server", "redis_url"]
