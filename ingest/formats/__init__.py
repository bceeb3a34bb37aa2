"""Input formats: a file on disk to the ``NewDocument``s it holds.

One module per kind of input:

- ``plain``: ``.txt`` ``.md`` ``.text`` ``.html`` ``.htm`` — one document, bytes kept as
  they are (decompressed and decoded by the workers, so that failures land in the store);
- ``records``: ``.json`` (one record) and ``.jsonl`` (one record a line), records being
  ``{"text" | "html", "url", "title", "published", "site", "metadata"}``;
- ``warc``: ``.warc`` and ``.warc.gz`` — the HTML response records of a web crawl;
- ``compressed``: any of them ``.gz``.

Container files (``.jsonl``, ``.warc``) are streamed: the readers yield documents one at a
time and never hold the file. A bad record (a line that is not JSON, a WARC record whose
HTTP part cannot be parsed) becomes a document that is already ``failed``, its reason
naming the line or offset, so the ledger accounts for it; records that are not
documents (WARC requests, metadata, images) are skipped and counted in ``ReadStats``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ingest.formats import plain, records, warc
from ingest.formats.base import SUPPORTED, Format, ReadError, ReadStats, format_of
from models.documents import NewDocument
from workers.settings import Settings

__all__ = ["SUPPORTED", "Format", "ReadError", "ReadStats", "documents", "format_of"]



def documents(path: Path, *, source: str | None = None, site: str | None = None, max_bytes: int | None = None,
              stats: ReadStats | None = None) -> Iterator[NewDocument]:
    """Every document in the file at ``path``, streamed.

    ``source`` names the file in the store (default: the path); ``site`` is the site the
    caller knows (an inbox sub-folder). ``ReadError`` when the file cannot be opened at
    all; problems with single records are failed documents instead.
    """
    found = format_of(path)
    if found is None:
        raise ReadError(f"{path}: unsupported file type (supported: {', '.join(SUPPORTED)})")
    if max_bytes is None:
        max_bytes = Settings.from_env().max_document_bytes
    stats = stats if stats is not None else ReadStats()
    name = source or str(path)
    if found.reader == "plain":
        reader = plain.read(path, found, source=name, site=site, max_bytes=max_bytes)
    elif found.reader == "json":
        reader = records.read_json(path, found, source=name, site=site, max_bytes=max_bytes)
    elif found.reader == "jsonl":
        reader = records.read_jsonl(path, found, source=name, site=site, max_bytes=max_bytes, stats=stats)
    else:
        reader = warc.read_warc(path, found, source=name, site=site, max_bytes=max_bytes, stats=stats)
    for document in reader:
        stats.documents += 1
        if document.error:
            stats.failed_records += 1
        yield document
