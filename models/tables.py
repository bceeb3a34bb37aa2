"""The store's tables: documents, canonical articles, verified matches.

A document is one accepted input (a file, a record, an API call). Its ``status`` is the
ledger: every document ends as exactly one of ``canonical``, ``duplicate`` (with
``article_id``, ``kind`` and ``similarity`` pointing at its canonical) or ``failed`` (with
``error``). ``stage`` is the document's own progress through the pipeline, kept apart from
the status because another worker may link a document into a cluster before the
document's own worker has finished.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# Ledger outcomes.
PENDING, CANONICAL, DUPLICATE, FAILED = "pending", "canonical", "duplicate", "failed"
# The document's own progress.
RECEIVED, INDEXED, LINKED = "received", "indexed", "linked"


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(255), index=True)
    format: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int] = mapped_column(BigInteger)
    hints: Mapped[dict[str, Any]] = mapped_column(default=dict)

    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    stage: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    removed: Mapped[list[Any] | None] = mapped_column()
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    cleaner_version: Mapped[str | None] = mapped_column(String(64))
    site_model_version: Mapped[int | None] = mapped_column(Integer)

    text_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    length: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)

    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    similarity: Mapped[float | None] = mapped_column(Float)

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (Index("ix_documents_source_content", "source", "content_hash"),)


class Article(Base):
    """One story. Its id never changes: a fuller copy arriving later only moves
    ``canonical_document_id``; when a new document bridges two stories the younger
    article points at the survivor through ``merged_into_id``."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    canonical_document_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Match(Base):
    """A verified near-duplicate edge between two documents (``a_id < b_id``). Clusters
    are the connected components of these edges, so they do not depend on arrival order."""

    __tablename__ = "matches"

    a_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    similarity: Mapped[float] = mapped_column(Float)


class SiteModelVersion(Base):
    """A frozen, versioned model of one site's boilerplate lines (``workers.steps.cleaning.SiteModel``
    as JSON). Workers clean with the latest version of a document's site and record which."""

    __tablename__ = "site_models"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(Text)
    documents: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Meta(Base):
    """Small key/value facts about the store, such as the dedup parameters every worker must share."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Event(Base):
    """One happening: the articles linked by ``workers.steps.events`` (connected components).
    Its id is the smallest article id among its members, so it is chosen by a rule, never by
    arrival; when a bridging article joins two events, the larger id points at the smaller
    through ``merged_into_id`` (and is live again should a later change split them)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer, default=0)
    sites: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[float | None] = mapped_column(Float)  # epoch seconds of its members' times
    last_at: Mapped[float | None] = mapped_column(Float, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class EventMember(Base):
    """A live article's place in an event, and the features it was judged on (keys hashed,
    ``workers.steps.events.Features.hashed``), computed from ``document_id``: when the
    article's canonical changes, its features and links are computed again."""

    __tablename__ = "event_members"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, index=True)
    document_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)
    site: Mapped[str | None] = mapped_column(String(255))
    total: Mapped[float] = mapped_column(Float)
    keys: Mapped[dict[str, Any]] = mapped_column()


class EventLink(Base):
    """Two articles judged about the same happening (``a_id < b_id``), with the score and
    the shared keys that said so: what ``corpus events show`` explains."""

    __tablename__ = "event_links"

    a_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    b_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    shared: Mapped[list[Any]] = mapped_column()


class EventKey(Base):
    """The retrieval index: an article's keys heavy enough to link it (every linked pair
    shares one), with its time, so that a new article finds its candidates in the window."""

    __tablename__ = "event_keys"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_event_keys_key_at", "key", "at"),)


class EventOutbox(Base):
    """An article whose event is still to be assigned: written by the link transaction (so
    no settled article is ever without one or the other), handled and deleted by the events
    drain (``workers.events.drain``). A row per settle, not per article: a drain deletes only
    the rows it read, so an article settled again meanwhile is assigned again. ``error``: why
    this article's assignment failed on its own (a fault, kept rather than retried for ever;
    ``corpus events rebuild`` tries it again)."""

    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    error: Mapped[str | None] = mapped_column(Text)
