"""Reading and writing the store, for the front doors and downstream tools.

The clustering writes live with the pipeline (``workers.linking``); this module records
accepted documents and answers questions about the ledger and the articles.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from models.tables import CANONICAL, DUPLICATE, FAILED, PENDING, Article, Document, Meta, utcnow


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
    known: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.execute(
            select(Document.source, Document.content_hash, Document.id).where(
                tuple_(Document.source, Document.content_hash).in_(chunk)
            )
        )
        known.update({(source, digest): doc_id for source, digest, doc_id in rows})
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
        hints = dict(item.hints)
        if item.gzipped:
            hints["gzipped"] = True
        document = Document(
            source=item.source,
            url=item.url,
            site=item.site,
            format=item.format,
            content_hash=key[1],
            raw=item.data if item.gzipped else zlib.compress(item.data, 1),
            raw_size=len(item.data),
            hints=hints,
        )
        if item.error is not None:
            document.status, document.error, document.processed_at = FAILED, item.error, now
        else:
            content = (key[1], item.format)
            if content in originals:
                hints["copy_of"] = originals[content]
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


def counts(session: Session) -> dict[str, int]:
    by_status = dict(session.execute(select(Document.status, func.count()).group_by(Document.status)).all())
    total = sum(by_status.values())
    return {
        "total": total,
        "canonical": by_status.get(CANONICAL, 0),
        "duplicate": by_status.get(DUPLICATE, 0),
        "failed": by_status.get(FAILED, 0),
        "pending": by_status.get(PENDING, 0),
    }


def duplicates_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Document.kind, func.count()).where(Document.status == DUPLICATE).group_by(Document.kind)
    )
    return {kind or "unknown": n for kind, n in rows}


def statuses(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        found.update(session.execute(select(Document.id, Document.status).where(Document.id.in_(chunk))).all())
    return found


def article_record(session: Session, article: Article) -> dict[str, Any]:
    """An article as downstream tools read it: the export's and the API's shape."""
    canonical = session.get(Document, article.canonical_document_id)
    copies = session.scalars(
        select(Document)
        .where(Document.article_id == article.id, Document.status == DUPLICATE)
        .order_by(Document.id)
    ).all()
    return {
        "id": article.id,
        "title": canonical.title,
        "text": canonical.text,
        "source": canonical.url or canonical.source,
        "duplicates": [
            {"source": d.url or d.source, "kind": d.kind, "similarity": round(d.similarity or 0.0, 4)}
            for d in copies
        ],
        "metadata": {**(canonical.meta or {}), "site": canonical.site} if canonical.site else dict(canonical.meta or {}),
        "change_seq": article.change_seq,
    }


def live_articles(session: Session, *, since: int = 0) -> Iterator[Article]:
    """Articles not merged into another, in change order, after change sequence ``since``."""
    query = (
        select(Article)
        .where(Article.merged_into_id.is_(None), Article.canonical_document_id.is_not(None), Article.change_seq > since)
        .order_by(Article.change_seq)
        .execution_options(yield_per=500)
    )
    yield from session.scalars(query)


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(Meta(key=key, value=value))
