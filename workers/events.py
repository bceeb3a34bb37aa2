"""Events in the store: every live canonical article gets one, assigned as the pipeline
settles articles (``assign``, called in the linking transaction, under the cluster lock).

The rule is ``workers.steps.events``: two articles are linked when their keys say so, and
events are the connected components of the links, each named by its smallest article id.
Here that rule is kept true incrementally:

* a new article is judged against every live article within the window that shares one of
  its retrieval keys (``event_keys``); its links join it to their events (the larger event
  ids are recorded ``merged_into`` the smallest);
* an article whose canonical document changed is judged again from its new features, and
  an article absorbed by a dedup merge leaves its event; both may split an event, so the
  components of the events they were in are computed again from the stored links.

Every pair of live articles is judged once both are stored, with the features of their
current canonicals, by a symmetric rule of the two alone: the links, and so the events,
depend on the set of articles, not on the order they came in or the number of workers.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from models.tables import Article, Document, Event, EventKey, EventLink, EventMember, utcnow
from workers.steps import events as rule

log = logging.getLogger("corpus.events")

_CHUNK = 500  # ids per IN (...)
EXPLAINED_KEYS = 8
#: articles whose links one query of the component search reads: small, so that the search
#: stops soon after the pieces of a densely linked event have met (bench/events.py --scale)
_SEARCH_BATCH = 16  # shared keys kept with a link, for `corpus events show`


def article_time(meta: dict | None, created_at: datetime | None) -> float:
    """An article's time: its published date (the record's ``published``, or the date the
    cleaner read from the page), else when it arrived."""
    meta = meta or {}
    for field in ("published", "date"):
        at = rule.parse_time(meta.get(field))
        if at is not None:
            return at
    if created_at is None:
        return datetime.now(timezone.utc).timestamp()
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=timezone.utc)
    return created_at.timestamp()


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def assign(session: Session, article_ids: Iterable[int]) -> set[int]:
    """Give each of these articles (new, changed or absorbed) its event; returns the ids of
    the events that changed. Idempotent: an article whose canonical was already judged is
    left as it is."""
    article_ids = sorted(set(article_ids))
    if not article_ids:
        return set()
    articles, members = {}, {}
    for ids in _chunks(article_ids):
        for row in session.execute(
            select(Article.id, Article.merged_into_id, Article.canonical_document_id, Article.created_at,
                   EventMember.event_id, EventMember.document_id, EventMember.version)
            .outerjoin(EventMember, EventMember.article_id == Article.id).where(Article.id.in_(ids))
        ):
            articles[row.id] = row
            if row.event_id is not None:
                members[row.id] = row
    live = {i: a for i, a in articles.items() if a.merged_into_id is None and a.canonical_document_id is not None}
    gone = [i for i in article_ids if i not in live and i in members]
    stale = [i for i, a in live.items()
             if i in members and (members[i].document_id != a.canonical_document_id or members[i].version != rule.VERSION)]
    new = [i for i in live if i not in members]
    if not (gone or stale or new):
        return set()

    # Events that lose a member (or whose member changes) are recomputed from their links.
    broken = {members[i].event_id for i in gone + stale}
    # An absorbed article's event, left empty, points at the event of the article that absorbed it.
    absorbed_by = {members[i].event_id: articles[i].merged_into_id for i in gone if i in articles}
    # Every piece an event may break into holds a former neighbour of a leaving article (or a
    # re-placed one): the search for the new components starts there, not at every member.
    seeds = {x for pair in _neighbours(session, sorted(gone + stale)) for x in pair} - set(gone)
    previous = {i: members[i].event_id for i in gone + stale}
    _forget(session, gone + stale)
    placed = _place(session, {i: live[i] for i in sorted(stale + new)})
    pairs, current = _link(session, placed)
    if broken:
        return _recompute(session, broken, placed, absorbed_by, seeds, current, previous, set(gone))
    return _join(session, placed, pairs, current)


def _forget(session: Session, article_ids: list[int]) -> None:
    """Drop these articles' membership, index keys and links."""
    for ids in _chunks(sorted(article_ids)):
        session.execute(delete(EventKey).where(EventKey.article_id.in_(ids)))
        session.execute(delete(EventLink).where(or_(EventLink.a_id.in_(ids), EventLink.b_id.in_(ids))))
        session.execute(delete(EventMember).where(EventMember.article_id.in_(ids)))


def _place(session: Session, articles: dict) -> dict[int, rule.Features]:
    """Compute and store the features of these live articles (each first in an event of its
    own); returns them hashed, as stored."""
    if not articles:
        return {}
    documents = {d.id: d for ids in _chunks(sorted(a.canonical_document_id for a in articles.values()))
                 for d in session.execute(select(Document.id, Document.title, Document.text, Document.site,
                                                 Document.meta).where(Document.id.in_(ids)))}
    placed: dict[int, rule.Features] = {}
    members, keys = [], []
    for article_id, article in articles.items():
        canonical = documents[article.canonical_document_id]
        at = article_time(canonical.meta, article.created_at)
        features = rule.features(canonical.title, canonical.text, at=at, site=canonical.site).hashed()
        placed[article_id] = features
        members.append({"article_id": article_id, "event_id": article_id, "document_id": canonical.id,
                        "version": rule.VERSION, "at": features.at, "site": features.site,
                        "total": features.total, "keys": features.keys})
        keys += [{"key": key, "article_id": article_id, "at": features.at} for key in features.retrieval_keys()]
    session.execute(insert(EventMember), members)
    if keys:
        session.execute(insert(EventKey), keys)
    return placed


def _link(session: Session, placed: dict[int, rule.Features]) -> tuple[set[tuple[int, int]], dict[int, int]]:
    """Judge each placed article against the live articles of the window that share one of
    its retrieval keys (the other placed ones included) and store the links; returns the
    links and the current event of every article they touch."""
    current = {article_id: article_id for article_id in placed}
    if not placed:
        return set(), current
    window = rule.WINDOW_HOURS * 3600
    keys = sorted({k for f in placed.values() for k in f.retrieval_keys()})
    low = min(f.at for f in placed.values()) - window
    high = max(f.at for f in placed.values()) + window
    # Only articles sharing MIN_SHARED retrieval keys can be linked: the database counts them.
    holders: dict[int, list[int]] = {}  # retrieval key -> the articles of the window holding it
    for chunk in _chunks(keys):
        for key, article_id in session.execute(
            select(EventKey.key, EventKey.article_id).where(EventKey.key.in_(chunk), EventKey.at.between(low, high))
        ):
            holders.setdefault(key, []).append(article_id)
    candidates: dict[int, set[int]] = {}
    for article_id, features in placed.items():
        shared = Counter(other for key in features.retrieval_keys() for other in holders.get(key, ()))
        shared.pop(article_id, None)
        found = {other for other, n in shared.items() if n >= rule.MIN_SHARED}
        if found:
            candidates[article_id] = found
    others = sorted(set().union(*candidates.values()) - set(placed)) if candidates else []
    stored = dict(placed)
    for ids in _chunks(others):
        for m in session.execute(select(EventMember.article_id, EventMember.event_id, EventMember.keys, EventMember.at,
                                        EventMember.site, EventMember.total).where(EventMember.article_id.in_(ids))):
            stored[m.article_id] = rule.Features(m.keys, {}, m.at, m.site, m.total)
            current[m.article_id] = m.event_id
    links: dict[tuple[int, int], rule.Similarity] = {}
    for article_id in sorted(candidates):
        for other in sorted(candidates[article_id]):
            pair = (min(article_id, other), max(article_id, other))
            if pair in links or other not in stored:
                continue
            similarity = rule.similarity(stored[pair[0]], stored[pair[1]], explain=False)
            if similarity.linked:
                links[pair] = similarity
    if not links:
        return set(), current
    # Every pair has a placed article, whose links were just deleted or never existed.
    rows = [{"a_id": a, "b_id": b, "score": round(s.score, 4), "shared": [[label, w] for label, w in s.shared[:EXPLAINED_KEYS]]}
            for (a, b), s in sorted(links.items())]
    session.execute(insert(EventLink), rows)
    return set(links), current


def _neighbours(session: Session, article_ids: list[int]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for ids in _chunks(article_ids):
        pairs |= set(session.execute(
            select(EventLink.a_id, EventLink.b_id).where(or_(EventLink.a_id.in_(ids), EventLink.b_id.in_(ids)))
        ).all())
    return pairs


def _event_of(session: Session, article_ids: Iterable[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for ids in _chunks(sorted(set(article_ids))):
        found.update(session.execute(
            select(EventMember.article_id, EventMember.event_id).where(EventMember.article_id.in_(ids))).all())
    return found


def _join(session: Session, placed: dict[int, rule.Features], pairs: set[tuple[int, int]],
          current: dict[int, int]) -> set[int]:
    """The common case, only new articles: each joins the events of its links (all of them
    made just now), which merge into the smallest id among them."""
    components = rule.Components(placed)
    for a, b in pairs:
        components.union(current.get(a, a), current.get(b, b))
    renamed: dict[int, int] = {}
    for event_id in {current.get(x, x) for pair in pairs for x in pair} | set(placed):
        root = components.find(event_id)
        if root != event_id:
            renamed[event_id] = root
    for old, new in sorted(renamed.items()):
        session.execute(update(EventMember).where(EventMember.event_id == old).values(event_id=new))
    touched = set(renamed.values()) | {components.find(i) for i in placed}
    linked = {x for pair in pairs for x in pair}
    alone = {i for i in placed if i not in linked}  # most articles: an event of one, known without a query
    # An event is named after an article that is (or was) its member: a new article has none yet.
    if alone:
        now = utcnow()
        session.execute(insert(Event), [
            {"id": i, "merged_into_id": None, "size": 1, "sites": 1 if placed[i].site else 0, "first_at": placed[i].at,
             "last_at": placed[i].at, "created_at": now, "updated_at": now} for i in sorted(alone)])
    _write_events(session, touched - alone, merged=renamed)
    return touched | set(renamed)


def _recompute(session: Session, broken: set[int], placed: dict[int, rule.Features],
               absorbed_by: dict[int, int | None], seeds: set[int], current: dict[int, int],
               previous: dict[int, int], gone: set[int]) -> set[int]:
    """The components again, around what changed: an event may split, merge or lose its
    smallest member.

    A search runs from the seeds (the placed articles and the former neighbours of the
    articles that left or changed) over the stored links, a few articles' links per query;
    searches that meet are one piece. It stops as soon as at most one piece is still growing
    (has articles whose links were not read yet) and every placed article's links are read: every other piece is then a whole component (explored to the end), and the one
    still growing is everything else of the events it touched (its members read by event
    id, not through their links). In a large, densely linked event the seeds meet after a
    batch or two instead of every link of the event being read: on ``bench.corpus`` at 1,000
    documents (one event of ~690 articles, ~115,000 links) recomputing went from ~18 ms to
    ~1 ms per document (``bench/events.py --scale``). The result is the same components as a
    full search, so the events still depend only on the set of articles."""
    # Old event of every article the search may reach (stale and placed: as before this call).
    start = sorted(set(placed) | seeds)
    components = rule.Components(start)
    # The placed articles' links first: their new links are the only way into events that
    # did not change, so the piece still growing knows every event it reaches.
    seen, fetched, queue = set(start), set(), deque(sorted(placed) + sorted(seeds - set(placed)))
    open_roots: set[int] = set(start)
    while len(open_roots) > 1 or not fetched.issuperset(placed):
        batch = []
        while queue and len(batch) < _SEARCH_BATCH:
            x = queue.popleft()
            if x not in fetched:
                batch.append(x)
        if not batch:
            open_roots = set()
            break
        fetched.update(batch)
        for a, b in _neighbours(session, batch):
            components.union(a, b)
            for x in (a, b):
                if x not in seen:
                    seen.add(x)
                    queue.append(x)
        open_roots = {components.find(x) for x in seen - fetched}  # pieces that may still grow
    event_now = _event_of(session, seen)  # after _place: a placed article is its own event for now
    event_before = dict(event_now)
    event_before.update(previous)
    event_before.update({k: v for k, v in current.items() if k not in placed})
    groups: dict[int, set[int]] = {}
    for member in seen:
        groups.setdefault(components.find(member), set()).add(member)
    growing = next(iter(open_roots)) if open_roots else None
    closed = {root: group for root, group in groups.items() if root != growing}
    result: dict[int, int] = {}  # old event id -> the root of the component that has its survivors
    roots = set()
    for root, group in closed.items():
        roots.add(root)
        for member in group:
            if member in event_before:
                result.setdefault(event_before[member], root)
                result[event_before[member]] = min(result[event_before[member]], root)
    swept: set[int] = set()  # events whose members the growing piece's update moves
    if growing is not None:
        swept = {event_now[m] for m in groups[growing] if m in event_now} | \
                {event_before[m] for m in groups[growing] if m in event_before}
    updates: list[tuple[int, list[int]]] = [
        (root, sorted(m for m in group if event_now.get(m) != root or event_now.get(m) in swept))
        for root, group in closed.items()]
    if growing is not None:
        # The growing piece: every member of the events it reached, but those of closed pieces.
        reached = sorted(swept)
        taken = set().union(*closed.values()) if closed else set()
        everyone: set[int] = set(groups[growing])
        for ids in _chunks(reached):
            everyone |= set(session.scalars(select(EventMember.article_id).where(EventMember.event_id.in_(ids))))
        everyone -= taken | gone
        root = min(everyone)
        roots.add(root)
        for ids in _chunks(reached):
            session.execute(update(EventMember).where(EventMember.event_id.in_(ids), EventMember.event_id != root)
                            .values(event_id=root))
        for member in groups[growing]:
            if member in event_before:
                old = event_before[member]
                result[old] = min(result.get(old, root), root)
        for old in reached:
            result[old] = min(result.get(old, root), root)
    for root, moved in updates:  # after the growing piece's bulk update, which may have caught them
        for ids in _chunks(moved):
            session.execute(update(EventMember).where(EventMember.article_id.in_(ids)).values(event_id=root))
    old_ids = (set(result) | broken | set(event_before.values())) - roots
    # An event id that no component keeps points at the event that took its smallest member.
    merged: dict[int, int | None] = {}
    for old in sorted(old_ids):
        heir = result.get(old)
        if heir is None and absorbed_by.get(old) is not None:
            heir = next(iter(sorted(_event_of(session, [absorbed_by[old]]).values())), None)
        merged[old] = heir
    _write_events(session, roots, merged=merged)
    return roots | old_ids


def _write_events(session: Session, event_ids: set[int], *, merged: dict[int, int | None]) -> None:
    """Upsert the rows of these live events (size, sites, time span) and mark the merged."""
    ids = sorted(event_ids)
    if not ids and not merged:
        return
    stats = {}
    for chunk in _chunks(ids):
        stats.update({row[0]: row[1:] for row in session.execute(
            select(EventMember.event_id, func.count(), func.count(func.distinct(EventMember.site)),
                   func.min(EventMember.at), func.max(EventMember.at))
            .where(EventMember.event_id.in_(chunk)).group_by(EventMember.event_id))})
    rows = {}
    for chunk in _chunks(sorted(set(ids) | set(merged))):
        rows.update({e.id: e for e in session.scalars(select(Event).where(Event.id.in_(chunk)))})
    for event_id in ids:
        size, sites, first, last = stats.get(event_id, (0, 0, None, None))
        event = rows.get(event_id)
        if event is None:
            event = Event(id=event_id)
            session.add(event)
        event.merged_into_id, event.size, event.sites, event.first_at, event.last_at = None, size, sites, first, last
    for old, heir in sorted(merged.items()):
        if old in event_ids:
            continue
        event = rows.get(old)
        if event is None:
            event = Event(id=old, size=0, sites=0)
            session.add(event)
        event.merged_into_id, event.size = heir, 0
    session.flush()
