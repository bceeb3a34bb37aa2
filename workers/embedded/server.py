"""The embedded Redis seen from a process that uses it: ``EmbeddedRedis`` and ``redis_url``.

A user takes ``start.lock``, then its shared ``users.lock`` (one fd per process, kept open
for its lifetime; any death, SIGKILL included, releases it), then checks for a supervisor.
If there is none, it takes ``supervisor.lock`` itself and hands that very lock (the fd) to a
new detached supervisor (``supervisor.py``), then waits for ``PING`` on the socket (polling
every 10-100 ms, 10 s timeout, extended while Redis answers ``LOADING``) before releasing
``start.lock``. Two commands starting at once therefore serialise on ``start.lock`` and the
second one finds the first one's server.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from workers.embedded.binary import find_redis_server, is_executable
from workers.embedded.control import pid_alive, ping
from workers.embedded.layout import HINT, EmbeddedRedisError, Layout, resolve
from workers.embedded.locks import flock_within, open_lock
from workers.embedded.supervisor import DEFAULT_GRACE_S
from workers.settings import Settings

START_TIMEOUT_S = 10.0  # from spawning the supervisor to the first PONG
LOCK_TIMEOUT_S = 60.0  # waiting for start.lock (a shutdown in progress may be saving)
LOG_ROTATE_BYTES = 10 * 1024 * 1024
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding ``workers/``


class EmbeddedRedis:
    """The embedded Redis of one data dir, seen from a process that uses it.

    ``ensure()`` starts it if needed, registers this process as a user (once: one lock fd,
    held until ``release()`` or process exit) and returns the ``unix://`` URL. ``stop()``
    shuts the server down whoever still uses it (tests, admin commands).
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        redis_server: str | None = None,
        grace: float | None = None,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        self._layout = Layout.of(data_dir)
        self._redis_server = redis_server
        self._grace = grace
        self._start_timeout = start_timeout
        self._users_fd: int | None = None
        self._log_offset = 0
        self._mutex = threading.Lock()

    @property
    def data_dir(self) -> Path:
        return self._layout.data_dir

    @property
    def directory(self) -> Path:
        """``<data_dir>/redis``: config, data, log and lock files."""
        return self._layout.dir

    @property
    def socket_path(self) -> Path:
        return self._layout.socket

    @property
    def log_path(self) -> Path:
        return self._layout.log

    @property
    def url(self) -> str:
        return f"unix://{quote(str(self._layout.socket))}?db=0"

    @property
    def registered(self) -> bool:
        return self._users_fd is not None

    @property
    def pid(self) -> int | None:
        """The redis-server's pid, if a supervisor runs for this data dir."""
        if not self._layout.supervisor_running():
            return None
        pid = self._layout.read_state().get("redis_pid")
        return pid if isinstance(pid, int) and pid_alive(pid) else None

    @property
    def supervisor_pid(self) -> int | None:
        if not self._layout.supervisor_running():
            return None
        pid = self._layout.read_state().get("supervisor_pid")
        return pid if isinstance(pid, int) else None

    def is_running(self) -> bool:
        return self._layout.supervisor_running() and ping(self._layout.socket) == "ok"

    def ensure(self) -> str:
        """Start the server if needed, register this process as a user, return the URL."""
        with self._mutex:
            layout = self._layout
            layout.prepare()
            start_fd = open_lock(layout.start_lock)
            try:
                if not flock_within(start_fd, fcntl.LOCK_EX, LOCK_TIMEOUT_S):
                    raise EmbeddedRedisError(
                        f"Timed out after {LOCK_TIMEOUT_S:.0f} s waiting for {layout.start_lock} "
                        f"(another corpus process is starting or stopping the embedded Redis). " + HINT
                    )
                newly_registered = self._users_fd is None
                if newly_registered:
                    self._register()
                try:
                    self._wait_ready()
                except BaseException:
                    if newly_registered:
                        self._release_locked()
                    raise
            finally:
                os.close(start_fd)
            return self.url

    def release(self) -> None:
        """Stop being a user (the server stops after the grace period if nobody else uses it)."""
        with self._mutex:
            self._release_locked()

    def stop(self, timeout: float = 15.0) -> None:
        """Release, then shut the server down now, even if other processes still use it."""
        self.release()
        layout = self._layout
        deadline = time.monotonic() + timeout
        state = layout.read_state()
        sup_pid = state.get("supervisor_pid")
        if layout.supervisor_running() and isinstance(sup_pid, int):
            try:
                os.kill(sup_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        while time.monotonic() < deadline and (
            layout.supervisor_running() or (isinstance(sup_pid, int) and pid_alive(sup_pid))
        ):
            time.sleep(0.02)
        if layout.supervisor_running():  # a wedged supervisor: take both down the hard way
            for key in ("redis_pid", "supervisor_pid"):
                pid = state.get(key)
                if isinstance(pid, int) and pid_alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            raise EmbeddedRedisError(f"The embedded Redis supervisor (pid {sup_pid}) did not stop; killed it.")

    # -- internals

    def _register(self) -> None:
        fd = open_lock(self._layout.users_lock)
        # The supervisor only locks users.lock while holding start.lock: never blocks.
        if not flock_within(fd, fcntl.LOCK_SH, LOCK_TIMEOUT_S):
            os.close(fd)
            raise EmbeddedRedisError(f"Could not lock {self._layout.users_lock}. " + HINT)
        self._users_fd = fd

    def _release_locked(self) -> None:
        if self._users_fd is not None:
            os.close(self._users_fd)
            self._users_fd = None

    def _wait_ready(self) -> None:
        """Start a supervisor unless one runs, then wait for PONG. Called holding start.lock."""
        layout = self._layout
        deadline = time.monotonic() + self._start_timeout
        delay = 0.01
        spawned = False
        while True:
            if not layout.supervisor_running():
                if spawned:
                    raise EmbeddedRedisError(
                        f"The embedded Redis for {layout.data_dir} exited during startup; "
                        f"{layout.log_tail(since=self._log_offset)}\n" + HINT
                    )
                self._spawn_supervisor()
                spawned = True
                deadline = time.monotonic() + self._start_timeout
            status = ping(layout.socket)
            if status == "ok":
                return
            if status == "loading":  # a big AOF being read: alive, keep waiting
                deadline = max(deadline, time.monotonic() + self._start_timeout)
            if time.monotonic() >= deadline:
                raise EmbeddedRedisError(
                    f"The embedded Redis for {layout.data_dir} did not answer on {layout.socket} within "
                    f"{self._start_timeout:.0f} s; {layout.log_tail(since=self._log_offset)}\n" + HINT
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def _spawn_supervisor(self) -> None:
        """Take supervisor.lock and hand it to a new supervisor; wait until it has detached."""
        layout = self._layout
        binary = self._redis_server or find_redis_server()
        if not is_executable(binary):
            raise EmbeddedRedisError(f"The redis-server binary {binary} does not exist or is not executable. " + HINT)
        lock_fd = open_lock(layout.supervisor_lock)
        # Free a moment ago and we hold start.lock; only a passing probe (.pid, stop()) can hold it.
        if not flock_within(lock_fd, fcntl.LOCK_EX, 1.0):
            os.close(lock_fd)
            return
        try:
            launcher = self._launch_supervisor(binary, lock_fd)
        finally:
            os.close(lock_fd)  # the supervisor keeps its copy of the lock
        try:
            rc = launcher.wait(timeout=self._start_timeout)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
            rc = -1
        if rc != 0:
            raise EmbeddedRedisError(
                f"The embedded Redis supervisor for {layout.data_dir} failed to start (exit status {rc}); "
                f"{layout.log_tail(since=self._log_offset)}\n" + HINT
            )

    def _launch_supervisor(self, binary: str, lock_fd: int) -> subprocess.Popen[bytes]:
        """``python -m workers.embedded supervise`` in a session of its own, writing to redis.log."""
        layout = self._layout
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        grace = DEFAULT_GRACE_S if self._grace is None else self._grace
        argv = [
            sys.executable or "python3", "-m", "workers.embedded", "supervise", str(layout.data_dir),
            "--redis-server", binary, "--grace", repr(float(grace)), "--lock-fd", str(lock_fd),
        ]  # fmt: skip
        log_fd = self._open_log()
        try:
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                cwd=layout.dir,
                env=env,
                start_new_session=True,
                close_fds=True,
                pass_fds=(lock_fd,),
            )
        finally:
            os.close(log_fd)

    def _open_log(self) -> int:
        """redis.log for appending (rotated first once past 10 MB); notes where this start begins."""
        log = self._layout.log
        try:
            if log.stat().st_size > LOG_ROTATE_BYTES:
                os.replace(log, log.with_name("redis.log.1"))
        except FileNotFoundError:
            pass
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._log_offset = os.fstat(fd).st_size
        return fd


_shared: dict[Path, EmbeddedRedis] = {}
_shared_mutex = threading.Lock()


def redis_url(settings: Settings) -> str:
    """CORPUS_REDIS_URL if set (never start anything), else ensure the embedded server runs,
    register this process as a user, and return a unix:// URL (unix:///path/redis.sock?db=0)."""
    if settings.redis_url:
        return settings.redis_url
    key = resolve(settings.data_dir)
    with _shared_mutex:
        embedded = _shared.get(key)
        if embedded is None:
            embedded = _shared[key] = EmbeddedRedis(key)
    return embedded.ensure()
