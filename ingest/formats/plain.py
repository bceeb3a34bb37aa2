"""Single-document files: ``.txt`` ``.md`` ``.text`` ``.html`` ``.htm`` (and ``.gz``).

The bytes are stored as they are; decompression and decoding happen in the workers, so
that a broken file still becomes a document whose failure and reason are in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import Format, open_error
from models.documents import NewDocument


def read(path: Path, found: Format, *, source: str, site: str | None) -> Iterator[NewDocument]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise open_error(path, exc) from exc
    yield NewDocument(source=source, data=data, format=found.kind or "text", gzipped=found.gzipped, site=site)
