"""What the monitor's JSON endpoints read from the store (and the readiness check): plain
functions of an engine or a runtime, no HTTP in them."""

from __future__ import annotations

import time
from datetime import timezone

from sqlalchemy import func, select, text

from models.db import read_scope
from models.events import list_events
from models.tables import DUPLICATE, FAILED, Article, Document
from workers.ops import lookup
from workers.ops.status import Unreachable, guarded
from workers.queue.registry import alive_workers


def iso(moment) -> str | None:
    """ISO 8601 with an offset (SQLite hands back naive datetimes, stored in UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def recent_failures(engine, *, limit: int = 20) -> list[dict]:
    with read_scope(engine) as session:
        rows = session.execute(
            select(Document.id, Document.source, Document.url, Document.site, Document.error, Document.processed_at)
            .where(Document.status == FAILED)
            .order_by(Document.processed_at.desc().nulls_last(), Document.id.desc())
            .limit(limit)
        ).all()
    return [{"id": r.id, "source": r.url or r.source, "site": r.site, "error": r.error,
             "processed_at": iso(r.processed_at)} for r in rows]


def recent_articles(engine, *, q: str = "", limit: int = 20) -> list[dict]:
    copies = (
        select(Document.article_id, func.count(Document.id).label("n"))
        .where(Document.status == DUPLICATE)
        .group_by(Document.article_id)
        .subquery()
    )
    query = (
        select(Article.id, Article.updated_at, Document.title, Document.source, Document.url, Document.site,
               func.coalesce(copies.c.n, 0).label("duplicates"))
        .join(Document, Document.id == Article.canonical_document_id)
        .outerjoin(copies, copies.c.article_id == Article.id)
        .where(Article.merged_into_id.is_(None))
        .order_by(Article.change_seq.desc(), Article.id.desc())
        .limit(limit)
    )
    q = q.strip()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Document.title.ilike(f"%{escaped}%", escape="\\"))
    with read_scope(engine) as session:
        rows = session.execute(query).all()
    return [{"id": r.id, "title": r.title, "source": r.url or r.source, "site": r.site, "duplicates": r.duplicates,
             "updated_at": iso(r.updated_at)} for r in rows]


def article(engine, ref: str) -> dict | None:
    """``corpus show --json`` for an article id, URL or source; None when it names none."""
    with read_scope(engine) as session:
        try:
            return lookup.detail(session, lookup.resolve(session, ref)[0])
        except lookup.NotFound:
            return None


def largest_events(engine, *, hours: float, min_size: int, limit: int) -> list[dict]:
    """The largest events with an article in the last ``hours`` (0: any time), as
    ``corpus events --json`` lists them."""
    since = time.time() - hours * 3600 if hours else None
    with read_scope(engine) as session:
        return list_events(session, since=since, min_size=min_size, limit=limit)


def readiness(rt) -> dict:
    """``/readyz``: Redis answers, a worker is alive, the store answers."""
    checks: dict[str, object] = {}
    problems: list[str] = []
    try:
        client = guarded(rt, lambda: rt.redis)
        guarded(rt, client.ping)
        checks["redis"] = True
        alive = guarded(rt, lambda: len(alive_workers(client, rt.settings.namespace)))
        checks["workers"] = alive
        if not alive:
            problems.append("no worker alive")
    except Unreachable as exc:
        checks["redis"] = False
        problems.append(str(exc))

    def ping_store():
        with read_scope(rt.engine) as session:
            session.execute(text("SELECT 1"))

    try:
        guarded(rt, ping_store)
        checks["store"] = True
    except Unreachable as exc:
        checks["store"] = False
        problems.append(str(exc))
    return {"ready": not problems, "checks": checks, "problems": problems}
