"""What every format reader shares: the extensions corpus reads, the format a name says,
and the two ways reading can go wrong (``ReadError`` for a whole file, ``ReadStats`` for
what a file gave besides documents)."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

#: extension -> (reader module name, document format for single-document files)
FORMATS: dict[str, tuple[str, str | None]] = {
    ".txt": ("plain", "text"),
    ".md": ("plain", "text"),
    ".text": ("plain", "text"),
    ".html": ("plain", "html"),
    ".htm": ("plain", "html"),
    ".json": ("json", None),
    ".jsonl": ("jsonl", None),
    ".warc": ("warc", None),
}
SUPPORTED = sorted(FORMATS) + sorted(f"{ext}.gz" for ext in FORMATS)
CONTAINERS = {"jsonl", "warc"}


#: How much of an input over CORPUS_MAX_DOCUMENT_BYTES the store keeps with its reason (enough
#: to recognise it; the rest is never read or written).
OVERSIZE_KEEP_BYTES = 64 * 1024


def over_limit_reason(size: int, max_bytes: int, *, compressed: bool = False) -> str:
    what = "compressed bytes" if compressed else "bytes"
    return f"{size:,} {what} is over the {max_bytes:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)"


class ReadError(OSError):
    """A file that cannot be read at all (gone, unreadable, not a regular file, not the
    format its name says)."""


@dataclass(frozen=True)
class Format:
    reader: str  # plain, json, jsonl, warc
    kind: str | None  # "text"/"html" for plain files
    gzipped: bool

    @property
    def container(self) -> bool:
        """Holds any number of documents (streamed), rather than exactly one."""
        return self.reader in CONTAINERS


@dataclass
class ReadStats:
    """What reading some files gave besides documents."""

    documents: int = 0
    failed_records: int = 0
    skipped: int = 0  # records that are not documents (WARC requests, metadata, images, ...)


def format_of(path: Path) -> Format | None:
    """The format its name says, or None when corpus does not read it."""
    name = path.name.lower()
    gzipped = name.endswith(".gz")
    found = FORMATS.get(Path(name.removesuffix(".gz")).suffix)
    if found is None:
        return None
    return Format(found[0], found[1], gzipped)


def not_regular(mode: int) -> str | None:
    """Why a file of this mode is not read (None for a regular file): reading a FIFO
    blocks until a writer comes, a device or socket is not a document."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file: not opened"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file: not opened"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file: not opened"
    if stat.S_ISDIR(mode):
        return "is a directory"
    return "not a regular file: not opened"


def open_regular(path: Path):
    """``open(path, "rb")`` for regular files only: ``ReadError`` for anything else, checked
    before opening and again on the open file (non-blocking, so a FIFO swapped in between
    cannot hang the reader)."""
    try:
        reason = not_regular(os.stat(path).st_mode)
        if reason:
            raise ReadError(f"{path}: {reason}")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ReadError:
        raise
    except OSError as exc:
        raise open_error(path, exc) from exc
    try:
        reason = not_regular(os.fstat(fd).st_mode)
        if reason:
            raise ReadError(f"{path}: {reason}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_error(path: Path, exc: OSError) -> ReadError:
    if exc.errno == errno.ELOOP:
        return ReadError(f"{path}: a symbolic link loop")
    if isinstance(exc, FileNotFoundError):
        return ReadError(f"{path}: vanished before it could be read")
    if isinstance(exc, IsADirectoryError):
        return ReadError(f"{path}: is a directory")
    if isinstance(exc, PermissionError):
        return ReadError(f"{path}: permission denied")
    return ReadError(f"{path}: {exc.strerror or exc}")
