"""Clustering in the store: verified matches become edges, clusters are their connected
components, and each cluster's canonical is its most complete member.

Runs inside one transaction under the cluster lock (``models.db.lock_clusters``), so two
workers never merge or promote at the same time. Nothing here depends on arrival order:
the edge set is symmetric (the later of any two matching documents sees the earlier in
the index), and the canonical is chosen by content alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.tables import CANONICAL, DUPLICATE, LINKED, Article, Document, Match, utcnow
from workers.dedup import Fingerprint, compare, jaccard


def completeness(document: Document) -> tuple:
    """Sort key: the longest clean body first; ties broken by content, never by arrival."""
    return (-(document.length or 0), document.text_hash or "", document.content_hash, document.source)


def _similarity(a: Fingerprint, b: Fingerprint) -> tuple[str, float]:
    match = compare(a, b)
    if match is not None:
        return match.kind, float(match.similarity)
    # Linked through other members only: report how close it is to the canonical itself.
    return "near", jaccard(a, b)


def link(session: Session, document_id: int, matches: Iterable[tuple[int, str, float]]) -> Article | None:
    """Record ``document_id``'s verified matches (other id, kind, similarity) and settle its
    cluster. Idempotent: a redelivered message finds the document linked and does nothing."""
    document = session.get(Document, document_id)
    if document is None or document.stage == LINKED:
        return None
    matches = [(other, kind, sim) for other, kind, sim in matches if other != document_id]
    for other, kind, similarity in matches:
        a, b = sorted((document_id, other))
        if session.get(Match, (a, b)) is None:
            session.add(Match(a_id=a, b_id=b, kind=kind, similarity=similarity))

    member_ids = {document_id, *(other for other, _, _ in matches)}
    seeds = session.scalars(select(Document).where(Document.id.in_(member_ids))).all()
    article_ids = {d.article_id for d in seeds if d.article_id is not None}
    members = {d.id: d for d in seeds}
    if article_ids:
        for d in session.scalars(select(Document).where(Document.article_id.in_(article_ids))):
            members[d.id] = d

    if article_ids:
        articles = session.scalars(select(Article).where(Article.id.in_(article_ids)).order_by(Article.id)).all()
        survivor, absorbed = articles[0], articles[1:]
    else:
        survivor, absorbed = Article(change_seq=0), []
        session.add(survivor)
        session.flush()

    canonical = min(members.values(), key=completeness)
    canonical_fp = Fingerprint.from_bytes(canonical.fingerprint)
    now = utcnow()
    changed = survivor.canonical_document_id != canonical.id or bool(absorbed)
    for member in members.values():
        if member.article_id != survivor.id:
            changed = True
        member.article_id = survivor.id
        if member.id == canonical.id:
            member.status, member.kind, member.similarity = CANONICAL, None, None
        else:
            kind, similarity = _similarity(Fingerprint.from_bytes(member.fingerprint), canonical_fp)
            if member.status != DUPLICATE or member.kind != kind:
                changed = True
            member.status, member.kind, member.similarity = DUPLICATE, kind, similarity
        member.processed_at = member.processed_at or now
    document.stage = LINKED

    if changed:
        next_seq = (session.scalar(select(func.max(Article.change_seq))) or 0) + 1
        for old in absorbed:
            old.merged_into_id, old.canonical_document_id = survivor.id, None
            old.change_seq = next_seq
        survivor.canonical_document_id = canonical.id
        survivor.change_seq = next_seq
    return survivor


def cluster_of(session: Session, document_id: int) -> list[int]:
    """Ids of the documents sharing ``document_id``'s article (itself included)."""
    article_id = session.scalar(select(Document.article_id).where(Document.id == document_id))
    if article_id is None:
        return [document_id]
    return list(session.scalars(select(Document.id).where(Document.article_id == article_id)))


