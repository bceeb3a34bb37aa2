"""Writing articles out: JSON Lines, Parquet or CSV, streamed.

``corpus export`` hands records of ``models.articles.article_record``'s shape to a writer
one at a time. JSON Lines writes each record as it comes. Parquet and CSV are tables of
one row an article (``COLUMNS``): the copies are a list of structs in Parquet and a JSON
string in CSV, the metadata a JSON string in both (its keys differ from article to
article). Parquet is written a row group at a time (``ROW_GROUP`` articles), so an export
of any size holds one row group in memory (``bench/formats.py``: 100,000 articles of
2 KB written with a peak RSS well under 500 MB).

A Parquet or CSV export reads back with ``corpus ingest`` under the default column names
(``text``, ``title``, ``id``; the other columns go into the metadata).
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any

FORMATS = ("jsonl", "parquet", "csv")
COLUMNS = ("id", "title", "text", "source", "site", "duplicates", "metadata", "change_seq", "event_id", "event_size")
#: articles per Parquet row group: 5,000 articles of a few KB are tens of MB in memory, and
#: readers (pyarrow, DuckDB, Spark) read row groups of this size at full speed.
ROW_GROUP = 5000


def format_for(name: str | None, given: str | None) -> str:
    """The format asked for, else the one the output file's name says, else JSON Lines."""
    if given:
        if given not in FORMATS:
            raise ValueError(f"unknown format {given!r} (one of {', '.join(FORMATS)})")
        return given
    if name:
        lowered = name.lower()
        for fmt, suffixes in (("parquet", (".parquet",)), ("csv", (".csv",))):
            if lowered.endswith(suffixes):
                return fmt
    return "jsonl"


def row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one table row (``COLUMNS``)."""
    event = record.get("event") or {}
    metadata = record.get("metadata") or {}
    return {
        "id": record["id"],
        "title": record.get("title"),
        "text": record.get("text"),
        "source": record.get("source"),
        "site": metadata.get("site"),
        "duplicates": record.get("duplicates") or [],
        "metadata": json.dumps(metadata, ensure_ascii=False),
        "change_seq": record.get("change_seq"),
        "event_id": event.get("id"),
        "event_size": event.get("size"),
    }


class JsonlWriter:
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle

    def write(self, record: dict[str, Any]) -> None:
        self.handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))

    def close(self) -> None:
        self.handle.flush()


class CsvWriter:
    def __init__(self, handle: IO[bytes]) -> None:
        import io

        self.text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
        self.writer = csv.DictWriter(self.text, fieldnames=COLUMNS)
        self.writer.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        values = row(record)
        values["duplicates"] = json.dumps(values["duplicates"], ensure_ascii=False)
        self.writer.writerow(values)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class ParquetWriter:
    def __init__(self, handle: IO[bytes], *, row_group: int = ROW_GROUP) -> None:
        from ingest.formats.parquet import require_pyarrow

        pa = require_pyarrow()
        self.pa = pa
        self.schema = pa.schema([
            ("id", pa.int64()), ("title", pa.string()), ("text", pa.large_string()), ("source", pa.string()),
            ("site", pa.string()),
            ("duplicates", pa.list_(pa.struct([("source", pa.string()), ("kind", pa.string()),
                                               ("similarity", pa.float64())]))),
            ("metadata", pa.string()), ("change_seq", pa.int64()), ("event_id", pa.int64()),
            ("event_size", pa.int64()),
        ])
        self.writer = pa.parquet.ParquetWriter(handle, self.schema, compression="zstd")
        self.row_group = row_group
        self.pending: dict[str, list] = {name: [] for name in COLUMNS}
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        for name, value in row(record).items():
            self.pending[name].append(value)
        self.count += 1
        if self.count >= self.row_group:
            self.flush()

    def flush(self) -> None:
        if not self.count:
            return
        table = self.pa.Table.from_pydict(self.pending, schema=self.schema)
        self.writer.write_table(table, row_group_size=self.row_group)
        self.pending = {name: [] for name in COLUMNS}
        self.count = 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


def writer(fmt: str, handle: IO[bytes]):
    return {"jsonl": JsonlWriter, "csv": CsvWriter, "parquet": ParquetWriter}[fmt](handle)
