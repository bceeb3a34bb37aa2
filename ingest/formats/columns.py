"""Tables of records (Parquet, CSV): which column holds what, and a row as a document.

A table has a text column (``text`` by default; a column ``html`` is taken as the page when
there is no text column) and optional ``id``, ``url``, ``title``, ``published`` and
``site`` columns, each renamed by a flag of ``corpus ingest`` (``--text-column`` ...) or a
``Columns`` of the Python API. Every other column goes into the document's metadata, as a
JSON line's other keys do. A row becomes a record and goes through the same
``records.to_document`` as a JSON line, so the two formats cannot drift apart.

A row's source is its URL, else ``PATH#id=<id>`` when the table has an id column, else
``PATH#R<row>`` (rows counted from 1, the header not counted). A bad row (empty text, a
text over the size limit, a value that cannot be metadata) fails alone, naming its row.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ingest.formats.records import BadRecord, failed, to_document
from models.documents import NewDocument


@dataclass(frozen=True)
class Columns:
    """The names of the columns that mean something to corpus; ``None`` leaves one out."""

    text: str = "text"
    id: str | None = "id"
    url: str | None = "url"
    title: str | None = "title"
    published: str | None = "published"
    site: str | None = "site"

    def roles(self) -> dict[str, str]:
        """column name -> record field, for the optional columns that are named."""
        named = {"url": self.url, "title": self.title, "published": self.published, "site": self.site}
        return {column: field for field, column in named.items() if column}


DEFAULT = Columns()


class Layout:
    """How one table's header maps onto a record; ``ValueError`` without a body column."""

    def __init__(self, header: list[str], columns: Columns, *, where: str) -> None:
        self.columns = columns
        if columns.text in header:
            self.body, self.kind = columns.text, "text"
        elif columns.text == DEFAULT.text and "html" in header:
            self.body, self.kind = "html", "html"
        else:
            raise ValueError(f"{where}: no column {columns.text!r} for the text (columns: {', '.join(header[:20])}); "
                             "name it with --text-column")
        roles = columns.roles()
        self.fields = {name: roles[name] for name in header if name in roles and name != self.body}
        self.id = columns.id if columns.id in header else None
        self.extra = [name for name in header if name != self.body and name not in self.fields and name != self.id]

    def document(self, row: dict[str, Any], *, number: int, path_source: str, site: str | None,
                 max_bytes: int, container: str) -> NewDocument:
        """The row as a document; a failed document naming the row when it cannot be one."""
        ident = row.get(self.id) if self.id else None
        here = f"{path_source}#id={ident}" if ident not in (None, "") else f"{path_source}#R{number}"
        body = row.get(self.body)
        try:
            if isinstance(body, (bytes, bytearray)):
                body = bytes(body).decode("utf-8")
            if isinstance(body, str) and len(body) > max_bytes:
                # characters, not bytes: cheap, and a UTF-8 text has at least as many bytes
                raise BadRecord(f"over the {max_bytes:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)")
            record: dict[str, Any] = {self.kind: body}
            for column, field in self.fields.items():
                value = row.get(column)
                if value is not None and field != "published" and not isinstance(value, str):
                    value = str(value)  # a numeric site or title column is still its text
                record[field] = value
            metadata = {name: plain(row.get(name)) for name in self.extra if row.get(name) not in (None, "")}
            if ident not in (None, ""):
                metadata["id"] = plain(ident)
            if metadata:
                record["metadata"] = metadata
            return to_document(record, source=here, site=site)
        except (BadRecord, UnicodeDecodeError) as exc:
            raw = body.encode("utf-8", "replace") if isinstance(body, str) else b""
            return failed(here, raw, f"row {number}: {exc}", container)


def plain(value: Any) -> Any:
    """A table value as JSON can hold it: dates as ISO 8601, decimals as numbers, bytes as
    base64, nested lists and structs kept."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
