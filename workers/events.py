"""Events in the store: every live canonical article gets one, assigned in batches after
the pipeline settles articles.

The link transaction only records, under the cluster lock, which articles it settled
(``record_pending``, the ``event_outbox`` table: in the same transaction, so a crash never
loses one); ``drain`` then assigns the events of every pending article at once, in its own
transaction, one drainer at a time (an advisory lock on PostgreSQL, not the cluster lock;
the write lock on SQLite), and deletes the rows it handled. Each worker drains after its
link; the janitor drains what a crash left behind.

The rule is ``workers.steps.events``: two articles are linked when their keys say so, and
events are the connected components of the links, each named by its smallest article id.
Here that rule is kept true incrementally, without judging every pair:

* a new article is judged against the live articles of the window that share its
  retrieval keys (``event_keys``), grouped by their current event, and within an event
  only until one of them links. A new vertex joins exactly the components it has a link
  into, so the events are those of judging every pair, while a large event costs one or
  two judgements instead of one per member (``bench/events.py --scale``);
* an article whose canonical document changed is judged again from its new features, and
  an article absorbed by a dedup merge leaves its event; either may split it. The stored
  links among the members that stay (true links still) give the pieces, and the members
  outside each event's largest piece are judged against the other pieces, until one links
  (every link between two pieces has an end outside the largest).

So the stored links span each event (what ``corpus events show`` explains: the link an
article joined by) rather than list every linked pair. Every step is exact: the events
depend on the set of articles, not on the order they came in or the number of workers.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from models.db import read_scope, session_scope
from models.tables import Article, Document, Event, EventKey, EventLink, EventMember, EventOutbox, utcnow
from workers.queue.dead_letters import is_outage
from workers.steps import events as rule

log = logging.getLogger("corpus.events")

_CHUNK = 500  # ids per IN (...)
EXPLAINED_KEYS = 8  # shared keys kept with a link, for `corpus events show`
#: pg_advisory_xact_lock key of event assignment (``models.db.CLUSTER_LOCK_KEY`` is "corpus")
EVENTS_LOCK_KEY = 0x6576656E7473  # "events"
#: links kept per event (or piece of one) an article joins, the first that link: one would
#: be enough to join it, but the links then form a tree, and a member that leaves or changes
#: splits its event into as many pieces as it had links, which must be judged again
#: (``_rejoin``); with a few, the rest of the event almost always stays in one piece
LINKS_PER_EVENT = 3
#: outbox rows one drain transaction takes: a few batches of the pipeline, so that the key
#: index and the candidates' features are read once for many articles
DRAIN_BATCH = 2000
#: transactions one drain call runs at most before it leaves the rest to the next drainer
DRAIN_ROUNDS = 8
# Core tables: the ORM's bulk path costs more than the insert itself (a third of events' time).
_outbox, _members, _keys, _links, _events = (EventOutbox.__table__, EventMember.__table__, EventKey.__table__,
                                             EventLink.__table__, Event.__table__)


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


def record_pending(session: Session, article_ids: Iterable[int]) -> None:
    """In the link transaction: these articles need their event (``drain`` assigns it)."""
    ids = sorted(set(article_ids))
    if ids:
        now = utcnow()
        session.execute(insert(_outbox), [{"article_id": i, "created_at": now} for i in ids])


def lock_events(session: Session, *, wait: bool = True) -> bool:
    """Serialise event assignment across every worker: a transaction-scoped advisory lock on
    PostgreSQL (not the cluster lock: linking goes on meanwhile), SQLite's write lock, which
    the transaction already holds, elsewhere. ``wait=False``: False when another holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENTS_LOCK_KEY})
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": EVENTS_LOCK_KEY}))


def drain(engine: Engine, *, older_than_s: float | None = None, rounds: int = DRAIN_ROUNDS) -> int:
    """Assign the events of the pending articles (``event_outbox``), ``DRAIN_BATCH`` rows a
    transaction; returns the rows handled. Returns at once when another process drains: it
    reads the outbox again after its commit, so it sees whatever was recorded while it held
    the lock. ``older_than_s``: only if a row has waited that long (the janitor's safety net
    for a worker that crashed between its link and its drain).

    A batch that fails for a reason that does not pass (a fault in one article, not the store
    away: ``is_outage``) is split until the failing articles are alone (``_isolate``): the
    others get their events, and each failing article's row keeps its reason, out of every
    later drain's way, rather than fail them all for ever."""
    if older_than_s is not None:
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with read_scope(engine) as session:  # without taking SQLite's write lock when all is well
            if session.scalar(select(EventOutbox.id).where(EventOutbox.created_at < cutoff,
                                                           EventOutbox.error.is_(None)).limit(1)) is None:
                return 0
    handled = 0
    for _ in range(rounds):
        rows = None
        try:
            with session_scope(engine) as session:
                if not lock_events(session, wait=False):
                    return handled
                rows = session.execute(select(EventOutbox.id, EventOutbox.article_id).where(EventOutbox.error.is_(None))
                                       .order_by(EventOutbox.id).limit(DRAIN_BATCH)).all()
                if not rows:
                    return handled
                _assign_rows(session, rows)
        except Exception as exc:
            if rows is None or is_outage(exc):
                raise
            log.exception("event assignment failed for a batch of %d article(s); finding the failing ones", len(rows))
            _isolate(engine, rows)
        handled += len(rows)
    return handled


def _assign_rows(session: Session, rows) -> None:
    """Assign the articles of these outbox rows and delete the rows, in one transaction."""
    assign(session, {r.article_id for r in rows})
    for ids in _chunks([r.id for r in rows]):
        session.execute(delete(_outbox).where(_outbox.c.id.in_(ids)))


def _isolate(engine: Engine, rows) -> None:
    """Assign these rows' articles in halves, each in its own transaction, down to single
    articles: a few failing articles among thousands cost a few dozen transactions. A single
    article that still fails keeps its rows, with the reason (``corpus status`` counts them,
    ``corpus events rebuild`` tries them again)."""
    parts = [sorted({r.article_id for r in rows})]
    while parts:
        part = parts.pop()
        members = set(part)
        own = [r for r in rows if r.article_id in members]
        try:
            with session_scope(engine) as session:
                lock_events(session)
                _assign_rows(session, own)
        except Exception as exc:
            if is_outage(exc):
                raise
            if len(part) > 1:
                parts += [part[len(part) // 2:], part[:len(part) // 2]]
                continue
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:1000]
            log.error("article %d: no event assigned (%s); its outbox row keeps the reason", part[0], reason)
            with session_scope(engine) as session:
                session.execute(update(_outbox).where(_outbox.c.id.in_([r.id for r in own])).values(error=reason))


def assign(session: Session, article_ids: Iterable[int]) -> set[int]:
    """Give each of these articles (new, changed or absorbed) its event; returns the ids of
    the events that changed. Idempotent: an article whose canonical was already judged is
    left as it is. Takes the events lock (``lock_events``) for its transaction."""
    article_ids = sorted(set(article_ids))
    if not article_ids:
        return set()
    lock_events(session)
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
    leaving = sorted(gone + stale)
    # Events that lose a member (or whose member changes) are taken apart and put together again.
    broken = {members[i].event_id for i in leaving}
    # An absorbed article's event, left empty, points at the event of the article that absorbed it.
    absorbed_by = {members[i].event_id: articles[i].merged_into_id for i in gone if i in articles}
    staying: dict[int, int] = {}  # member of a broken event that stays -> that event
    for ids in _chunks(sorted(broken)):
        staying.update(session.execute(
            select(EventMember.article_id, EventMember.event_id).where(EventMember.event_id.in_(ids))).all())
    for i in leaving:
        staying.pop(i, None)
    _forget(session, leaving)
    placed = _place(session, {i: live[i] for i in sorted(stale + new)})
    judge = _Judge(session, placed)
    components = rule.Components([*staying, *placed])
    _rejoin(session, judge, components, staying)
    _link(session, judge, components, placed, staying)
    return _settle_events(session, judge, components, placed, staying, broken, absorbed_by,
                          {i: members[i].event_id for i in leaving})


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
    session.execute(insert(_members), members)
    if keys:
        session.execute(insert(_keys), keys)
    return placed


class _Judge:
    """The candidates and features one ``assign`` needs, read in as few queries as it can:
    the key index once for every article to judge, features only of the candidates judged
    (most of a large event is never judged), and the links made, to store at the end."""

    def __init__(self, session: Session, placed: dict[int, rule.Features]) -> None:
        self.session = session
        self.features: dict[int, rule.Features] = dict(placed)
        self.links: dict[tuple[int, int], rule.Similarity] = {}
        self.judged = 0

    def load(self, article_ids: Iterable[int]) -> None:
        missing = sorted(set(article_ids) - set(self.features))
        for ids in _chunks(missing):
            for m in self.session.execute(select(EventMember.article_id, EventMember.keys, EventMember.at,
                                                 EventMember.site, EventMember.total)
                                          .where(EventMember.article_id.in_(ids))):
                self.features[m.article_id] = rule.Features(m.keys, {}, m.at, m.site, m.total)

    def candidates(self, article_ids: list[int]) -> dict[int, dict[int, int]]:
        """For each article: the others of its window sharing ``MIN_SHARED`` retrieval keys
        with it, and how many. The key index is read once for all of them (counting in the
        database, a grouped query an article, cost more: ``bench/events.py --scale``)."""
        self.load(article_ids)
        chosen = [self.features[i] for i in article_ids]
        if not chosen:
            return {}
        window = rule.WINDOW_HOURS * 3600
        keys = sorted({k for f in chosen for k in f.retrieval_keys()})
        low, high = min(f.at for f in chosen) - window, max(f.at for f in chosen) + window
        holders: dict[int, list[int]] = {}
        for chunk in _chunks(keys):
            for key, other in self.session.execute(
                select(EventKey.key, EventKey.article_id).where(EventKey.key.in_(chunk), EventKey.at.between(low, high))
            ):
                holders.setdefault(key, []).append(other)
        found = {}
        for article_id, features in zip(article_ids, chosen):
            shared = Counter(other for key in features.retrieval_keys() for other in holders.get(key, ()))
            shared.pop(article_id, None)
            found[article_id] = {other: n for other, n in shared.items() if n >= rule.MIN_SHARED}
        return found

    def join(self, article_id: int, groups: dict[int, list[tuple[int, int]]], components: rule.Components) -> None:
        """Judge the article against each group (one event or piece of one), most shared
        keys first, until ``LINKS_PER_EVENT`` members link (one is enough to join it)."""
        for root in sorted(groups):
            if components.find(root) == components.find(article_id):
                continue
            group = groups[root]
            first = min(group)  # usually enough: the rest of the group is sorted only if not
            linked = self._judge(article_id, [first])
            if linked < LINKS_PER_EVENT and len(group) > 1:
                near = heapq.nsmallest(4 * LINKS_PER_EVENT, group)[1:]  # the next best, without a sort
                linked += self._judge(article_id, near, LINKS_PER_EVENT - linked)
                if linked == 0 and len(group) > len(near) + 1:
                    linked += self._judge(article_id, sorted(group)[len(near) + 1:], 1)
            if linked:
                components.union(article_id, root)

    def _judge(self, article_id: int, group: list[tuple[int, int]], wanted: int = 1) -> int:
        """Judge the article against these (-shared, id) in order until ``wanted`` link;
        returns how many did."""
        linked = 0
        for n, (_, other) in enumerate(group):
            if other not in self.features:
                self.load(o for _, o in group[n:n + 64])  # the next ones at once
            self.judged += 1
            similarity = rule.similarity(self.features[article_id], self.features[other], explain=False)
            if similarity.linked:
                self.links[(min(article_id, other), max(article_id, other))] = similarity
                linked += 1
                if linked >= wanted:
                    break
        return linked

    def prefetch(self, groups: Iterable[dict[int, list[int]]]) -> None:
        """The first candidate of every group, in one query: usually the only one judged."""
        self.load(min(group)[1] for by_root in groups for group in by_root.values())

    def store(self) -> None:
        if self.links:
            self.session.execute(insert(_links), [
                {"a_id": a, "b_id": b, "score": round(s.score, 4),
                 "shared": [[label, w] for label, w in s.shared[:EXPLAINED_KEYS]]}
                for (a, b), s in sorted(self.links.items())])


def _grouped(candidates: dict[int, int], node_of, components: rule.Components) -> dict[int, list[tuple[int, int]]]:
    """Candidates by the component they are in now, as (-shared keys, id)."""
    groups: dict[int, list[tuple[int, int]]] = {}
    roots: dict[int, int] = {}
    for other, n in candidates.items():
        node = node_of(other)
        if node is not None:
            root = roots.get(node)
            if root is None:
                root = roots[node] = components.find(node)
            groups.setdefault(root, []).append((-n, other))
    return groups


def _rejoin(session: Session, judge: _Judge, components: rule.Components, staying: dict[int, int]) -> None:
    """The members of broken events that stay: their stored links (true links still) give
    the pieces; the members outside each event's largest piece are judged against the other
    pieces of their event (a stayer has no link outside its event: the events were the
    components). Every link between two pieces has an end outside the largest one."""
    if not staying:
        return
    for a, b in _neighbours(session, sorted(staying)):
        if a in staying and b in staying:
            components.union(a, b)
    pieces: dict[int, dict[int, list[int]]] = {}  # event -> piece root -> members
    for member in sorted(staying):
        pieces.setdefault(staying[member], {}).setdefault(components.find(member), []).append(member)
    scan = []
    for by_root in pieces.values():
        if len(by_root) > 1:
            largest = max(by_root, key=lambda root: (len(by_root[root]), -root))
            scan += [m for root, group in by_root.items() if root != largest for m in group]
    found = judge.candidates(sorted(scan))
    groups = {m: _grouped(found[m], lambda o, e=staying[m]: o if staying.get(o) == e else None, components)
              for m in sorted(scan)}
    judge.prefetch(groups.values())
    for member in sorted(scan):
        judge.join(member, groups[member], components)


def _link(session: Session, judge: _Judge, components: rule.Components, placed: dict[int, rule.Features],
          staying: dict[int, int]) -> None:
    """Each placed article, in id order, against the live articles of its window: the
    events not taken apart (as whole events), the pieces of the broken ones, and the placed
    articles before it (each pair of placed articles is judged by the later one)."""
    found = judge.candidates(sorted(placed))
    others = sorted({o for c in found.values() for o in c if o not in placed and o not in staying})
    event_of = _event_of(session, others)

    def node_of(article_id: int, other: int) -> int | None:
        if other in placed:
            return other if other < article_id else None
        return other if other in staying else event_of.get(other)

    # Grouped once, before any link: a group stays inside one component as components merge.
    groups = {i: _grouped(found[i], lambda o, i=i: node_of(i, o), components) for i in sorted(placed)}
    judge.prefetch(groups.values())
    for article_id in sorted(placed):
        judge.join(article_id, groups[article_id], components)
    judge.store()


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


def _settle_events(session: Session, judge: _Judge, components: rule.Components, placed: dict[int, rule.Features],
                   staying: dict[int, int], broken: set[int], absorbed_by: dict[int, int | None],
                   previous: dict[int, int]) -> set[int]:
    """Write what the components say: each placed or staying article's event, the events
    a link merged into a smaller one, and the rows of every event that changed. An event
    id no component keeps any more points at the one that took its smallest member."""
    moving = sorted({*placed, *staying})
    by_root: dict[int, list[int]] = {}
    for member in moving:
        by_root.setdefault(components.find(member), []).append(member)
    # One executemany for the members whose event changed (a placed article was stored as an
    # event of its own: most stay one).
    changed = [{"aid": m, "eid": root} for root, group in sorted(by_root.items()) for m in group
               if root != (m if m in placed else staying[m])]
    if changed:
        session.execute(update(_members).where(_members.c.article_id == bindparam("aid"))
                        .values(event_id=bindparam("eid")).execution_options(synchronize_session=False), changed)
    # Whole events joined by a link: every node that is neither placed nor staying.
    renamed = {node: components.find(node) for node in components.parent
               if node not in placed and node not in staying and components.find(node) != node}
    for old, new in sorted(renamed.items()):
        session.execute(update(_members).where(_members.c.event_id == old).values(event_id=new))
    roots = set(by_root) | set(renamed.values())
    merged: dict[int, int | None] = dict(renamed)
    heirs: dict[int, int] = {}  # a broken event -> the smallest event its former members are in
    for member, event in [*staying.items(), *previous.items()]:
        if member in placed or member in staying:
            root = components.find(member)
            heirs[event] = min(heirs.get(event, root), root)
    for old in sorted(broken - roots):
        heir = heirs.get(old)
        if heir is None and absorbed_by.get(old) is not None:
            heir = next(iter(_event_of(session, [absorbed_by[old]]).values()), None)
        merged[old] = heir
    linked = {x for pair in judge.links for x in pair}
    alone = {i for i in placed if i not in linked and i not in broken and by_root.get(i) == [i]
             and i not in merged}  # most articles: a new event of one
    for ids in _chunks(sorted(alone)):  # unless its id names an event merged away before (it left that one)
        alone -= set(session.scalars(select(_events.c.id).where(_events.c.id.in_(ids))))
    if alone:
        now = utcnow()
        session.execute(insert(_events), [
            {"id": i, "merged_into_id": None, "size": 1, "sites": 1 if placed[i].site else 0, "first_at": placed[i].at,
             "last_at": placed[i].at, "created_at": now, "updated_at": now} for i in sorted(alone)])
    _write_events(session, roots - alone, merged=merged)
    return roots | set(merged)


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
