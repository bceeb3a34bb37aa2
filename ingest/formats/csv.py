"""CSV files (``.csv``, ``.tsv``, and ``.gz``): one document a row, streamed.

The header row names the columns (``ingest.formats.columns``); a ``.tsv`` is split at tabs.
Fields may be quoted and span lines, as spreadsheets and pandas write them; a field may be
as long as the document size limit. The file must be UTF-8 (a BOM is allowed): a byte that
is not ends the file with a failed document naming the row, as a damaged gzip stream does,
and the rows before it are kept.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from ingest.formats.base import Format, ReadError, ReadStats
from ingest.formats.columns import DEFAULT, Columns, Layout
from ingest.formats.compressed import STREAM_ERRORS, describe, open_stream
from ingest.formats.records import failed


def read_csv(path: Path, found: Format, *, source: str, site: str | None, max_bytes: int, stats: ReadStats,
             columns: Columns = DEFAULT) -> Iterator:
    delimiter = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
    csv.field_size_limit(min(sys.maxsize, 2 * max_bytes + 65536))  # over it: that row fails, named
    with open_stream(path, found.gzipped) as stream:
        rows = csv.reader(_lines(stream), delimiter=delimiter)
        try:
            header = next(rows)
        except StopIteration:
            return  # an empty file holds no rows
        except (*STREAM_ERRORS, UnicodeDecodeError, csv.Error) as exc:
            raise ReadError(f"{path}: unreadable header row: {_why(exc)}") from None
        try:
            layout = Layout(header, columns, where=str(path))
        except ValueError as exc:
            raise ReadError(str(exc)) from None
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:  # a field over the limit: that row only
                number += 1
                yield failed(f"{source}#R{number}", b"", f"row {number}: {exc} (CORPUS_MAX_DOCUMENT_BYTES)", "csv")
                continue
            except (*STREAM_ERRORS, UnicodeDecodeError) as exc:
                where = number + 1
                yield failed(f"{source}#R{where}", b"", f"row {where}: {_why(exc)}; the rest of the file was not read",
                             "csv")
                return
            number += 1
            if not any(values):
                continue  # a blank line is not a record (but keeps its number, as in a spreadsheet)
            row = dict(zip(header, values))
            yield layout.document(row, number=number, path_source=source, site=site, max_bytes=max_bytes,
                                  container="csv")


def _lines(stream) -> Iterator[str]:
    """The file's lines, each decoded on its own, so a bad byte is met at its row rather
    than at the start of the chunk a text wrapper would decode it with."""
    first = True
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8")
        if first:
            line, first = line.removeprefix("\ufeff"), False
        yield line


def _why(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 ({exc.reason} at byte {exc.start} of its line)"
    if isinstance(exc, csv.Error):
        return str(exc)
    return describe(exc)
