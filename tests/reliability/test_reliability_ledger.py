"""``corpus verify`` finds what is off in the ledger and between the store and the Redis
index, ``--repair`` mends it, ``corpus reindex`` rebuilds the index from the store; and
real duplicated messages through real workers change nothing."""

from __future__ import annotations

import json

import dramatiq
import redis
from sqlalchemy import func, select, update

from models.db import session_scope
from models.documents import NewDocument, record
from models.tables import Article, Document, Match
from tests.conftest import SEEDS
from tests.support.ops import dead_letter_without_worker
from tests.support.reliability import (assert_consistent, check, clusters, fleet, log_dir, pg_env,  # noqa: F401
                                            verify, wait_settled)
from workers import pipeline

STORY = (SEEDS / "000_70a8d031dbab6394.txt").read_text(encoding="utf-8")
PARAGRAPHS = [p for p in STORY.split("\n\n") if len(p) > 200]


def texts() -> dict[str, str]:
    return {
        "full": "\n\n".join(PARAGRAPHS),
        "trimmed": "\n\n".join(PARAGRAPHS[:-1]),
        "first-half": "\n\n".join(PARAGRAPHS[: len(PARAGRAPHS) // 2]) + "\n\nContinue reading at example.com",
        **{p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))[1:]},
    }


def recorded(rt, names=None) -> dict[str, int]:
    corpus = texts()
    names = names or list(corpus)
    with session_scope(rt.engine) as session:
        ids = record(session, [NewDocument(source=n, data=corpus[n].encode(), format="text") for n in names])
    return {n: doc_id for n, (doc_id, _) in zip(names, ids)}


def runtime_for(env, monkeypatch):
    env.activate(monkeypatch)
    from workers.runtime import runtime

    return runtime()


def test_verify_finds_and_repairs_stuck_documents_and_a_broken_index(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt)
    processed = [ids["full"], ids["trimmed"], ids["first-half"]]
    pipeline.process(rt, processed)  # the others were recorded but never enqueued
    report = check(env, monkeypatch)
    stuck = set(ids.values()) - set(processed)
    assert report["problems"]["stuck"]["count"] == len(stuck)
    assert set(report["problems"]) == {"stuck"}
    assert set(report["problems"]["stuck"]["ids"]) == stuck

    # The index loses a record, another one is wrong, and one belongs to no document.
    index = rt.index
    index.remove(ids["trimmed"])
    other_fp = index.get(ids["full"])
    index.remove(ids["first-half"])
    index.insert_and_query(ids["first-half"], other_fp)  # the wrong fingerprint
    index.insert_and_query(99_999, other_fp)
    report = check(env, monkeypatch)
    assert not report["ok"]
    assert report["problems"]["index_missing"]["ids"] == [ids["trimmed"]]
    assert report["problems"]["index_mismatch"]["ids"] == [ids["first-half"]]
    assert report["problems"]["index_stray"]["ids"] == [99_999]

    text = env.run("verify")  # in words, exit 1
    assert text.returncode == 1, text.stdout + text.stderr
    words = " ".join(text.stdout.split())
    assert "without an index record" in words and "no ready, delayed or in-flight message" in words
    assert "corpus verify --repair" in text.stderr

    code, report = verify(env, "--repair")
    assert code == 0, report
    assert report["repaired"]["enqueued"] == len(stuck) and report["repaired"]["index"] == 2
    assert report["found"] == {"stuck": len(stuck), "index_missing": 1, "index_mismatch": 1, "index_stray": 1}
    client = redis.Redis.from_url(env.redis_url)
    carried = set()
    for raw in client.hvals(f"{env.namespace}:dq:documents.msgs"):
        carried.update(json.loads(raw)["args"][0])
    assert carried == stuck
    from models.tables import Document as D  # noqa: N814

    with session_scope(rt.engine) as session:
        stored = session.get(D, ids["first-half"]).fingerprint
    assert index.get(ids["first-half"]).to_bytes() == stored and index.get(99_999) is None


def test_verify_notices_a_dead_lettered_document_and_requeues_it(sqlite_corpus, monkeypatch):
    """After a long outage dramatiq gives up on a message: its documents stay pending,
    and verify must notice them (dead letters carry no live work)."""
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full"])
    dead_letter_without_worker(env, monkeypatch, ([ids["full"]],))
    report = check(env, monkeypatch)
    assert report["problems"]["stuck"]["ids"] == [ids["full"]]
    assert report["info"]["stuck_dead_lettered"] == 1 and report["info"]["dead_letters"] == 1
    code, report = verify(env, "--repair")
    assert code == 0 and report["repaired"]["enqueued"] == 1


def test_repair_removes_the_dead_letters_it_mended_and_status_is_healthy_again(sqlite_corpus, monkeypatch, fleet):
    """A dead letter whose documents ``--repair`` enqueued again, or whose documents are
    settled, is removed; one carrying a document that is neither stays."""
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full", "trimmed"])
    pipeline.process(rt, [ids["trimmed"]])  # settled; its dead letter carries nothing lost
    dead_letter_without_worker(env, monkeypatch, ([ids["full"]],))
    dead_letter_without_worker(env, monkeypatch, ([ids["trimmed"]],))
    status = json.loads(env.run("status", "--json").stdout)
    assert status["health"] == "degraded" and status["queues"]["documents"]["dead"] == 2

    code, report = verify(env, "--repair")
    assert code == 0, report
    assert report["repaired"]["enqueued"] == 1 and report["repaired"]["dead_letters_mended"] == 2
    assert env.run("dlq", "list").stdout.strip() == "no dead letters"
    fleet.start(env)
    wait_settled(env, 2, 120, fleet=fleet)
    status = json.loads(env.run("status", "--json").stdout)
    assert status["health"] == "healthy", status["problems"]
    assert status["queues"]["documents"]["dead"] == 0


def test_repair_keeps_a_dead_letter_whose_document_it_did_not_mend(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full"])
    dead_letter_without_worker(env, monkeypatch, ([ids["full"], 987_654],))  # one id the store never had
    code, report = verify(env, "--repair")
    assert report["repaired"].get("dead_letters_mended", 0) == 0
    assert "no dead letters" not in env.run("dlq", "list").stdout


def test_verify_reports_what_it_cannot_mend(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full", "trimmed"])
    pipeline.process(rt, list(ids.values()))
    assert check(env, monkeypatch)["ok"]
    with session_scope(rt.engine) as session:
        session.execute(update(Document).where(Document.id == ids["full"]).values(status="duplicate", kind="near"))
        session.execute(update(Document).where(Document.id == ids["trimmed"]).values(status="failed", error=None))
    code, report = verify(env, "--repair")
    assert code == 1  # exit 1: something is off, and --repair could not mend it
    assert set(report["problems"]) >= {"duplicate_without_canonical", "canonical_not_canonical",
                                       "failed_without_reason"}


def test_reindex_rebuilds_the_index_from_the_store(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt)
    pipeline.process(rt, list(ids.values()))
    before = {doc_id: rt.index.get(doc_id).to_bytes() for doc_id in ids.values()}
    rt.index.clear()
    report = check(env, monkeypatch)
    assert report["problems"]["index_missing"]["count"] == len(ids)

    result = env.run("reindex")
    assert result.returncode == 0, result.stderr
    assert f"indexed {len(ids)} document(s)" in result.stderr
    assert {doc_id: rt.index.get(doc_id).to_bytes() for doc_id in ids.values()} == before
    assert rt.index.count() == len(ids)
    assert_consistent(env)


def test_an_emptied_index_makes_workers_wait_instead_of_missing_copies(sqlite_corpus, monkeypatch):
    from workers.pipeline import IndexLost

    env = sqlite_corpus
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt, ["full", "trimmed"])
    pipeline.process(rt, [ids["full"]])
    rt.index.clear()
    try:
        pipeline.process(rt, [ids["trimmed"]])
        raise AssertionError("processing against a lost index must wait")
    except IndexLost:
        pass
    assert env.run("reindex").returncode == 0
    pipeline.process(rt, [ids["trimmed"]])
    with session_scope(rt.engine) as session:
        trimmed = session.get(Document, ids["trimmed"])
        assert (trimmed.status, trimmed.article_id) == ("duplicate", session.get(Document, ids["full"]).article_id)


def test_duplicated_messages_through_real_workers_change_nothing(pg_env, fleet, monkeypatch):
    """Every batch sent three times, to two workers at once, then everything sent again:
    one document per input, one article per story, one match per pair, no canonical moved."""
    env = pg_env
    rt = runtime_for(env, monkeypatch)
    ids = recorded(rt)
    doc_ids = sorted(ids.values())

    def send(batch: list[int]) -> None:  # as process_documents.send does
        rt.broker.enqueue(dramatiq.Message(queue_name="documents", actor_name="process_documents", args=(batch,),
                                           kwargs={}, options={}))

    def send_all(times: int) -> None:
        for _ in range(times):
            for start in range(0, len(doc_ids), 2):
                send(doc_ids[start : start + 2])
            send(list(reversed(doc_ids)))

    send_all(3)
    fleet.start(env)
    fleet.start(env)
    wait_settled(env, len(doc_ids), 120, fleet=fleet)
    client = redis.Redis.from_url(env.redis_url)

    def drained() -> bool:
        return client.hlen(f"{env.namespace}:dq:documents.msgs") == 0

    from tests.support import servers

    servers.wait_until(drained, 120, interval=0.2, message="every duplicated message to be processed")

    def snapshot():
        with session_scope(rt.engine) as session:
            return (
                session.execute(select(Document.id, Document.status, Document.article_id, Document.kind,
                                       Document.stage).order_by(Document.id)).all(),
                session.execute(select(Article.id, Article.canonical_document_id, Article.change_seq,
                                       Article.merged_into_id).order_by(Article.id)).all(),
                session.scalar(select(func.count()).select_from(Match)),
            )

    first = snapshot()
    documents, articles, matches = first
    assert len(documents) == len(doc_ids)
    live = [a for a in articles if a.merged_into_id is None]
    assert len(live) == len(clusters(env)) == len({d.article_id for d in documents})
    assert clusters(env) >= {("full", frozenset({"full", "trimmed", "first-half"}))}
    with session_scope(rt.engine) as session:
        pairs = session.execute(select(Match.a_id, Match.b_id)).all()
    assert len(pairs) == len(set(pairs)) == matches

    send_all(2)
    servers.wait_until(drained, 120, interval=0.2, message="the second round of duplicates")
    assert snapshot() == first
    assert rt.index.count() == len(doc_ids)
    assert_consistent(env)
