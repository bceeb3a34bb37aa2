"""Clustering in the store: verified matches become edges, clusters are their connected
components, and each cluster's canonical is its most complete member.

Runs inside one transaction under the cluster lock (``models.db.lock_clusters``), so two
workers never merge or promote at the same time. Nothing here depends on arrival order:
the edge set is symmetric (the later of any two matching documents sees the earlier in
the index), and the canonical is chosen by content alone. A batch is linked at once:
its documents, their matches and the clusters they touch are loaded in a few queries,
united in memory, and written back.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from models.tables import CANONICAL, DUPLICATE, LINKED, Article, Document, Match, utcnow
from workers.steps.dedup import Fingerprint, compare, jaccard

Edge = tuple[int, str, float]  # other document id, kind, similarity


def completeness(document: Document) -> tuple:
    """Sort key: the longest clean body first; ties broken by content; among identical
    copies (the same bytes) the first accepted: document ids are handed out in the order
    the front doors record documents, whatever the order workers process them in."""
    return (-(document.length or 0), document.text_hash or "", document.content_hash, document.id)


def _similarity(a: Fingerprint, b: Fingerprint) -> tuple[str, float]:
    match = compare(a, b)
    if match is not None:
        return match.kind, float(match.similarity)
    # Linked through other members only: report how close it is to the canonical itself.
    return "near", jaccard(a, b)


class _Components:
    """Union-find over document ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def link(session: Session, batch: Iterable[tuple[int, list[Edge]]]) -> set[int]:
    """Record each document's verified matches and settle the clusters they touch; returns
    the ids of the articles it settled (survivors and the ones merged into them), for the
    events (``workers.events.assign``).

    Idempotent: documents already linked (a redelivered message) are left as they are.
    """
    batch = list(batch)
    with session.no_autoflush:
        involved = {doc_id for doc_id, _ in batch} | {other for _, edges in batch for other, _, _ in edges}
        documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(involved)))}
        batch = [(doc_id, edges) for doc_id, edges in batch if doc_id in documents and documents[doc_id].stage != LINKED]
        if not batch:
            return set()
        article_ids = {d.article_id for d in documents.values() if d.article_id is not None}
        articles: dict[int, Article] = {}
        if article_ids:
            articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(article_ids)))}
            for d in session.scalars(select(Document).where(Document.article_id.in_(article_ids))):
                documents.setdefault(d.id, d)

        components = _Components()
        by_article: dict[int, int] = {}
        for d in documents.values():
            components.find(d.id)
            if d.article_id is not None:
                if d.article_id in by_article:
                    components.union(d.id, by_article[d.article_id])
                else:
                    by_article[d.article_id] = d.id
        new_edges: dict[tuple[int, int], Edge] = {}
        for doc_id, edges in batch:
            for other, kind, similarity in edges:
                if other != doc_id and other in documents:
                    components.union(doc_id, other)
                    new_edges[tuple(sorted((doc_id, other)))] = (other, kind, similarity)
        _record_edges(session, new_edges)

        clusters: dict[int, list[Document]] = {}
        for d in documents.values():
            clusters.setdefault(components.find(d.id), []).append(d)
        touched = {components.find(doc_id) for doc_id, _ in batch}

        fresh = {root: Article(change_seq=0) for root in touched
                 if not any(m.article_id is not None for m in clusters[root])}
        if fresh:
            session.add_all(fresh.values())
            session.flush()

        sequence = _Sequence(session)
        now = utcnow()
        settled: set[int] = set()
        for root in sorted(touched):
            members = clusters[root]
            existing = sorted({m.article_id for m in members if m.article_id is not None})
            survivor = fresh.get(root) or articles[existing[0]]
            _settle(survivor, [articles[a] for a in existing[1:]], members, sequence, now)
            settled |= {survivor.id, *existing}
        for doc_id, _ in batch:
            documents[doc_id].stage = LINKED
        return settled


def _record_edges(session: Session, edges: dict[tuple[int, int], Edge]) -> None:
    if not edges:
        return
    pairs = list(edges)
    known = set(session.execute(select(Match.a_id, Match.b_id).where(tuple_(Match.a_id, Match.b_id).in_(pairs))).all())
    session.add_all(
        Match(a_id=a, b_id=b, kind=edges[(a, b)][1], similarity=edges[(a, b)][2])
        for a, b in pairs if (a, b) not in known
    )


class _Sequence:
    """One change-sequence value for everything a transaction changes: greater than any
    committed before it, because transactions holding the cluster lock run one at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.value: int | None = None

    def next(self) -> int:
        if self.value is None:
            self.value = (self.session.scalar(select(func.max(Article.change_seq))) or 0) + 1
        return self.value


def _settle(survivor: Article, absorbed: list[Article], members: list[Document], sequence: _Sequence, now) -> None:
    canonical = min(members, key=completeness)
    canonical_fp = Fingerprint.from_bytes(canonical.fingerprint)
    changed = survivor.canonical_document_id != canonical.id or bool(absorbed)
    for member in members:
        if member.article_id != survivor.id:
            changed = True
        member.article_id = survivor.id
        if member.id == canonical.id:
            if member.status != CANONICAL:
                member.status, member.kind, member.similarity = CANONICAL, None, None
        else:
            kind, similarity = _similarity(Fingerprint.from_bytes(member.fingerprint), canonical_fp)
            if member.status != DUPLICATE or member.kind != kind or member.similarity != similarity:
                changed = True
                member.status, member.kind, member.similarity = DUPLICATE, kind, similarity
        if member.processed_at is None:
            member.processed_at = now
    if changed:
        seq = sequence.next()
        for old in absorbed:
            old.merged_into_id, old.canonical_document_id, old.change_seq = survivor.id, None, seq
        survivor.canonical_document_id = canonical.id
        survivor.change_seq = seq
