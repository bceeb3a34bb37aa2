"""Dedup through the real pipeline (store + Redis index) on the development split of the
labelled corpus (``bench/data/dedup/labelled_A.jsonl``): a short story's edited, trimmed
and wrapped copies and its excerpt link to one canonical, the fullest copy is the canonical
even when it arrives last (and the article keeps its id), briefs under one site's chrome
stay apart, and the five seeds (one event, five stories) never merge."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from bench.dedup_corpus import load
from ingest.formats.records import to_document
from models.db import session_scope
from models.documents import NewDocument, record
from models.tables import Article, Document
from tests.conftest import SEEDS
from workers import pipeline

SHORT = "A17-2"  # 5 paragraphs, 149 words, with edited, wrapped (trimmed), excerpt copies


@pytest.fixture
def rt(corpus, monkeypatch):
    corpus.activate(monkeypatch)
    from workers.runtime import runtime

    return runtime()


def labelled(story: str | None = None, variants=None) -> list[dict]:
    docs = load("A")
    return [d for d in docs if (story is None or d["story"] == story) and (variants is None or d["variant"] in variants)]


def ingest(rt, docs: list[dict]) -> dict[str, int]:
    with session_scope(rt.engine) as session:
        ids = record(session, [to_document(d["record"], source=d["record"]["url"]) for d in docs])
    return {d["id"]: doc_id for d, (doc_id, _) in zip(docs, ids)}


def state(rt, ids: dict[str, int]) -> dict[str, tuple]:
    """label -> (status, article id, canonical label of its article)"""
    by_id = {v: k for k, v in ids.items()}
    with session_scope(rt.engine) as session:
        canonical = dict(session.execute(select(Article.id, Article.canonical_document_id)).all())
        rows = session.execute(select(Document.id, Document.status, Document.article_id)).all()
    return {by_id[i]: (status, a, by_id.get(canonical.get(a))) for i, status, a in rows if i in by_id}


def test_a_short_storys_copies_link_to_one_canonical(rt):
    docs = labelled(SHORT)
    assert {d["variant"] for d in docs} >= {"original", "edited", "wrapped", "excerpt"}
    ids = ingest(rt, docs)
    for doc_id in ids.values():
        pipeline.process(rt, [doc_id])
    result = state(rt, ids)
    assert len({article for _, article, _ in result.values()}) == 1, result
    fullest = max(d["body_tokens"] for d in docs)
    canonical = next(iter(result.values()))[2]
    assert next(d for d in docs if d["id"] == canonical)["body_tokens"] == fullest
    with session_scope(rt.engine) as session:
        kinds = dict(session.execute(select(Document.id, Document.kind)).all())
    assert kinds[ids[f"{SHORT}:excerpt"]] == "contained"
    assert all(kinds[ids[d["id"]]] in ("exact", "near", "contained") for d in docs if d["id"] != canonical)


def test_the_fullest_copy_arriving_last_becomes_canonical(rt):
    docs = sorted(labelled(SHORT, {"original", "wrapped", "excerpt"}), key=lambda d: d["body_tokens"])
    assert docs[-1]["variant"] == "original"  # the fullest, ingested and processed last
    ids = ingest(rt, docs)
    pipeline.process(rt, [ids[docs[0]["id"]]])
    article_id = state(rt, ids)[docs[0]["id"]][1]
    for d in docs[1:]:
        pipeline.process(rt, [ids[d["id"]]])
    result = state(rt, ids)
    assert {article for _, article, _ in result.values()} == {article_id}  # the article kept its id
    assert result[docs[-1]["id"]] == ("canonical", article_id, docs[-1]["id"])
    assert all(result[d["id"]][0] == "duplicate" for d in docs[:-1])


def test_briefs_under_one_sites_chrome_stay_apart(rt):
    briefs = labelled(variants={"brief"})
    assert len(briefs) == 20 and len({d["record"]["site"] for d in briefs}) == 1
    ids = ingest(rt, briefs)
    order = list(ids.values())
    random.Random(5).shuffle(order)
    pipeline.process(rt, order[:10])
    pipeline.process(rt, order[10:])
    result = state(rt, ids)
    assert all(status == "canonical" for status, _, _ in result.values())
    assert len({article for _, article, _ in result.values()}) == 20


def test_the_seeds_never_merge(rt):
    seeds = sorted(SEEDS.glob("*.txt"))
    with session_scope(rt.engine) as session:
        ids = [i for i, _ in record(session, [NewDocument(source=p.name, data=p.read_bytes(), format="text")
                                              for p in seeds])]
    pipeline.process(rt, ids)
    with session_scope(rt.engine) as session:
        rows = session.execute(select(Document.status, Document.article_id).where(Document.id.in_(ids))).all()
    assert [status for status, _ in rows] == ["canonical"] * 5
    assert len({article for _, article in rows}) == 5
