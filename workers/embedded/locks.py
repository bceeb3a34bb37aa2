"""``flock`` on lock files: how the processes of one data dir count and exclude each other.

flock rather than pid files because the kernel drops a lock whatever way its holder dies,
SIGKILL included, and because a lock (an open fd) can be handed to a child process. The
standard library has the call but neither a timeout nor a non-blocking "was it free?";
these three helpers add them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path


def open_lock(path: Path) -> int:
    """An fd on the lock file ``path`` (created 0600), not inherited by exec'd children."""
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def try_flock(fd: int, operation: int) -> bool:
    """Take ``operation`` (``LOCK_EX``/``LOCK_SH``) without blocking; False if it is held."""
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def flock_within(fd: int, operation: int, timeout: float) -> bool:
    """Take ``operation`` within ``timeout`` seconds (polling, 2 to 50 ms); False if not."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while not try_flock(fd, operation):
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    return True
