"""Records: ``{"text" | "html", "url", "title", "published", "site", "metadata"}`` as
documents — from ``.json`` (one record), ``.jsonl`` (one record a line) and the API.

A record's source is its URL when it has one, else ``PATH#L<line>`` (JSON Lines) or the
path (``.json``). Its site is the record's own ``site``, else the one the caller knows
(an inbox sub-folder), else its URL's host. Other keys are kept in the metadata.

A line that is not a JSON object, or an object without a usable body, becomes a failed
document whose reason names the line; the other lines go on.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingest.formats.base import Format, ReadStats
from ingest.formats.compressed import STREAM_ERRORS, describe, open_stream
from models.documents import NewDocument
from workers.steps.decode import BadInput, decode
from workers.steps.sites import site_of_url

FIELDS = ("text", "html", "url", "title", "published", "site", "metadata")
#: how much of a bad record's bytes the store keeps with its reason
FAILED_KEEP_BYTES = 64 * 1024


class BadRecord(ValueError):
    """A record that cannot be a document; the message says why."""


def _optional_str(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRecord(f"'{key}' must be a string, got {type(value).__name__}")
    return value


def _published(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadRecord(f"'published' must be a string or a date, got {type(value).__name__}")


def to_document(record: Any, *, source: str, site: str | None = None) -> NewDocument:
    """One record as a document; ``BadRecord`` when it cannot be one. ``source`` is used
    when the record has no URL."""
    if not isinstance(record, Mapping):
        raise BadRecord(f"expected a JSON object, got {type(record).__name__}")
    bodies = [key for key in ("html", "text") if record.get(key) not in (None, "")]
    if not bodies:
        raise BadRecord("needs a non-empty 'text' or 'html'")
    kind = bodies[0]  # html wins when a record carries both: the cleaner works best from the page
    body = record[kind]
    if not isinstance(body, str):
        raise BadRecord(f"'{kind}' must be a string, got {type(body).__name__}")
    url = _optional_str(record, "url")
    title = _optional_str(record, "title")
    own_site = _optional_str(record, "site")
    published = _published(record.get("published"))
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise BadRecord(f"'metadata' must be an object, got {type(metadata).__name__}")
    metadata = dict(metadata or {})
    metadata.update({k: v for k, v in record.items() if k not in FIELDS})
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as exc:
        raise BadRecord(f"'metadata' must be JSON-serialisable: {exc}") from exc
    hints: dict[str, Any] = {"charset": "utf-8"}  # the body was text already; its bytes are UTF-8
    hints.update({k: v for k, v in (("title", title), ("published", published), ("url", url)) if v})
    if metadata:
        hints["metadata"] = metadata
    return NewDocument(
        source=url or source,
        data=body.encode("utf-8", errors="surrogatepass"),
        format=kind,
        url=url,
        site=own_site or site or site_of_url(url),
        hints=hints,
    )


def failed(source: str, raw: bytes, reason: str, container: str) -> NewDocument:
    """A record that is already failed with ``reason``: the ledger accounts for it."""
    return NewDocument(source=source, data=raw[:FAILED_KEEP_BYTES], format=container, error=reason)


def decode_text(data: bytes) -> str:
    """JSON text: UTF-8 (BOM or not), UTF-16 with BOM, else a detected legacy encoding."""
    try:
        return decode(data, declared="utf-8")
    except BadInput as exc:
        raise BadRecord(str(exc)) from exc


# ------------------------------------------------------------------------------- .json


def read_json(path: Path, found: Format, *, source: str, site: str | None, max_bytes: int) -> Iterator[NewDocument]:
    limit = 2 * max_bytes + 65536  # the body is inside JSON (escapes), hence the slack
    with open_stream(path, found.gzipped) as stream:
        try:
            data = stream.read(limit + 1)
        except STREAM_ERRORS as exc:
            yield failed(source, b"", f"{describe(exc)}", "json")
            return
    if len(data) > limit:
        yield failed(source, data, f"over the {limit:,}-byte limit for one JSON record (CORPUS_MAX_DOCUMENT_BYTES)", "json")
        return
    try:
        record = json.loads(decode_text(data))
        if isinstance(record, list):
            raise BadRecord("a .json file holds one record (an object); put many records in a .jsonl file, one a line")
        yield to_document(record, source=source, site=site)
    except json.JSONDecodeError as exc:
        yield failed(source, data, f"invalid JSON: {exc}", "json")
    except BadRecord as exc:
        yield failed(source, data, str(exc), "json")


# ------------------------------------------------------------------------------ .jsonl


def _lines(stream, max_bytes: int) -> Iterator[tuple[int, bytes | str, bool]]:
    """``(line number, line, too long)``; UTF-16 files (BOM) come out as str."""
    head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        stream = io.TextIOWrapper(stream, encoding="utf-16", errors="strict", newline="")
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        too_long = len(line) > max_bytes and not line.endswith(("\n", b"\n")[isinstance(line, bytes)])
        if too_long:
            while True:  # skip the rest of the line without holding it
                rest = stream.readline(1 << 20)
                if not rest or rest.endswith(("\n", b"\n")[isinstance(rest, bytes)]):
                    break
        yield number, line, too_long


def read_jsonl(path: Path, found: Format, *, source: str, site: str | None, max_bytes: int,
               stats: ReadStats) -> Iterator[NewDocument]:
    limit = 2 * max_bytes + 65536
    number = 0
    with open_stream(path, found.gzipped) as stream:
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(stream)
        lines = _lines(stream, limit)
        while True:
            try:
                number, line, too_long = next(lines)
            except StopIteration:
                return
            except (*STREAM_ERRORS, UnicodeDecodeError) as exc:
                reason = describe(exc) if not isinstance(exc, UnicodeDecodeError) else f"invalid UTF-16: {exc}"
                where = number + 1
                yield failed(f"{source}#L{where}", b"", f"line {where}: {reason}; the rest of the file was not read",
                             "jsonl")
                return
            raw = line.encode("utf-8", errors="surrogatepass") if isinstance(line, str) else line
            here = f"{source}#L{number}"
            if too_long:
                yield failed(here, raw, f"line {number}: over the {limit:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)",
                             "jsonl")
                continue
            if not raw.strip():
                continue  # blank lines are not records
            try:
                text = line if isinstance(line, str) else decode_text(raw)
                record = json.loads(text.lstrip("\ufeff"))
                yield to_document(record, source=here, site=site)
            except json.JSONDecodeError as exc:
                yield failed(here, raw, f"line {number}: invalid JSON: {exc}", "jsonl")
            except BadRecord as exc:
                yield failed(here, raw, f"line {number}: {exc}", "jsonl")
