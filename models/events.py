"""Events as downstream tools read them: ``corpus events``, ``Corpus.events()``, the
article's ``event`` in the export, and the counts ``/metrics`` shows. The workers write
them (``workers.events``); here they are only read."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from models.tables import Article, Document, Event, EventLink, EventMember, EventOutbox


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, timezone.utc).isoformat().replace("+00:00", "Z")


def live_event(session: Session, event_id: int) -> Event | None:
    """The event, following merges to the one that took it in; None when there is none."""
    event = session.get(Event, event_id)
    seen = set()
    while event is not None and event.merged_into_id is not None and event.id not in seen:
        seen.add(event.id)
        event = session.get(Event, event.merged_into_id)
    return event if event is not None and event.size > 0 else None


def article_event(session: Session, article_id: int) -> dict[str, int] | None:
    """``{"id", "size"}`` of an article's event (None until a worker assigned it)."""
    row = session.execute(
        select(Event.id, Event.size).join(EventMember, EventMember.event_id == Event.id)
        .where(EventMember.article_id == article_id)
    ).first()
    return None if row is None else {"id": row.id, "size": row.size}


def pending_mark(session: Session) -> int | None:
    """The newest row of the event outbox (articles settled whose event the workers have
    still to assign); None when none is pending. Every article settled before this read has
    its event once ``events_assigned(session, mark)``."""
    return session.scalar(select(func.max(EventOutbox.id)))


def events_assigned(session: Session, mark: int | None) -> bool:
    """Whether no outbox row up to ``mark`` is left: one read by primary key, however many
    articles were pending (what ``corpus ingest --wait`` asks before it returns)."""
    return mark is None or session.scalar(select(EventOutbox.id).where(EventOutbox.id <= mark,
                                                                       EventOutbox.error.is_(None)).limit(1)) is None


def event_failures(session: Session, mark: int | None = None) -> tuple[int, str | None]:
    """Articles whose event assignment failed on its own (``workers.events.drain`` keeps
    their outbox rows with the reason), up to ``mark`` if given: how many, and the newest
    reason."""
    where = [EventOutbox.error.is_not(None)] + ([EventOutbox.id <= mark] if mark is not None else [])
    count = session.scalar(select(func.count(func.distinct(EventOutbox.article_id))).where(*where)) or 0
    reason = session.scalar(select(EventOutbox.error).where(*where).order_by(EventOutbox.id.desc()).limit(1)) \
        if count else None
    return int(count), reason


def event_count(session: Session) -> dict[str, int]:
    """Live events, and how many of them have more than one article."""
    total, multi = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Event.size > 1, 1), else_=0)), 0))
        .where(Event.merged_into_id.is_(None), Event.size > 0)
    ).one()
    return {"events": int(total or 0), "multi_article": int(multi or 0)}


def _members(session: Session, event_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = session.execute(
        select(EventMember.event_id, EventMember.article_id, EventMember.at, EventMember.site,
               Document.title, Document.url, Document.source)
        .join(Article, Article.id == EventMember.article_id)
        .join(Document, Document.id == Article.canonical_document_id)
        .where(EventMember.event_id.in_(event_ids))
        .order_by(EventMember.event_id, EventMember.at, EventMember.article_id)
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.event_id, []).append(
            {"id": r.article_id, "title": r.title, "source": r.url or r.source, "site": r.site, "at": _iso(r.at)})
    return out


def _record(event: Event, members: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": event.id,
        "size": event.size,
        "sites": sorted({m["site"] for m in members if m["site"]}),
        "first": _iso(event.first_at),
        "last": _iso(event.last_at),
        "articles": members,
    }


def list_events(session: Session, *, since: float | None = None, min_size: int = 1,
                limit: int | None = None) -> list[dict[str, Any]]:
    """Live events, largest first (then latest), with their articles, sites and time span;
    ``since``: only events with an article at or after that time (epoch seconds)."""
    query = select(Event).where(Event.merged_into_id.is_(None), Event.size >= max(min_size, 1))
    if since is not None:
        query = query.where(Event.last_at >= since)
    query = query.order_by(Event.size.desc(), Event.last_at.desc(), Event.id)
    if limit is not None:
        query = query.limit(limit)
    events = list(session.scalars(query))
    members: dict[int, list[dict[str, Any]]] = {}
    ids = [e.id for e in events]
    for start in range(0, len(ids), 500):
        members.update(_members(session, ids[start:start + 500]))
    return [_record(e, members.get(e.id, [])) for e in events]


def event_detail(session: Session, event_id: int) -> dict[str, Any] | None:
    """An event with, for each article, why it is there: the first article founded it, every
    other one joined through its strongest link to an article before it (score and the
    shared names, numbers and rare words)."""
    event = live_event(session, event_id)
    if event is None:
        return None
    members = _members(session, [event.id]).get(event.id, [])
    ids = [m["id"] for m in members]
    links = list(session.scalars(select(EventLink).where(or_(EventLink.a_id.in_(ids), EventLink.b_id.in_(ids)))))
    order = {article_id: i for i, article_id in enumerate(ids)}
    for member in members:
        mine = [(link, link.b_id if link.a_id == member["id"] else link.a_id) for link in links
                if member["id"] in (link.a_id, link.b_id)]
        before = [(link, other) for link, other in mine if order.get(other, len(ids)) < order[member["id"]]]
        if order[member["id"]] == 0:
            member["why"] = {"joined": "first article of the event"}
        elif before or mine:
            link, other = max(before or mine, key=lambda item: (item[0].score, -item[1]))
            member["why"] = {"joined": f"linked to article {other}", "via": other, "score": round(link.score, 4),
                             "shared": [label for label, _ in link.shared]}
        else:  # not reached while links and members agree
            member["why"] = {"joined": "no link recorded"}
    record = _record(event, members)
    if event.id != event_id:
        record["requested"] = event_id
    return record
