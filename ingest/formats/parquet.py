"""Parquet files (``.parquet``): one document a row, read a batch of rows at a time.

Training sets and crawls are shipped in Parquet (datatrove, the Hugging Face hub); the
columns are those of ``ingest.formats.columns``. The file is read with pyarrow in batches
of ``BATCH_ROWS`` rows and only the columns needed are kept, so memory stays bounded
by a row group and a batch, whatever the file's size (``bench/formats.py``). pyarrow is the ``parquet``
extra; without it the file fails with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import Format, ReadError, ReadStats, open_error
from ingest.formats.columns import DEFAULT, Columns, Layout

#: rows per batch: 1,000 rows of news text (a few KB each) are a few MB of Python objects;
#: the documents go to the store in batches of at most 500 anyway (``ingest.intake``).
BATCH_ROWS = 1000


def require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ReadError("Parquet needs pyarrow: pip install 'newsdedup[parquet]' (or pip install pyarrow)") from None
    return pyarrow


def read_parquet(path: Path, found: Format, *, source: str, site: str | None, max_bytes: int, stats: ReadStats,
                 columns: Columns = DEFAULT) -> Iterator:
    pa = require_pyarrow()
    try:
        # pre_buffer (the default) caches every range read until the file is closed: the
        # reader's memory then grew with the file (bench/formats.py: 176 MB of Arrow buffers
        # held after 300k rows; 12 MB, flat, without it).
        table = pa.parquet.ParquetFile(path, pre_buffer=False)
    except OSError as exc:
        raise open_error(path, exc) from exc
    except pa.ArrowException as exc:
        raise ReadError(f"{path}: not a Parquet file ({exc})") from None
    header = list(table.schema_arrow.names)
    try:
        layout = Layout(header, columns, where=str(path))
    except ValueError as exc:
        raise ReadError(str(exc)) from None
    number = 0
    try:
        for batch in table.iter_batches(batch_size=BATCH_ROWS):
            for row in batch.to_pylist():
                number += 1
                yield layout.document(row, number=number, path_source=source, site=site, max_bytes=max_bytes,
                                      container="parquet")
    except pa.ArrowException as exc:
        from ingest.formats.records import failed

        where = number + 1
        yield failed(f"{source}#R{where}", b"", f"row {where}: unreadable Parquet data ({exc}); "
                     "the rest of the file was not read", "parquet")
