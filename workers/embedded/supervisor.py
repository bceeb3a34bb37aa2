"""The supervisor: the one process per data dir that owns its redis-server.

Run as ``python -m workers.embedded supervise <data_dir>``, detached, by the first user
(``server.py``), which hands it ``supervisor.lock`` already taken. It runs redis-server as
its child (not daemonised; on Linux with ``PR_SET_PDEATHSIG`` so that even a SIGKILLed
supervisor takes its server with it), restarts it after a crash (at most 5 times a minute),
and stops it once nobody has used it for the grace period: every 0.5 s it tries to take
``start.lock`` and then ``users.lock`` exclusively, both without blocking; holding both means
that no user exists and none can register meanwhile.

It shuts Redis down with ``SHUTDOWN`` (``SHUTDOWN NOSAVE`` if the save fails; SIGTERM and
SIGKILL as a last resort), removes the socket, and releases ``supervisor.lock`` *before*
``start.lock``: a user waiting on ``start.lock`` then sees no supervisor and starts a fresh
one. A server that exits by itself before answering PING (bad config, unreadable data) is
not retried. SIGTERM (what ``EmbeddedRedis.stop()`` sends) stops it even if users remain.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time

from workers.embedded.binary import find_redis_server, refuse_unreadable_data
from workers.embedded.conf import write_conf
from workers.embedded.control import kill_and_wait, pid_alive, ping, shutdown
from workers.embedded.layout import Layout, ensure_private_dir
from workers.embedded.locks import flock_within, open_lock, try_flock

DEFAULT_GRACE_S = 2.0  # how long Redis outlives its last user
SUPERVISOR_POLL_S = 0.5
SHUTDOWN_TIMEOUT_S = 60.0
MAX_RESTARTS_PER_MINUTE = 5
_PR_SET_PDEATHSIG = 1


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"{os.getpid()}:corpus-supervisor {stamp}Z {message}", flush=True)


def _linux_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


class Supervisor:
    def __init__(self, layout: Layout, redis_server: str, grace: float, lock_fd: int) -> None:
        self.layout = layout
        self.redis_server = redis_server
        self.grace = grace
        self.lock_fd: int | None = lock_fd
        self.start_fd = open_lock(layout.start_lock)
        self.users_fd = open_lock(layout.users_lock)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stop_requested = False
        self.ready = False  # the current redis-server has answered PING
        self.idle_since: float | None = None
        self.restarts: collections.deque[float] = collections.deque()
        self._prctl = _linux_prctl()
        self._my_pid = os.getpid()  # created after the fork: the parent of redis-server

    def run(self) -> int:
        """Supervise until the end; the exit status (0: stopped as it should)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if not self._first_start():
            return 1
        while True:
            if self.stop_requested:
                return self._stop_on_request()
            assert self.proc is not None
            status = self.proc.poll()
            if status is not None:
                outcome = self._after_exit(status)
                if outcome is not None:
                    return outcome
                continue
            if not self.ready:
                self.ready = ping(self.layout.socket) == "ok"
                if self.ready:
                    _log("redis-server is ready")
            # Also while not ready: a server that hangs on startup must not outlive its users.
            if self._idle_for_grace():
                return 0
            time.sleep(min(SUPERVISOR_POLL_S, max(self.grace / 4, 0.05)) if self.ready else 0.02)

    # -- the steps of run()

    def _first_start(self) -> bool:
        try:
            if self.layout.socket_dir is not None:
                ensure_private_dir(self.layout.socket_dir)
            refuse_unreadable_data(self.redis_server, self.layout.dir)
            self.layout.tighten_permissions()
            self._stop_stale_redis()
            self._start_redis()
        except Exception as exc:  # noqa: BLE001 - report whatever it is in the log
            _log(f"cannot start redis-server: {exc}")
            self.layout.remove_runtime_files()
            return False
        return True

    def _stop_on_request(self) -> int:
        _log("asked to stop")
        got = flock_within(self.start_fd, fcntl.LOCK_EX, 5.0)
        self._exit()
        if got:
            fcntl.flock(self.start_fd, fcntl.LOCK_UN)
        return 0

    def _after_exit(self, status: int) -> int | None:
        """redis-server exited: restart it (None) or end the supervisor (its exit status)."""
        if not self.ready and status >= 0:
            # It exited on its own before answering: bad config, unreadable data... a restart
            # would fail the same way. (Killed by a signal: restart as usual, the user may
            # well have seen it answer before we did.)
            _log(f"redis-server exited with status {status} before answering PING; giving up")
            self._exit()
            return 1
        _log(f"redis-server exited unexpectedly with status {status}")
        now = time.monotonic()
        while self.restarts and now - self.restarts[0] > 60:
            self.restarts.popleft()
        if self._no_users():
            _log("no users left; not restarting")
            self._exit()
            self._unlock()
            return 0
        if len(self.restarts) >= MAX_RESTARTS_PER_MINUTE:
            _log(f"redis-server died {len(self.restarts)} times within a minute; giving up")
            self._exit()
            return 1
        self.restarts.append(now)
        time.sleep(0.2)
        try:
            self._start_redis()
        except Exception as exc:  # noqa: BLE001
            _log(f"cannot restart redis-server: {exc!r}")
            self._exit()
            return 1
        return None

    def _idle_for_grace(self) -> bool:
        """True once nobody has used the server for the grace period: then it is shut down."""
        no_users = self._no_users()
        if not no_users:
            if no_users is False:  # (None: start.lock busy, someone is registering)
                self.idle_since = None
            return False
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.grace:
            self._unlock()
            return False
        _log(f"no users for {self.grace:g} s; stopping")
        self._exit()
        self._unlock()
        return True

    # -- users

    def _no_users(self) -> bool | None:
        """Take start.lock then users.lock (non-blocking). True: both held, nobody can register
        until they are released. False: users exist (locks released). None: start.lock busy."""
        if not try_flock(self.start_fd, fcntl.LOCK_EX):
            return None
        if try_flock(self.users_fd, fcntl.LOCK_EX):
            return True
        fcntl.flock(self.start_fd, fcntl.LOCK_UN)
        return False

    def _unlock(self) -> None:
        fcntl.flock(self.users_fd, fcntl.LOCK_UN)
        fcntl.flock(self.start_fd, fcntl.LOCK_UN)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop_requested = True

    # -- the redis-server process

    def _child_setup(self) -> None:  # runs in the forked child, before exec
        if self._prctl is not None:
            self._prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != self._my_pid:  # the supervisor died before prctl took effect
            os._exit(1)

    def _start_redis(self) -> None:
        write_conf(self.layout)
        self.proc = subprocess.Popen(
            [self.redis_server, str(self.layout.conf)],
            stdin=subprocess.DEVNULL,
            cwd=self.layout.dir,
            close_fds=True,
            preexec_fn=self._child_setup,
        )
        self.ready = False
        _log(f"started {self.redis_server} (pid {self.proc.pid}) on {self.layout.socket}")
        self.layout.write_state(
            {
                "supervisor_pid": os.getpid(),
                "redis_pid": self.proc.pid,
                "socket": str(self.layout.socket),
                "redis_server": self.redis_server,
                "grace": self.grace,
            }
        )

    def _stop_stale_redis(self) -> None:
        """A server left over by a supervisor that died without taking it along: stop it first,
        or the new one would unlink its socket and both would write the same AOF."""
        sock = self.layout.socket
        if sock.exists() and ping(sock) in ("ok", "loading"):  # no socket: skip importing redis-py
            _log(f"a redis-server from an earlier run still answers on {sock}; shutting it down")
            shutdown(sock, SHUTDOWN_TIMEOUT_S, _log)
        pid = self.layout.pidfile_pid()
        if pid and pid_alive(pid) and self._is_our_redis(pid):
            _log(f"stopping the leftover redis-server pid {pid}")
            kill_and_wait(pid)

    def _is_our_redis(self, pid: int) -> bool:
        try:
            return os.path.realpath(f"/proc/{pid}/cwd") == str(self.layout.dir)
        except OSError:
            return False

    def _shutdown_redis(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        _log("shutting redis-server down")
        if shutdown(self.layout.socket, SHUTDOWN_TIMEOUT_S, _log):
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

    def _exit(self) -> None:
        """Shut down and release supervisor.lock; the caller holds start.lock (if it could)."""
        self._shutdown_redis()
        self.layout.remove_runtime_files()
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # before start.lock: a waiting user must see no supervisor
            self.lock_fd = None


def _supervise(args: argparse.Namespace) -> int:
    os.umask(0o077)
    layout = Layout.of(args.data_dir)
    lock_fd = args.lock_fd
    if lock_fd is None:  # run by hand: become the owner, or leave it to the existing one
        layout.prepare()
        lock_fd = open_lock(layout.supervisor_lock)
        if not try_flock(lock_fd, fcntl.LOCK_EX):
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
    return Supervisor(layout, redis_server, args.grace, lock_fd).run()


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
    return _supervise(args)
