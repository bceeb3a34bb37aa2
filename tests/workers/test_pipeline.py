"""The pipeline in-process over the real store and the real Redis index: clustering is
order-independent, fuller copies are promoted without changing the article id, bridging
documents merge clusters, and redelivery changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.documents import NewDocument, record
from models.tables import Article, Document
from tests.conftest import SEEDS
from workers import pipeline

STORY = (SEEDS / "000_70a8d031dbab6394.txt").read_text(encoding="utf-8")
OTHER = (SEEDS / "004_9d4195405d006fe8.txt").read_text(encoding="utf-8")
PARAGRAPHS = [p for p in STORY.split("\n\n") if len(p) > 200]


def texts() -> dict[str, str]:
    full = "\n\n".join(PARAGRAPHS)
    half = len(PARAGRAPHS) // 2
    return {
        "full": full,
        "trimmed": "\n\n".join(PARAGRAPHS[:-1]),
        "first-half": "\n\n".join(PARAGRAPHS[:half]) + "\n\nContinue reading at example.com",
        "second-half": "\n\n".join(PARAGRAPHS[half:]),
        "other": OTHER,
    }


@pytest.fixture
def rt(corpus, monkeypatch):
    corpus.activate(monkeypatch)
    from workers.runtime import runtime

    return runtime()


def ingest(rt, names: list[str]) -> dict[str, int]:
    corpus_texts = texts()
    with session_scope(rt.engine) as session:
        ids = record(session, [NewDocument(source=n, data=corpus_texts[n].encode(), format="text") for n in names])
    return {name: doc_id for name, (doc_id, _) in zip(names, ids)}


def clusters(rt) -> set[tuple[str, frozenset[str]]]:
    """(canonical source, all member sources) per live article."""
    with session_scope(rt.engine) as session:
        result = set()
        for article in session.scalars(select(Article).where(Article.merged_into_id.is_(None))):
            members = session.scalars(select(Document.source).where(Document.article_id == article.id)).all()
            canonical = session.get(Document, article.canonical_document_id).source
            result.add((canonical, frozenset(members)))
        return result


def run(rt, ids) -> None:
    for doc_id in ids:
        pipeline.process(rt, [doc_id])


def start_over(rt) -> None:
    """An empty index and an empty store, on the same servers."""
    from models.tables import Base

    rt.index.clear()
    with rt.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "meta":
                connection.execute(table.delete())


def test_clusters_do_not_depend_on_arrival_order(rt):
    names = ["full", "trimmed", "first-half", "second-half", "other"]
    ids = ingest(rt, names)
    run(rt, [ids[n] for n in names])
    forward = clusters(rt)

    assert forward == {
        ("full", frozenset({"full", "trimmed", "first-half", "second-half"})),
        ("other", frozenset({"other"})),
    }
    with session_scope(rt.engine) as session:
        kinds = {d.source: d.kind for d in session.scalars(select(Document))}
    assert kinds["trimmed"] == "near"
    assert kinds["first-half"] == "contained" and kinds["second-half"] == "contained"

    start_over(rt)
    ids = ingest(rt, names)
    run(rt, [ids[n] for n in reversed(names)])
    assert clusters(rt) == forward


def test_a_fuller_copy_is_promoted_and_the_article_keeps_its_id(rt):
    ids = ingest(rt, ["first-half", "full"])
    pipeline.process(rt, [ids["first-half"]])
    with session_scope(rt.engine) as session:
        article_id = session.get(Document, ids["first-half"]).article_id
        seq_before = session.get(Article, article_id).change_seq
    pipeline.process(rt, [ids["full"]])
    with session_scope(rt.engine) as session:
        article = session.get(Article, article_id)
        assert article.canonical_document_id == ids["full"]
        assert article.change_seq > seq_before
        excerpt = session.get(Document, ids["first-half"])
        assert (excerpt.status, excerpt.kind, excerpt.article_id) == ("duplicate", "contained", article_id)
        assert session.get(Document, ids["full"]).status == "canonical"


def test_a_bridging_document_merges_two_clusters(rt):
    from ingest.api import Corpus

    ids = ingest(rt, ["first-half", "second-half", "full"])
    pipeline.process(rt, [ids["first-half"]])
    pipeline.process(rt, [ids["second-half"]])
    with session_scope(rt.engine) as session:
        a = session.get(Document, ids["first-half"]).article_id
        b = session.get(Document, ids["second-half"]).article_id
    assert a != b
    pipeline.process(rt, [ids["full"]])
    survivor, absorbed = min(a, b), max(a, b)
    with session_scope(rt.engine) as session:
        members = {d.id: d for d in session.scalars(select(Document))}
        assert {d.article_id for d in members.values()} == {survivor}
        assert session.get(Article, absorbed).merged_into_id == survivor
        assert session.get(Article, survivor).canonical_document_id == ids["full"]
    article = Corpus(rt).get_article(absorbed)
    assert article["id"] == survivor
    assert {d["kind"] for d in article["duplicates"]} == {"contained"}


def test_redelivered_messages_change_nothing(rt):
    ids = ingest(rt, ["full", "trimmed"])
    run(rt, [ids["full"], ids["trimmed"]])

    def snapshot():
        with session_scope(rt.engine) as session:
            documents = [(d.id, d.status, d.article_id, d.kind, d.stage) for d in session.scalars(select(Document))]
            articles = [(a.id, a.canonical_document_id, a.change_seq) for a in session.scalars(select(Article))]
            return documents, articles

    before = snapshot()
    run(rt, [ids["trimmed"], ids["full"], ids["trimmed"]])
    assert snapshot() == before
    assert rt.index.count() == 2


def test_copies_in_one_batch_link_as_they_do_one_message_each(rt):
    """The exact check of a pair the fingerprints cannot settle reads the batch's own texts from
    what it has just cleaned, the others from the store: same clusters and kinds either way."""
    names = ["full", "trimmed", "first-half", "second-half", "other"]
    ids = ingest(rt, names)
    run(rt, [ids[n] for n in names])

    def kinds():
        with session_scope(rt.engine) as session:
            return {d.source: (d.kind, d.status) for d in session.scalars(select(Document))}

    one_by_one, by_one_clusters = kinds(), clusters(rt)
    start_over(rt)
    ids = ingest(rt, names)
    pipeline.process(rt, [ids[n] for n in names])
    assert (kinds(), clusters(rt)) == (one_by_one, by_one_clusters)
