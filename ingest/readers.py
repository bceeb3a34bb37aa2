"""Readers: paths on disk to the ``NewDocument``s the store accepts.

A reader only finds and reads files; decompression of single-document files, decoding
and cleaning happen in the workers, so that every failure is recorded in the store with
its reason. The formats themselves live in ``ingest.formats``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.formats import SUPPORTED, Format, ReadError, ReadStats, documents, format_of
from ingest.formats.base import not_regular, open_error
from models.documents import NewDocument

__all__ = ["SUPPORTED", "Format", "Passed", "ReadError", "ReadStats", "documents", "format_of",
           "is_hidden_or_temporary", "open_error", "read", "walk"]

TEMPORARY_SUFFIXES = ("~", ".part", ".tmp", ".crdownload", ".partial", ".swp", ".download")


def is_hidden_or_temporary(path: Path) -> bool:
    """Names that mean "still being written" or "not for us": dotfiles, ``.part``,
    ``.tmp``, ``~`` and the like."""
    name = path.name
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


@dataclass(frozen=True)
class Passed:
    """An entry a walk did not read, and why. ``unreadable``: something that looked like
    input but cannot or must not be read (a FIFO, a socket, a device, a symbolic link out
    of the folder, a loop, a broken link, no permission); otherwise a file of a type corpus
    does not read."""

    path: Path
    reason: str
    unreadable: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _link_error(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    if isinstance(exc, FileNotFoundError):
        return "a broken symbolic link: its target vanished or never existed"
    return str(open_error(path, exc)).removeprefix(f"{path}: ")


def walk(paths: Iterable[Path], *, follow_symlinks: bool = False, passed: list[Passed] | None = None) -> Iterator[Path]:
    """Every supported regular file under each path (recursively), in a stable order.

    Only regular files are read: FIFOs (reading one blocks until a writer comes), sockets
    and devices are passed with their reason, never opened. A symbolic link is followed
    only when it resolves inside the folder being read (``follow_symlinks`` allows the
    others): anyone who can drop a link into a folder must not make corpus read and store
    any file its user can read. Loops, broken links and unreadable folders are passed with
    their reason, and so are files of a type corpus does not read (``unreadable=False``);
    hidden and temporary names are left alone without a word (they are not input yet).
    """
    def skip(path: Path, reason: str, unreadable: bool = True) -> None:
        if passed is not None:
            passed.append(Passed(path, reason, unreadable))

    for path in paths:
        try:
            info = os.stat(path)  # a path named on the command line is followed: the user chose it
        except OSError as exc:
            skip(path, _link_error(path, exc) if path.is_symlink() else str(open_error(path, exc)).removeprefix(f"{path}: "))
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk_folder(path, follow_symlinks, skip, (info.st_dev, info.st_ino))
        elif _is_input(path, info.st_mode, skip):
            yield path


def _is_input(path: Path, mode: int, skip) -> bool:
    """Whether a file (not a folder) is input: a regular file of a format corpus reads. Any
    other is passed by ``skip``, saying why (a FIFO or device is never opened; an unknown
    type is not unreadable, just not ours)."""
    reason = not_regular(mode)
    if reason:
        skip(path, reason)
    elif format_of(path) is None:
        skip(path, "unsupported file type", unreadable=False)
    else:
        return True
    return False


def _walk_folder(top: Path, follow_symlinks: bool, skip, top_key: tuple[int, int]) -> Iterator[Path]:
    root = os.path.realpath(top)
    seen = {top_key}  # folders entered, by (device, inode): a link back to one of them is a loop
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            skip(folder, str(open_error(folder, exc)).removeprefix(f"{folder}: "))
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    try:
                        info = os.stat(entry.path)
                    except OSError as exc:
                        skip(path, _link_error(path, exc))
                        continue
                    target = os.path.realpath(entry.path)
                    if not follow_symlinks and not _inside(target, root):
                        skip(path, f"a symbolic link to {target}, outside {top}: not followed "
                                   "(--follow-symlinks reads it)")
                        continue
                else:
                    info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                skip(path, str(open_error(path, exc)).removeprefix(f"{path}: "))
                continue
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in seen:
                    skip(path, f"a symbolic link loop: it leads to {os.path.realpath(entry.path)}, a folder "
                               "already read")
                    continue
                seen.add(key)
                subfolders.append(path)
            elif is_hidden_or_temporary(path):
                continue
            elif _is_input(path, info.st_mode, skip):
                yield path
        stack.extend(reversed(subfolders))


def read(path: Path, *, source: str | None = None, site: str | None = None) -> NewDocument:
    """The one document of a single-document file (``.txt``, ``.html``, ``.json``, ...).

    ``ReadError`` when it cannot be read, or for a container (``.jsonl``, ``.warc``):
    use ``documents`` for those.
    """
    found = format_of(path)
    if found is not None and found.container:
        raise ReadError(f"{path}: holds many records; read it with readers.documents()")
    if path.is_dir():
        raise ReadError(f"{path}: is a directory")
    (document,) = documents(path, source=source, site=site)
    if document.error and found is not None and found.reader == "json":
        raise ReadError(f"{path}: {document.error}")
    return document
