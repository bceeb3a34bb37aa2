"""One article, found by id, URL or source, with its copies and the evidence for each.

``corpus show`` (and anything else that explains an article) reads it here: the article as
the export writes it, then every copy with its link (kind and the similarity the worker
estimated), the verified matches that touch it, and the exact figures recomputed from the
two clean texts (``workers.steps.evidence``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from models.articles import article_record
from models.tables import DUPLICATE, Article, Document, Match
from workers.steps import evidence


class NotFound(LookupError):
    pass


def resolve(session, ref: str) -> tuple[Article, Document | None]:
    """The live article ``ref`` names (an article id, or a document's URL or source; a merged
    article is followed to its survivor), and the document named, if any."""
    document = None
    article = None
    if ref.isdigit():
        article = session.get(Article, int(ref))
    if article is None:
        document = session.scalars(
            select(Document).where(or_(Document.url == ref, Document.source == ref)).order_by(Document.id).limit(1)
        ).first()
        if document is None:
            raise NotFound(f"no article {ref}: not an article id, nor the URL or source of a document")
        if document.article_id is None:
            status = document.status + (f" ({document.error})" if document.error else "")
            raise NotFound(f"{ref}: document {document.id} has no article: it is {status}")
        article = session.get(Article, document.article_id)
    seen = set()
    while article.merged_into_id is not None and article.id not in seen:
        seen.add(article.id)
        article = session.get(Article, article.merged_into_id)
    return article, document


def detail(session, article: Article) -> dict[str, Any]:
    record = article_record(session, article)
    canonical = session.get(Document, article.canonical_document_id)
    copies = session.scalars(
        select(Document).where(Document.article_id == article.id, Document.status == DUPLICATE).order_by(Document.id)
    ).all()
    ids = [canonical.id] + [c.id for c in copies]
    matches = session.execute(
        select(Match.a_id, Match.b_id, Match.kind, Match.similarity).where(
            or_(Match.a_id.in_(ids), Match.b_id.in_(ids)))
    ).all()
    source_of = {canonical.id: canonical.url or canonical.source, **{c.id: c.url or c.source for c in copies}}
    out = []
    for copy in copies:
        compared = evidence.compare_texts(canonical.text or "", copy.text or "")
        links = [
            {"with": source_of.get(m.b_id if m.a_id == copy.id else m.a_id, m.b_id if m.a_id == copy.id else m.a_id),
             "kind": m.kind, "similarity": round(m.similarity, 4)}
            for m in matches if copy.id in (m.a_id, m.b_id)
        ]
        shingles = min(compared["shingles"]["canonical"], compared["shingles"]["copy"])
        out.append({
            "document_id": copy.id, "source": copy.url or copy.source, "site": copy.site, "kind": copy.kind,
            "estimated_similarity": round(copy.similarity or 0.0, 4),
            "exact_jaccard": compared["jaccard"], "exact_containment": compared["containment"],
            "shingles": compared["shingles"], "shared_passages": compared["passages"],
            "rule": evidence.rule(copy.kind, copy.similarity, shingles), "matches": links,
        })
    record["canonical_document_id"] = canonical.id
    record["copies"] = out
    return record
