"""The content-hash gate behind the inbox and the API: the same bytes from another source
are a document of their own, linked as an exact copy without being cleaned again — in
any message order, on redelivery, and failing with its original's reason."""

from __future__ import annotations

from sqlalchemy import select

from models.db import session_scope
from models.documents import NewDocument, record
from models.tables import Document
from tests.conftest import SEEDS

STORY = (SEEDS / "003_a7f81f6fd957c2d8.txt").read_bytes()


def documents(runtime, *ids):
    with session_scope(runtime.engine) as session:
        rows = session.scalars(select(Document).where(Document.id.in_(ids)).order_by(Document.id)).all()
        session.expunge_all()
    return rows


def test_copy_before_its_original_and_redelivery(sqlite_corpus, monkeypatch):
    sqlite_corpus.activate(monkeypatch)
    from workers import pipeline
    from workers.runtime import runtime

    rt = runtime()
    with session_scope(rt.engine) as session:
        (original_id, _), (copy_id, _), (twin_id, _) = record(session, [
            NewDocument(source="a.txt", data=STORY, format="text"),
            NewDocument(source="b.txt", data=STORY, format="text"),  # a copy within the same batch
            NewDocument(source="a.txt", data=STORY, format="text"),  # the same input again
        ])
    assert twin_id == original_id
    with session_scope(rt.engine) as session:
        ((late_id, is_new),) = record(session, [NewDocument(source="c.txt", data=STORY, format="text")])
    assert is_new
    original, copy, late = documents(rt, original_id, copy_id, late_id)
    assert "copy_of" not in original.hints and copy.hints["copy_of"] == late.hints["copy_of"] == original_id

    # The copy's message arrives first: the original is cleaned in the same batch.
    outcome = pipeline.process(rt, [late_id])
    assert set(outcome.statuses) == {original_id, late_id}
    original, late = documents(rt, original_id, late_id)
    assert original.status == "canonical"
    assert (late.status, late.kind, late.similarity, late.article_id) == ("duplicate", "exact", 1.0,
                                                                          original.article_id)
    assert late.text == original.text and late.fingerprint == original.fingerprint
    # The original's own message, and a redelivery of the copy's, change nothing.
    assert pipeline.process(rt, [original_id]).statuses == {}
    assert pipeline.process(rt, [late_id]).statuses == {}
    pipeline.process(rt, [copy_id])
    (copy,) = documents(rt, copy_id)
    assert (copy.status, copy.kind, copy.article_id) == ("duplicate", "exact", original.article_id)


def test_a_failed_original_fails_its_copies_with_its_reason(sqlite_corpus, monkeypatch):
    sqlite_corpus.activate(monkeypatch)
    from workers import pipeline
    from workers.runtime import runtime

    rt = runtime()
    binary = bytes(range(256)) * 20
    with session_scope(rt.engine) as session:
        (original_id, _), (copy_id, _), (html_id, _), (refused_id, _) = record(session, [
            NewDocument(source="x.txt", data=binary, format="text"),
            NewDocument(source="y.txt", data=binary, format="text"),
            NewDocument(source="y.html", data=binary, format="html"),  # another format is not a copy
            NewDocument(source="z.jsonl#L3", data=b"{oops", format="jsonl", error="line 3: invalid JSON"),
        ])
    pipeline.process(rt, [copy_id])
    original, copy, html, refused = documents(rt, original_id, copy_id, html_id, refused_id)
    assert original.status == copy.status == "failed" and "binary" in original.error
    assert copy.error == original.error
    assert "copy_of" not in html.hints and html.status == "pending"
    assert (refused.status, refused.error) == ("failed", "line 3: invalid JSON")
