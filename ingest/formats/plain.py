"""Single-document files: ``.txt`` ``.md`` ``.text`` ``.html`` ``.htm`` (and ``.gz``).

The bytes are stored as they are; decompression and decoding happen in the workers, so
that a broken file still becomes a document whose failure and reason are in the store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import OVERSIZE_KEEP_BYTES, Format, ReadError, open_error, open_regular, over_limit_reason
from models.documents import NewDocument


def read(path: Path, found: Format, *, source: str, site: str | None,
         max_bytes: int | None = None) -> Iterator[NewDocument]:
    """The file as one document. A file over ``max_bytes`` (compressed or not) is read no
    further than its head, kept with the reason: it is refused before anything is stored."""
    kind = found.kind or "text"
    try:
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                head = handle.read(OVERSIZE_KEEP_BYTES)
                yield NewDocument(source=source, data=head, format=kind, gzipped=found.gzipped, site=site,
                                  error=over_limit_reason(size, max_bytes, compressed=found.gzipped))
                return
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        if isinstance(exc, ReadError):
            raise
        raise open_error(path, exc) from exc
    yield NewDocument(source=source, data=data, format=kind, gzipped=found.gzipped, site=site)
