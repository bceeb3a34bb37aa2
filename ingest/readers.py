"""Readers: paths on disk to the ``NewDocument``s the store accepts.

A reader only finds and reads files; decompression of single-document files, decoding
and cleaning happen in the workers, so that every failure is recorded in the store with
its reason. The formats themselves live in ``ingest.formats``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.formats import SUPPORTED, Format, ReadError, ReadStats, documents, format_of
from models.documents import NewDocument

__all__ = ["SUPPORTED", "Format", "ReadError", "ReadStats", "documents", "format_of", "is_hidden_or_temporary",
           "read", "walk"]

TEMPORARY_SUFFIXES = ("~", ".part", ".tmp", ".crdownload", ".partial", ".swp", ".download")


def is_hidden_or_temporary(path: Path) -> bool:
    """Names that mean "still being written" or "not for us": dotfiles, ``.part``,
    ``.tmp``, ``~`` and the like."""
    name = path.name
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


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
