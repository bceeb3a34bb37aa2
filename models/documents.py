"""Documents in the store: recording accepted inputs, their raw bytes, their statuses.

The front doors call :func:`record`; the pipeline reads the raw bytes back and writes the
cleaned fields (``workers.pipeline``), the clustering writes live with ``workers.linking``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.orm import Session

from models.db import chunked
from models.tables import FAILED, RECEIVED, Document, utcnow


@dataclass
class NewDocument:
    """An accepted input, as a front door hands it to the store."""

    source: str
    data: bytes
    format: str  # "text" or "html"
    gzipped: bool = False
    url: str | None = None
    site: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    #: a front door that already knows the input cannot be a document (a bad JSONL line, a
    #: broken WARC record) says why here; ``record`` stores it failed with that reason.
    error: str | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def raw_bytes(document: Document) -> tuple[bytes, bool]:
    """The stored input and whether it is still gzip-compressed."""
    if document.hints.get("gzipped"):
        return document.raw, True
    return zlib.decompress(document.raw), False


#: Hints the front doors and the pipeline use among themselves; never article metadata.
INTERNAL_HINTS = frozenset({"gzipped", "charset", "copy_of", "warc_offset"})


def record(session: Session, items: list[NewDocument]) -> list[tuple[int, bool]]:
    """Store inputs and return ``(document id, is new)`` for each, in order.

    The same bytes from the same source are one document, however often they arrive, so
    re-running an ingest does not create or process anything twice. The same bytes from
    another source are a document of their own (the ledger accounts for every input)
    marked ``hints["copy_of"]`` = the first document with those bytes: the pipeline
    links it as an exact copy of that document's article without cleaning it again.
    An item with an ``error`` is stored failed at once, with that reason.
    """
    keys = [(item.source, item.content_hash) for item in items]
    known = _known(session, keys)
    fresh = {key: item for item, key in zip(items, keys) if key not in known}
    originals = _first_with_content(session, {(item.content_hash, item.format) for item in fresh.values()
                                              if item.error is None})
    created: dict[tuple[str, str], Document] = {}
    copies: list[tuple[Document, tuple[str, str]]] = []  # copies of a document created in this batch
    # (content hash, format) -> key of the first document created in this batch with those
    # bytes: a dict, not a scan of ``created`` per item (quadratic in the batch size).
    first_created: dict[tuple[str, str], tuple[str, str]] = {}
    now = utcnow()
    for key, item in fresh.items():
        document = _new_document(item, key[1])
        if item.error is not None:
            document.status, document.error, document.processed_at = FAILED, item.error, now
        else:
            content = (key[1], item.format)
            if content in originals:
                document.hints["copy_of"] = originals[content]
            else:
                first = first_created.get(content)
                if first is not None:
                    copies.append((document, first))
            first_created.setdefault(content, key)
        created[key] = document
    session.add_all(created.values())
    session.flush()
    for document, first in copies:
        document.hints = {**document.hints, "copy_of": created[first].id}
    if copies:
        session.flush()
    ids = known | {key: document.id for key, document in created.items()}
    result = []
    for key in keys:
        result.append((ids[key], key in created))
        created.pop(key, None)  # the same input twice in one batch is one new document
    return result


def _known(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """``(source, content hash) -> id`` of the documents already stored."""
    known: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(Document.source, Document.content_hash, Document.id).where(
                tuple_(Document.source, Document.content_hash).in_(keys[start : start + 500])
            )
        )
        known.update({(source, digest): doc_id for source, digest, doc_id in rows})
    return known


def _new_document(item: NewDocument, content_hash: str) -> Document:
    hints = dict(item.hints)
    if item.gzipped:
        hints["gzipped"] = True
    return Document(
        source=item.source,
        url=item.url,
        site=item.site,
        format=item.format,
        content_hash=content_hash,
        raw=item.data if item.gzipped else zlib.compress(item.data, 1),
        raw_size=len(item.data),
        hints=hints,
    )


def _first_with_content(session: Session, contents: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """``(content hash, format) -> id`` of the first document stored with those bytes
    (its copies point at it), among documents not refused at the door."""
    found: dict[tuple[str, str], int] = {}
    hashes = sorted({digest for digest, _ in contents})
    for start in range(0, len(hashes), 500):
        rows = session.execute(
            select(Document.content_hash, Document.format, func.min(Document.id))
            .where(Document.content_hash.in_(hashes[start : start + 500]), Document.format.in_(("text", "html")))
            .group_by(Document.content_hash, Document.format)
        )
        found.update({(digest, fmt): doc_id for digest, fmt, doc_id in rows if (digest, fmt) in contents})
    return found


def statuses(session: Session, ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in chunked(ids):
        found.update(session.execute(select(Document.id, Document.status).where(Document.id.in_(chunk))).all())
    return found


# What the pipeline writes: Core statements (executemany), each guarded by the stage so a
# concurrent redelivery that got there first wins and this one changes nothing.
_documents = Document.__table__
CLEANED_COLUMNS = ("title", "text", "removed", "metadata", "site", "cleaner_version", "site_model_version",
                   "text_hash", "length", "fingerprint", "stage")
_save_cleaned = (
    update(_documents)
    .where(_documents.c.id == bindparam("doc_id"), _documents.c.stage == RECEIVED)
    .values({column: bindparam(f"v_{column}") for column in CLEANED_COLUMNS})
)
_save_failed = (
    update(_documents)
    .where(_documents.c.id == bindparam("doc_id"), _documents.c.stage == RECEIVED)
    .values(status=FAILED, error=bindparam("reason"), processed_at=bindparam("now"))
)


def cleaned_row(doc_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """A row for :func:`save_cleaned`: ``values`` keyed by ``CLEANED_COLUMNS``."""
    return {"doc_id": doc_id, **{f"v_{column}": values[column] for column in CLEANED_COLUMNS}}


def row_values(row: dict[str, Any]) -> dict[str, Any]:
    """The column values of a :func:`cleaned_row`."""
    return {column: row[f"v_{column}"] for column in CLEANED_COLUMNS}


def stored_values(document: Document) -> dict[str, Any]:
    """A stored document's cleaned columns, keyed like :func:`cleaned_row`'s values."""
    return {column: getattr(document, "meta" if column == "metadata" else column) for column in CLEANED_COLUMNS}


def save_cleaned(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_save_cleaned, rows)


def save_failed(session: Session, failures: dict[int, str]) -> None:
    """Fail documents still to be cleaned, each with its reason."""
    if failures:
        now = utcnow()
        session.execute(_save_failed, [{"doc_id": d, "reason": r, "now": now} for d, r in failures.items()])


def load(session: Session, ids: Iterable[int]) -> list[Document]:
    """Documents by id, in id order, detached from the session (they outlive it)."""
    documents = [d for chunk in chunked(sorted(set(ids))) for d in
                 session.scalars(select(Document).where(Document.id.in_(chunk)).order_by(Document.id))]
    session.expunge_all()
    return documents


def others_fingerprinted(session: Session, besides: list[int]) -> bool:
    """Whether any document outside ``besides`` has a fingerprint (then the index cannot
    rightly be empty)."""
    return session.scalar(select(Document.id).where(Document.fingerprint.is_not(None),
                                                    Document.id.not_in(besides)).limit(1)) is not None


def move_sources(session: Session, ids: Iterable[int], old: str, new: str) -> int:
    """Documents of a file that moved (the inbox's ``processing/`` to ``done/``): sources
    ``old``, ``old#L<n>`` and ``old@<offset>`` become ``new...``; URL sources stay. A
    source already taken with the same bytes is left as it is (the ledger keeps both).
    Returns how many moved."""
    ids = list(ids)
    moved = 0
    for start in range(0, len(ids), 900):
        rows = session.execute(select(Document.id, Document.source, Document.content_hash)
                               .where(Document.id.in_(ids[start : start + 900]))).all()
        renamed = {row.id: new + row.source[len(old):] for row in rows
                   if row.source == old or row.source.startswith((old + "#L", old + "@"))}
        if not renamed:
            continue
        taken = _known(session, [(source, row.content_hash) for row in rows
                                 for source in [renamed.get(row.id)] if source])
        values = [{"doc_id": doc_id, "new_source": source} for doc_id, source in renamed.items()
                  if not any(key[0] == source for key in taken)]
        if values:
            session.execute(update(_documents).where(_documents.c.id == bindparam("doc_id"))
                            .values(source=bindparam("new_source")), values)
            moved += len(values)
    return moved
