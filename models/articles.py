"""Articles as downstream tools read them, and the store's totals.

``article_record`` is the shape of ``corpus export``, the API's ``get_article`` and
``changes``; ``live_articles`` walks them in change order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.events import article_event
from models.tables import CANONICAL, DUPLICATE, FAILED, PENDING, Article, Document


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
        "event": article_event(session, article.id),
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


def live_article_count(session: Session) -> int:
    return session.scalar(
        select(func.count(Article.id)).where(Article.merged_into_id.is_(None), Article.canonical_document_id.is_not(None))
    ) or 0
