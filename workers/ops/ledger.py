"""The ledger check behind ``corpus verify``, and its repair.

The ledger: every accepted document ends as exactly one of canonical article, duplicate
linked to its canonical, or failed with its reason; until then it is carried by a message
(ready, delayed or in flight). The store and the Redis LSH index must agree: every
indexed or linked document has an index record with its stored fingerprint, and no index
record exists without such a document. :func:`check` looks at all of it and
:func:`repair` mends what can be mended: stuck documents are enqueued again, missing or
wrong index records are rebuilt from the stored fingerprints, stray ones removed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from models.articles import counts
from models.db import chunked, read_scope, session_scope
from models.tables import CANONICAL, DUPLICATE, FAILED, LINKED, PENDING, RECEIVED, Article, Document
from workers.keys import QUEUE, broker_namespace, queue_names
from workers.ops.dlq import DeadLetters
from workers.queue.janitor import requeue_dead_workers
from workers.queue.messages import enqueue
from workers.queue.stats import queue_snapshot
from workers.steps.dedup import Fingerprint

#: Ids listed per problem in a report (the counts are always complete).
SAMPLE = 20
CHUNK = 900  # ids per IN (...) query


@dataclass
class Report:
    ledger: dict[str, int] = field(default_factory=dict)
    problems: dict[str, list[int]] = field(default_factory=dict)
    info: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, ids: Iterable[int]) -> None:
        ids = sorted(set(ids))
        if ids:
            self.problems.setdefault(kind, [])
            self.problems[kind] = sorted(set(self.problems[kind]) | set(ids))

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "ledger": self.ledger,
            "problems": {k: {"count": len(v), "ids": v[:SAMPLE]} for k, v in sorted(self.problems.items())},
            "info": self.info,
            "repaired": self.repaired,
        }


#: What each problem means, as ``corpus verify`` prints it; the mendable ones first.
PROBLEMS = {
    "stuck": "unsettled documents that no ready, delayed or in-flight message carries",
    "index_missing": "indexed documents without an index record",
    "index_mismatch": "index records whose fingerprint differs from the stored one",
    "index_stray": "index records without an indexed document",
    "index_unbucketed": "index records missing from some of their buckets (a write lost in a failover)",
    "failed_without_reason": "failed documents without a reason",
    "settled_not_linked": "canonical or duplicate documents whose own linking never finished",
    "duplicate_without_canonical": "duplicates whose article has no canonical document",
    "canonical_not_canonical": "articles whose canonical document is not canonical in that article",
    "canonical_elsewhere": "canonical documents that are not their article's canonical",
    "article_without_canonical": "live articles without a canonical document",
    "bad_status": "documents with an unknown status",
}
MENDABLE = {"stuck", "index_missing", "index_mismatch", "index_stray", "index_unbucketed", "settled_not_linked"}


def check(runtime, *, settle_s: float = 1.0) -> Report:
    """Look at the store, the queue and the index; nothing is changed."""
    report = Report()
    unsettled, settled_members = _check_store(runtime.engine, report)
    _check_queue(runtime, report, unsettled, settled_members, settle_s)
    _check_index(runtime, report, settle_s)
    return report


def _check_store(engine, report: Report) -> tuple[set[int], set[int]]:
    """The articles and their members agree; returns (unsettled ids, canonical or
    duplicate ids)."""
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":  # one snapshot for all the reads below
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        report.ledger = counts(session)
        unsettled = set(session.scalars(
            select(Document.id).where(Document.status != FAILED, Document.stage != LINKED)))
        report.add("failed_without_reason", session.scalars(
            select(Document.id).where(Document.status == FAILED, Document.error.is_(None))))
        report.add("bad_status", session.scalars(
            select(Document.id).where(Document.status.not_in([PENDING, CANONICAL, DUPLICATE, FAILED]))))
        articles = {a.id: a for a in session.scalars(select(Article))}
        members = session.execute(
            select(Document.id, Document.status, Document.article_id)
            .where(Document.status.in_([CANONICAL, DUPLICATE]))
        ).all()
    status_of = {doc_id: (status, article_id) for doc_id, status, article_id in members}
    for doc_id, status, article_id in members:
        article = articles.get(article_id)
        live = article is not None and article.merged_into_id is None
        if status == DUPLICATE:
            canonical = status_of.get(article.canonical_document_id) if live else None
            if canonical is None or canonical != (CANONICAL, article_id):
                report.add("duplicate_without_canonical", [doc_id])
        elif not live or article.canonical_document_id != doc_id:
            report.add("canonical_elsewhere", [doc_id])
    for article in articles.values():
        if article.merged_into_id is not None:
            continue
        if article.canonical_document_id is None:
            report.add("article_without_canonical", [article.id])
        elif status_of.get(article.canonical_document_id) != (CANONICAL, article.id):
            report.add("canonical_not_canonical", [article.canonical_document_id])
    return unsettled, set(status_of)


def _check_queue(runtime, report: Report, unsettled: set[int], settled_members: set[int], settle_s: float) -> None:
    """Unsettled documents must ride on a message. Statuses only move forward, so one that
    is still unsettled after a snapshot without its id was unsettled during it; a second
    snapshot a moment later forgives a front door between its commit and its enqueue.
    Linked by another document's batch but never by its own message is fine while a message
    carries it, stuck otherwise (``settled_not_linked``)."""
    client, bns = runtime.redis, broker_namespace(runtime.settings.namespace)
    snap = queue_snapshot(client, bns, QUEUE)
    report.info.update(messages=snap.messages, orphan_messages=snap.orphan_messages, dead_letters=snap.dead_letters)
    missing = unsettled - snap.queued
    if not missing:
        return
    time.sleep(settle_s)
    snap = queue_snapshot(client, bns, QUEUE)
    missing -= snap.queued
    still = set()
    ids = sorted(missing)
    with read_scope(runtime.engine) as session:
        for start in range(0, len(ids), CHUNK):
            still.update(session.scalars(select(Document.id).where(
                Document.id.in_(ids[start : start + CHUNK]), Document.status != FAILED, Document.stage != LINKED)))
    missing &= still
    if missing:
        report.info["stuck_dead_lettered"] = len(missing & snap.dead_lettered)
        report.info["stuck_orphaned"] = len(missing & snap.orphaned)
    settled = missing & settled_members
    report.add("settled_not_linked", settled)
    report.add("stuck", missing - settled)


def _aware(moment):
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _check_index(runtime, report: Report, settle_s: float) -> None:
    """The index against the store. The two are read one after the other, not in one
    snapshot, so a document re-cleaned meanwhile (sent back, its entry removed, indexed
    again with a new fingerprint) can look missing or mismatched for a moment: whatever the
    first look finds is looked at again a moment later, and only what is still wrong then
    is reported (a real fault stays put)."""
    records = runtime.index.records()
    missing, mismatch = _compare_index(runtime, records)
    report.info["index_records"] = len(records)
    stray = set(records) - _fingerprinted(runtime.engine, set(records))
    suspects = set(missing) | set(mismatch) | stray
    if suspects:
        time.sleep(settle_s)
        again = runtime.index.records_of(sorted(suspects))
        missing_again, mismatch_again = _compare_index(runtime, again, only=suspects)
        missing = sorted(set(missing) & set(missing_again))
        mismatch = sorted(set(mismatch) & set(mismatch_again))
        stray &= set(again) - _fingerprinted(runtime.engine, set(again))
    wrong = set(mismatch)
    report.add("index_unbucketed", runtime.index.unbucketed(
        {doc_id: fp for doc_id, fp in records.items() if doc_id not in stray and doc_id not in wrong}))
    report.add("index_missing", missing)
    report.add("index_mismatch", mismatch)
    report.add("index_stray", stray)


def _fingerprinted(engine, ids: set[int]) -> set[int]:
    """Those of ``ids`` whose document is stored with a fingerprint."""
    found: set[int] = set()
    with read_scope(engine) as session:
        for chunk in chunked(sorted(ids)):
            found.update(session.scalars(select(Document.id).where(
                Document.id.in_(chunk), Document.fingerprint.is_not(None))))
    return found


def _compare_index(runtime, records: dict[int, bytes], *, only: set[int] | None = None) -> tuple[list[int], list[int]]:
    """(fingerprinted documents without an index record, those whose record differs), over
    every stored document or ``only`` those."""
    missing, mismatch = [], []
    window_days = runtime.settings.dedup_window_days
    # With a dedup window, entries of documents settled before it have expired on purpose
    # (a minute's margin: an entry's time is its insert, a little before the document settled).
    expired_before = (datetime.fromtimestamp(time.time() - window_days * 86400 + 60, timezone.utc)
                      if window_days > 0 else None)
    query = (select(Document.id, Document.fingerprint, Document.processed_at, Document.stage)
             .where(Document.fingerprint.is_not(None)))
    chunks = [None] if only is None else list(chunked(sorted(only)))
    with read_scope(runtime.engine) as session:
        for chunk in chunks:
            rows = session.execute((query if chunk is None else query.where(Document.id.in_(chunk)))
                                   .execution_options(yield_per=1000))
            for doc_id, fingerprint, processed_at, stage in rows:
                have = records.get(doc_id)
                if have is None:
                    if stage == RECEIVED:  # sent back for cleaning (a re-clean): its next pass indexes it again
                        continue
                    if expired_before is not None and processed_at is not None and _aware(processed_at) < expired_before:
                        continue
                    missing.append(doc_id)
                elif have != bytes(fingerprint):
                    mismatch.append(doc_id)
    return missing, mismatch


def repair(runtime, report: Report) -> dict[str, int]:
    """Mend what ``report`` found that can be mended; returns what was done per problem."""
    done: dict[str, int] = {}
    problems = report.problems
    # First the index, so that re-enqueued documents find every earlier one in it.
    rebuild = sorted(set(problems.get("index_missing", [])) | set(problems.get("index_mismatch", []))
                     | set(problems.get("index_unbucketed", [])))
    if rebuild:
        done["index"] = _reinsert(runtime, rebuild)
    stray = problems.get("index_stray", [])
    for doc_id in stray:
        runtime.index.remove(doc_id)
    if stray:
        done["index_stray"] = len(stray)
    done["dead_worker_messages"] = requeue_dead_workers(
        runtime.redis, broker_namespace(runtime.settings.namespace), runtime.settings.heartbeat_timeout_ms,
        queue_names())
    stuck = sorted(set(problems.get("stuck", [])) | set(problems.get("settled_not_linked", [])))
    if stuck:
        enqueue(runtime.broker, stuck, batch_size=runtime.settings.batch_size)
        done["enqueued"] = len(stuck)
    mended = _discard_mended_dead_letters(runtime, set(stuck))
    if mended:
        done["dead_letters_mended"] = mended
    return done


def _discard_mended_dead_letters(runtime, enqueued: set[int]) -> int:
    """Remove the dead letters whose every document is now carried by a new message (enqueued
    just now) or settled: their work is no longer lost, and leaving them kept ``status``
    degraded after a repair. A dead letter with any document neither carried nor settled
    stays, for ``corpus dlq`` to show."""
    letters = DeadLetters(runtime.redis, runtime.settings.namespace)
    carried = letters.documents()
    if not carried:
        return 0
    wanted = {doc_id for ids in carried.values() for doc_id in ids} - enqueued
    settled: set[int] = set()
    with read_scope(runtime.engine) as session:
        for chunk in chunked(sorted(wanted)):
            settled.update(session.scalars(select(Document.id).where(
                Document.id.in_(chunk), (Document.status == FAILED) | (Document.stage == LINKED))))
    covered = enqueued | settled
    return sum(letters.discard(rid) for rid, ids in carried.items() if ids and set(ids) <= covered)


def _reinsert(runtime, ids: list[int]) -> int:
    """Insert the stored fingerprints of ``ids`` into the index (replacing different ones)."""
    n = 0
    for start in range(0, len(ids), 500):
        with read_scope(runtime.engine) as session:
            rows = session.execute(select(Document.id, Document.fingerprint).where(
                Document.id.in_(ids[start : start + 500]), Document.fingerprint.is_not(None))
                .order_by(Document.id)).all()
        runtime.index.insert_many([(doc_id, Fingerprint.from_bytes(fp)) for doc_id, fp in rows])
        n += len(rows)
    return n
