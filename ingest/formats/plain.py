"""Single-document files: ``.txt`` ``.md`` ``.text`` ``.html`` ``.htm`` (and ``.gz``).

The bytes are stored as they are; decompression and decoding happen in the workers, so
that a broken file still becomes a document whose failure and reason are in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import Format, ReadError, open_error, open_regular
from models.documents import NewDocument


def read(path: Path, found: Format, *, source: str, site: str | None) -> Iterator[NewDocument]:
    try:
        with open_regular(path) as handle:
            data = handle.read()
    except OSError as exc:
        if isinstance(exc, ReadError):
            raise
        raise open_error(path, exc) from exc
    yield NewDocument(source=source, data=data, format=found.kind or "text", gzipped=found.gzipped, site=site)
