"""Where the embedded Redis of a data dir lives, derived from the data dir alone so that
every process (users and supervisor, any path spelling) finds the same files.

All owner-only: directories 0700, files 0600::

    <data_dir>/redis/
        redis.conf       written by the supervisor on every start (edits are overwritten)
        redis.log        redis-server's and the supervisor's output (rotated at 10 MB)
        appendonly*, dump.rdb    the data: AOF (appendfsync everysec) plus RDB snapshots
        redis.sock       the only listener: unix socket, mode 0700, ``port 0`` (no TCP)
        start.lock  users.lock  supervisor.lock  state.json  redis.pid

A unix socket path must fit in 107 bytes. When ``<data_dir>/redis/redis.sock`` is longer,
the socket lives in ``/tmp/corpus-<uid>-<sha256(realpath(data_dir))[:16]>/redis.sock``
instead: a 0700 directory owned by us (anything else there is refused). ``$XDG_RUNTIME_DIR``
is not used because it is not set in every context (cron, ``sudo -u``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from workers.embedded.locks import open_lock, try_flock

SOCKET_PATH_MAX = 107  # sun_path is 108 bytes including the terminating NUL

HINT = (
    "To use an existing Redis instead of the embedded one, set CORPUS_REDIS_URL "
    "(e.g. CORPUS_REDIS_URL=redis://localhost:6379/0)."
)


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis cannot be found, started or reached."""


def resolve(data_dir: Path | str) -> Path:
    """The one spelling of a data dir: absolute, ``~`` expanded, symlinks resolved."""
    return Path(os.path.realpath(Path(data_dir).expanduser().absolute()))


def ensure_private_dir(path: Path) -> None:
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


@dataclass(frozen=True)
class Layout:
    data_dir: Path  # resolved
    dir: Path
    socket: Path
    socket_dir: Path | None  # the private fallback directory, when the socket is not in ``dir``

    @classmethod
    def of(cls, data_dir: Path | str) -> Layout:
        data_dir = resolve(data_dir)
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
        if not self.data_dir.is_dir():  # a new data dir is owner-only (an existing one keeps its mode)
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            ensure_private_dir(self.data_dir)
        ensure_private_dir(self.dir)

    def tighten_permissions(self) -> None:
        """Files left by an older version or copied in: owner-only, like everything we create."""
        for path in [self.dir, *self.dir.glob("*"), *self.dir.glob("*/*")]:
            try:
                st = os.lstat(path)
                if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
            except OSError:
                pass

    def supervisor_running(self) -> bool:
        """Whether some process holds ``supervisor.lock`` (probed without blocking)."""
        try:
            fd = open_lock(self.supervisor_lock)
        except FileNotFoundError:
            return False
        try:
            return not try_flock(fd, fcntl.LOCK_EX)
        finally:
            os.close(fd)  # also drops the probe's lock, if it got it

    def read_state(self) -> dict:
        """``state.json``: the supervisor's and redis-server's pids ({} when there is none)."""
        try:
            return json.loads(self.state.read_text())
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict) -> None:
        tmp = self.state.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state)

    def pidfile_pid(self) -> int | None:
        """The pid redis-server wrote to ``redis.pid`` (it may be long gone)."""
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def log_tail(self, lines: int = 20, since: int = 0) -> str:
        """The last lines of redis.log, preferably from offset ``since`` on (this start's own)."""
        try:
            with open(self.log, "rb") as fh:
                end = fh.seek(0, os.SEEK_END)
                if since >= end:
                    since = 0
                fh.seek(max(since, end - 16384))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return f"(no log at {self.log})"
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        if not tail:
            return f"({self.log} is empty)"
        return f"last lines of {self.log}:\n" + "\n".join("    " + line for line in tail)

    def remove_runtime_files(self) -> None:
        """The socket, the state file and the fallback socket directory: gone with the server."""
        for path in (self.socket, self.state):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        if self.socket_dir is not None:
            try:
                self.socket_dir.rmdir()
            except OSError:
                pass
