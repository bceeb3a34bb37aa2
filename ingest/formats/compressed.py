"""Opening a file as a stream of bytes, gzip-decompressed on the fly when its name ends
in ``.gz``; ``STREAM_ERRORS`` are what a damaged or cut stream raises while reading."""

from __future__ import annotations

import gzip
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from ingest.formats.base import open_regular

STREAM_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


def describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated gzip data"
    return f"corrupt gzip data: {exc}"


@contextmanager
def open_stream(path: Path, gzipped: bool) -> Iterator[BinaryIO]:
    """The file's bytes (decompressed when ``gzipped``); ``ReadError`` when it cannot be opened."""
    raw = open_regular(path)
    try:
        if gzipped:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream
        else:
            yield raw
    finally:
        raw.close()
