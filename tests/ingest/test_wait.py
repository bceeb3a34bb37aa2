"""``corpus ingest --wait`` waits on the workers' settled counter, not by re-reading the
store: it returns every document's outcome once the last is settled, reads the store a
handful of times however long the workers take, and still finishes when the counter says
nothing (a document settled before it started, metrics lost)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ingest.cli import documents as cli_documents
from models.db import session_scope
from models.documents import NewDocument, record
from tests.conftest import SEEDS
from workers import pipeline
from workers.keys import registry_key
from workers.queue.counters import record_outcome

TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))[:6]]


@pytest.fixture
def rt(corpus, monkeypatch):
    corpus.activate(monkeypatch)
    from workers.runtime import runtime

    rt = runtime()
    # a worker announces itself, so wait_for starts no local workers: this test settles the documents
    rt.redis.zadd(registry_key(rt.settings.namespace), {json.dumps({"pid": 0, "id": "test"}): time.time() + 600})
    return rt


def recorded(rt, texts) -> dict[int, str]:
    with session_scope(rt.engine) as session:
        ids = record(session, [NewDocument(source=f"doc-{i}", data=t.encode(), format="text") for i, t in enumerate(texts)])
    return {doc_id: f"doc-{i}" for i, (doc_id, _) in enumerate(ids)}


def counting_store_reads(monkeypatch) -> list[int]:
    reads: list[int] = []
    real = cli_documents.progress_of

    def spy(session, ids):
        ids = list(ids)
        reads.append(len(ids))
        return real(session, ids)

    monkeypatch.setattr(cli_documents, "progress_of", spy)
    return reads


def test_wait_returns_every_outcome_with_few_store_reads(rt, monkeypatch):
    ids = recorded(rt, TEXTS)
    reads = counting_store_reads(monkeypatch)

    def worker():  # what the actor does, one document a message, slowly
        for doc_id in ids:
            time.sleep(0.3)
            outcome = pipeline.process(rt, [doc_id])
            record_outcome(rt.redis, rt.settings.namespace, outcome.statuses, outcome.stage_seconds)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        outcome = cli_documents.wait_for(rt, ids, timeout=60)
    finally:
        thread.join()
    assert set(outcome) == set(ids) and all(s in ("canonical", "duplicate") for s in outcome.values()), outcome
    # ~2 s of waiting at 0.2 s ticks would be ~10 reads by polling; the counter allows one at
    # the start and one when the last document is counted (plus one per STORE_CHECK_S)
    assert len(reads) <= 3, reads


def test_wait_finishes_without_the_counter(rt, monkeypatch):
    """Documents settled with no metrics recorded (a lost write): the periodic store read ends the wait."""
    monkeypatch.setattr(cli_documents, "STORE_CHECK_S", 0.5)
    ids = recorded(rt, TEXTS[:2])

    def worker():
        time.sleep(0.3)
        pipeline.process(rt, list(ids))  # no record_outcome

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        outcome = cli_documents.wait_for(rt, ids, timeout=60)
    finally:
        thread.join()
    assert set(outcome) == set(ids) and "pending" not in outcome.values(), outcome
