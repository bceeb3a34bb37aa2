"""Readers: paths on disk to ``NewDocument``s the store accepts.

A reader only finds and reads files; decompression, decoding and cleaning happen in the
workers, so that every failure is recorded in the store with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from models.store import NewDocument

FORMATS = {".txt": "text", ".md": "text", ".text": "text", ".html": "html", ".htm": "html"}
SUPPORTED = sorted(FORMATS) + sorted(f"{ext}.gz" for ext in FORMATS)


class ReadError(OSError):
    """A file that cannot be read at all (gone, unreadable, not a regular file)."""


def format_of(path: Path) -> tuple[str, bool] | None:
    """``(format, gzipped)`` from the file name, or None when corpus does not read it."""
    name = path.name.lower()
    gzipped = name.endswith(".gz")
    kind = FORMATS.get(Path(name.removesuffix(".gz")).suffix)
    return (kind, gzipped) if kind else None


def is_hidden_or_temporary(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.endswith(("~", ".part", ".tmp", ".crdownload"))


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Every supported file under each path (recursively), in a stable order."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if not is_hidden_or_temporary(candidate) and format_of(candidate):
                        yield candidate
        elif format_of(path):
            yield path


def read(path: Path, *, source: str | None = None, site: str | None = None) -> NewDocument:
    found = format_of(path)
    if found is None:
        raise ReadError(f"{path}: unsupported file type (supported: {', '.join(SUPPORTED)})")
    kind, gzipped = found
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ReadError(f"{path}: vanished before it could be read") from exc
    except IsADirectoryError as exc:
        raise ReadError(f"{path}: is a directory") from exc
    except PermissionError as exc:
        raise ReadError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise ReadError(f"{path}: {exc.strerror or exc}") from exc
    return NewDocument(source=source or str(path), data=data, format=kind, gzipped=gzipped, site=site)
