"""Takedowns: forgetting an article, every copy of it, and their index entries.

``forget`` removes, under the cluster lock, every document of the article (its canonical
and its duplicates, and those of articles merged into it), the verified matches that touch
them, the article's place in its event (the event is recomputed from its other links and
may split) and the article rows. ``changes()`` and ``export --since`` list live articles
only: a consumer learns of a takedown from the takedown, not from the feed. (On SQLite a
new article may take the id of the highest article forgotten; PostgreSQL never reuses one.)
Then the documents' records leave the Redis index, so no later document is linked to them.
The raw bytes go with the documents: the same input ingested again is a new document.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from models.db import lock_clusters, session_scope
from models.tables import Article, Document, Match
from workers.events import assign
from workers.ops.lookup import resolve

#: ids per statement: far under every driver's limit on bound parameters
CHUNK = 500


def forget(runtime, ref: str) -> dict:
    """Forget the article ``ref`` names (id, URL or source of any of its documents).
    ``{"article_id", "documents": [{"id", "source"}], "index_removed"}``; ``NotFound`` when
    ``ref`` names nothing live."""
    with session_scope(runtime.engine) as session:
        lock_clusters(session)
        article, _ = resolve(session, ref)
        merged = set(session.scalars(select(Article.id).where(Article.merged_into_id == article.id)))
        owners = sorted(merged | {article.id})
        documents = session.execute(
            select(Document.id, Document.url, Document.source).where(Document.article_id.in_(owners))
            .order_by(Document.id)
        ).all()
        ids = [d.id for d in documents]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            session.execute(delete(Match).where(or_(Match.a_id.in_(chunk), Match.b_id.in_(chunk))))
        article.canonical_document_id = None
        session.flush()
        assign(session, owners)  # no longer live: they leave their event, which is recomputed
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            session.execute(delete(Document).where(Document.id.in_(chunk)).execution_options(
                synchronize_session=False))
        session.execute(update(Article).where(Article.merged_into_id == article.id).values(merged_into_id=None)
                        .execution_options(synchronize_session=False))
        session.execute(delete(Article).where(Article.id.in_(owners)).execution_options(synchronize_session=False))
        forgotten = {"article_id": article.id,
                     "documents": [{"id": d.id, "source": d.url or d.source} for d in documents]}
    removed = 0
    for doc_id in ids:  # after the commit: a record left by a failure here is found by corpus verify
        if runtime.index.get(doc_id) is not None:
            runtime.index.remove(doc_id)
            removed += 1
    forgotten["index_removed"] = removed
    return forgotten
