"""Asking a redis-server from outside: PING and SHUTDOWN on its unix socket, through redis-py;
and whether a pid still lives.

redis-py is imported on first use, not at the top: the import costs about 0.2 s, and the
supervisor (whose start the first command of a data dir waits for) usually needs no client
until its own server runs.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

PING_TIMEOUT_S = 1.0


def _client(socket_path: Path, timeout: float) -> redis.Redis:
    """A client that connects at once (raising if nobody listens) and never retries, since a
    failure is the answer here; RESP2, so that connecting sends no ``HELLO``."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        unix_socket_path=os.fspath(socket_path),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        protocol=2,
        single_connection_client=True,
    )


def ping(socket_path: Path) -> str:
    """``"ok"``, ``"loading"`` (up but still reading its data) or ``"down"``."""
    import redis

    try:
        with _client(socket_path, PING_TIMEOUT_S) as client:
            return "ok" if client.ping() else "down"
    except redis.BusyLoadingError:
        return "loading"
    except (redis.RedisError, OSError):
        return "down"


def shutdown(socket_path: Path, timeout: float, log: Callable[[str], None]) -> bool:
    """``SHUTDOWN`` (saves the RDB, flushes the AOF), then ``SHUTDOWN NOSAVE`` if the save
    fails. True once the server hung up on it (it is exiting); False if it does not listen,
    does not answer within ``timeout`` or refuses both."""
    import redis

    for nosave in (False, True):
        try:
            client = _client(socket_path, timeout)
        except redis.RedisError:
            return False  # not listening: signals, then
        with client:
            try:
                client.shutdown(nosave=nosave)  # returns when the server hangs up
            except redis.TimeoutError:
                return False
            except redis.RedisError as exc:
                log(f"SHUTDOWN{' NOSAVE' if nosave else ''} answered {exc}")
                continue
            return True
    return False


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def kill_and_wait(pid: int) -> None:
    """SIGTERM, up to 10 s to exit, then SIGKILL, up to 5 s more."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not pid_alive(pid):
            return
