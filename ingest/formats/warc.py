"""WARC files (``.warc``, ``.warc.gz``): the HTML responses of a web crawl as documents.

Streamed record by record with warcio; nothing but the current record's body is held.
A document is a ``response`` (or ``resource``) record with a 2xx status whose content
type is HTML; its source is the record's target URI, else ``PATH@<offset>``, and the
charset its HTTP headers declare goes with it to the decoder. Every other record —
requests, metadata, warcinfo, revisits, images, error pages — is skipped and counted.

A record that cannot be read (HTTP headers that do not parse, a body that does not
decompress, a body over the size limit, a payload shorter than its Content-Length, a
damaged WARC header) becomes a failed document naming its offset, never a cut page; after a damaged WARC header the reader looks for the next record and
goes on from there.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException

from ingest.formats.base import Format, ReadStats, open_regular
from ingest.formats.compressed import STREAM_ERRORS, describe
from ingest.formats.records import failed, site_of_url
from models.documents import NewDocument

log = logging.getLogger("corpus.formats.warc")

HTML_TYPES = ("text/html", "application/xhtml+xml")
DOCUMENT_RECORDS = ("response", "resource")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_SCAN = 1 << 20


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def _printable(text: str, limit: int = 120) -> str:
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned[:limit] + ("..." if len(cleaned) > limit else "")


def _looks_html(head: bytes) -> bool:
    head = head.lstrip()[:512].lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _next_record_start(handle, start: int, gzipped: bool) -> int | None:
    """Offset of the next thing that looks like the start of a record after ``start``."""
    marker = b"\x1f\x8b\x08" if gzipped else b"WARC/1."
    position = start
    while True:
        handle.seek(position)
        chunk = handle.read(_SCAN + len(marker))
        if not chunk:
            return None
        found = chunk.find(marker, 1 if position == start else 0)
        if found >= 0 and (gzipped or found == 0 or chunk[found - 1 : found] == b"\n"):
            return position + found
        if len(chunk) <= len(marker):
            return None
        position += _SCAN


def read_warc(path: Path, found: Format, *, source: str, site: str | None, max_bytes: int,
              stats: ReadStats) -> Iterator[NewDocument]:
    handle = open_regular(path)
    http = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)
    base = 0
    read = 0  # records read so far
    with handle:
        while True:  # one pass per stretch of readable records
            handle.seek(base)
            iterator = ArchiveIterator(handle, no_record_parse=True)
            try:
                for record in iterator:
                    read += 1
                    document = _document(record, iterator.offset, source, site, max_bytes,
                                         stats, http, StatusAndHeadersParserException)
                    if document is not None:
                        yield document
                return
            except (ArchiveLoadFailed, ValueError, OSError, EOFError) as exc:
                if "non-chunked gzip" in str(exc) and base == 0:
                    # One gzip stream around the whole WARC rather than one member per
                    # record: read it through gzip instead (offsets are then uncompressed).
                    handle.seek(0)
                    yield from _whole_gzip(handle, read, source, site, max_bytes, stats, http,
                                           StatusAndHeadersParserException)
                    return
                at = max(iterator.offset or 0, base)  # absolute: the iterator reads the file from ``base``
                reason = _printable(str(exc).strip().splitlines()[0]) if str(exc).strip() else type(exc).__name__
                yield failed(f"{source}@{at}", b"", f"offset {at}: unreadable WARC record: {reason}", "warc")
                try:
                    resume = _next_record_start(handle, at, found.gzipped)
                except OSError:
                    return
                if resume is None or resume <= base:
                    return
                base = resume


def _whole_gzip(handle, already: int, source, site, max_bytes, stats, http, parse_error) -> Iterator[NewDocument]:
    """A ``.warc.gz`` that is one gzip stream: records after the first ``already`` (those
    were read before warcio noticed), with offsets in the uncompressed stream."""
    stream = gzip.GzipFile(fileobj=handle, mode="rb")
    iterator = ArchiveIterator(stream, no_record_parse=True)
    position = 0
    try:
        for record in iterator:
            position += 1
            if position <= already:
                continue
            document = _document(record, iterator.offset, source, site, max_bytes, stats, http, parse_error)
            if document is not None:
                yield document
    except (*STREAM_ERRORS, ValueError, OSError) as exc:
        at = iterator.offset or 0
        reason = describe(exc) if isinstance(exc, STREAM_ERRORS) else _printable(str(exc).strip()[:200])
        yield failed(f"{source}@{at}", b"", f"offset {at} (uncompressed): unreadable WARC record: {reason}; "
                     "the rest of the file was not read", "warc")


def _missing(record) -> int:
    """How many bytes of the record's declared Content-Length the file did not hold (0 for
    a whole record): warcio hands out what there is and says nothing when a record is cut
    short, which would store the cut page as if it were the page."""
    stream = record.raw_stream
    if not isinstance(stream, LimitReader) or record.length is None:
        return 0
    while stream.limit > 0 and stream.read(min(stream.limit, 1 << 16)):
        pass  # the rest of the payload (a body read whole may leave trailing bytes)
    return max(0, stream.limit)


def _document(record, offset: int, source: str, site: str | None, max_bytes: int, stats: ReadStats, http,
              parse_error) -> NewDocument | None:
    here = f"{source}@{offset}"
    if record.rec_type not in DOCUMENT_RECORDS:
        stats.skipped += 1
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or None
    if url:
        url = url.strip("<>")
    name = url or here
    try:
        if record.rec_type == "response" and (record.content_type or "").lower().startswith("application/http"):
            try:
                record.http_headers = http.parse(record.raw_stream)
            except (parse_error, ValueError, EOFError) as exc:
                return failed(name, b"", f"offset {offset}: HTTP headers do not parse: {exc}", "warc")
            status = record.http_headers.get_statuscode() or ""
            if not (len(status) == 3 and status.isdigit()):
                line = _printable(record.http_headers.statusline)
                return failed(name, b"", f"offset {offset}: not an HTTP response status line: {line!r}", "warc")
            if not status.startswith("2"):
                stats.skipped += 1
                return None
            content_type = record.http_headers.get_header("content-type")
        else:
            content_type = record.content_type
        body = record.content_stream().read(max_bytes + 1)
        missing = _missing(record) if len(body) <= max_bytes else 0
    except Exception as exc:  # a body that does not decompress, a cut stream: this record only
        return failed(name, b"", f"offset {offset}: unreadable body: {type(exc).__name__}: {exc}", "warc")
    if missing:
        declared = record.length
        return failed(name, b"", f"offset {offset}: truncated WARC record: Content-Length is {declared:,} bytes "
                      f"but the file ends {missing:,} bytes short of it", "warc")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime not in HTML_TYPES and not (not mime and _looks_html(body)):
        stats.skipped += 1
        return None
    if len(body) > max_bytes:
        return failed(name, body[:1024], f"offset {offset}: body over the {max_bytes:,}-byte limit "
                      "(CORPUS_MAX_DOCUMENT_BYTES)", "warc")
    hints = {"warc_offset": offset}
    charset = _charset(content_type)
    if charset:
        hints["charset"] = charset
    if url:
        hints["url"] = url
    crawled = record.rec_headers.get_header("WARC-Date")
    if crawled:
        hints["crawled_at"] = crawled
    return NewDocument(source=name, data=body, format="html", url=url, site=site or site_of_url(url), hints=hints)
