"""Opening a file as a stream of bytes, gzip-decompressed on the fly when its name ends
in ``.gz`` (zstd for ``.zst``, with the ``zstandard`` package: the ``zstd`` extra);
``STREAM_ERRORS`` are what a damaged or cut stream raises while reading."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from ingest.formats.base import ReadError, open_regular

try:
    import zstandard
except ImportError:  # .zst files then fail with a message naming the package
    zstandard = None

STREAM_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error) + ((zstandard.ZstdError,) if zstandard else ())


def describe(exc: BaseException) -> str:
    if zstandard is not None and isinstance(exc, zstandard.ZstdError):
        return f"corrupt zstd data: {exc}"
    if isinstance(exc, EOFError):
        return "truncated gzip data"
    return f"corrupt gzip data: {exc}"


#: the name of standard input among paths, as on every command line
STDIN = "-"


def is_zstd(path: Path) -> bool:
    return path.name.lower().endswith(".zst")


@contextmanager
def open_stream(path: Path, gzipped: bool) -> Iterator[BinaryIO]:
    """The file's bytes (decompressed when ``gzipped``); ``ReadError`` when it cannot be opened.
    ``STDIN`` (``-``) is standard input: a pipe, read as a stream, never reopened."""
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    raw = open_regular(path)
    try:
        if is_zstd(path):
            if zstandard is None:
                raise ReadError(f"{path}: .zst files need the zstandard package: pip install 'newsdedup[zstd]'")
            # read_across_frames: files written by several zstd runs (or pzstd) hold many frames
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            with io.BufferedReader(reader) as stream:
                yield stream
        elif gzipped:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream
        else:
            yield raw
    finally:
        raw.close()
