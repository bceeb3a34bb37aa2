"""Documents through the pipeline: load → prepare (decode, clean, fingerprint) → store →
index → link → events (assigned in batches, after the link's commit: ``workers.events``).

Queue-agnostic: the dramatiq actor, the tests and the benchmarks call ``process`` with a
runtime and a batch of document ids. The batch shares its transactions (one read, one
write, one link under the cluster lock), which is where a per-document pipeline spends
most of its time; cleaning runs outside any transaction so that slow pages never hold
the store's write lock.

Each step is idempotent, so a redelivered or retried message never makes a second
article or link: a document already cleaned is not cleaned again (the stored
fingerprint wins), the index insert is a no-op for a known id, and linking stops at a
document already linked.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from models.db import lock_clusters, read_scope, session_scope
from models.documents import (INTERNAL_HINTS, cleaned_row, load, raw_bytes, row_values,
                              save_cleaned, save_failed, stored_values)
from models.tables import FAILED, INDEXED, LINKED, RECEIVED, Document
from workers.candidates import verify
from workers import events
from workers.index import generation
from workers.linking import Edge, link
from workers.steps import cleaning, dedup
from workers.steps.decode import BadInput
from workers.steps.prepare import over_limit, prepare
from workers.steps.sites import site_for

log = logging.getLogger("corpus.pipeline")


@dataclass
class Outcome:
    """What one batch did: the status of each document it settled (documents already
    settled before, as on a redelivery, are not in it) and seconds spent per stage."""

    statuses: dict[int, str] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[name] += time.perf_counter() - started


class IndexLost(RuntimeError):
    """The Redis index has lost its data (Redis emptied or replaced) or is being rebuilt:
    linking now would miss every earlier copy. Transient: the message is retried, and its
    dead letter, if it comes to that, is retried once the index is back."""

    outage = True  # what ``workers.queue.dead_letters.is_outage`` looks for


@dataclass
class Batch:
    """The documents a message asks for, and the exact copies among them."""

    todo: list[Document]
    copies: dict[int, int]  # copy id -> original id, for copies still to be cleaned
    originals: dict[int, Document]  # those originals, as stored


def process(runtime, document_ids: list[int]) -> Outcome:
    outcome = Outcome()
    with outcome.stage("read"):
        batch = _load(runtime, document_ids)
    if not batch.todo:
        return outcome
    with outcome.stage("clean"):
        rows, failures = _prepare_all(runtime, batch)
    with outcome.stage("store"):
        stored = _store(runtime, batch, rows, failures)
    with outcome.stage("index"):
        to_link = _match(runtime, batch, stored, outcome, rows)
    if to_link:
        with outcome.stage("link"):
            _link(runtime, to_link, outcome)
        with outcome.stage("events"):
            drain_events(runtime)
    outgrown = runtime.site_stream.take_outgrown()
    if outgrown:
        with outcome.stage("reclean"):
            reclean_outgrown(runtime, outgrown)
    return outcome


def reclean_outgrown(runtime, sites: list[str]) -> None:
    """Send a site's settled documents back through cleaning when its learned lines changed
    materially (``site_stream.material``), as ``corpus reclean`` does, without being asked: the
    pages that taught the lines, and those before them, lose them too. Re-cleaned pages teach
    nothing again (a page already seen is a copy), so this does not feed itself. Runs after this
    batch linked, so its own documents are among them; documents in flight elsewhere are not
    (the site's next material change takes them)."""
    from workers.queue.messages import enqueue
    from workers.sites import reopen, settled

    for site in sites:
        ids = settled(runtime.engine, site)
        if ids:
            reopen(runtime.engine, ids)
            enqueue(runtime.broker, ids, batch_size=runtime.settings.batch_size)
            log.info("site %s: lines changed materially, %d document(s) sent back for cleaning", site, len(ids))


def drain_events(runtime) -> int:
    """Assign the events of every pending article (this batch's and any other's), outside
    the cluster lock (``workers.events.drain``). A failure here never fails the batch: its
    articles are settled and stay in the outbox, for the next drain or the janitor's."""
    try:
        return events.drain(runtime.engine)
    except SQLAlchemyError as exc:  # the store away for a moment: the outbox keeps them
        log.warning("event assignment deferred: %s", exc)
        return 0


def _load(runtime, document_ids: list[int]) -> Batch:
    """The documents still to settle. Exact copies (same bytes as an earlier document, see
    ``models.documents.record``) take their original's cleaned fields. An original nobody
    has cleaned yet is cleaned here, in this batch (idempotent, so its own message changes
    nothing later): the copy never waits on message order, and a failed original fails its
    copies with its reason."""
    with read_scope(runtime.engine) as session:
        documents = load(session, document_ids)
    missing = set(document_ids) - {d.id for d in documents}
    if missing:
        log.warning("documents %s are not in the store; dropping them", sorted(missing))
    todo = [d for d in documents if d.stage != LINKED and d.status != FAILED]
    copies = {d.id: int(d.hints["copy_of"]) for d in todo if d.stage == RECEIVED and d.hints.get("copy_of")}
    originals: dict[int, Document] = {}
    if copies:
        with read_scope(runtime.engine) as session:
            originals = {d.id: d for d in load(session, set(copies.values()))}
    in_batch = {d.id for d in todo}
    todo += [o for o in originals.values() if o.id not in in_batch and o.stage == RECEIVED and o.status != FAILED
             and not o.hints.get("copy_of")]
    todo.sort(key=lambda d: d.id)
    return Batch(todo, copies, originals)


def _prepare_one(runtime, document: Document, learned, rows: dict[int, dict], failures: dict[int, str]):
    """Clean one document with its site's ``learned`` lines into ``rows`` or ``failures``;
    returns what it says about its site's chrome (``SiteStream.clean_in_order`` folds it)."""
    version, site_model = runtime.site_models.latest(document.site) or (None, None)
    limit = runtime.settings.max_document_bytes
    if not document.hints.get("gzipped") and (document.raw_size or 0) > limit:  # refused before inflating
        failures[document.id] = str(over_limit(document.raw_size, limit))
        return None
    data, gzipped = raw_bytes(document)
    try:
        cleaned, fingerprint = prepare(data, document_format=document.format, gzipped=gzipped,
                                       max_bytes=limit,
                                       charset=document.hints.get("charset"), url=document.url,
                                       site=document.site, site_model=site_model,
                                       learned=learned, observe=bool(document.site))
    except BadInput as exc:
        failures[document.id] = str(exc)
        return None
    rows[document.id] = cleaned_row(document.id, cleaned_values(document, cleaned, fingerprint, version))
    return cleaned.evidence


def _prepare_in_order(runtime, documents: list[Document], rows: dict[int, dict], failures: dict[int, str]) -> None:
    """Clean documents in order, each site's next documents losing what the earlier ones taught
    (one Redis round trip per batch, ``workers.sites.SiteStream.clean_in_order``)."""
    runtime.site_stream.clean_in_order(
        documents, lambda d: d.site, lambda d, learned: _prepare_one(runtime, d, learned, rows, failures))


def _prepare_all(runtime, batch: Batch) -> tuple[list[dict], dict[int, str]]:
    rows: dict[int, dict] = {}
    failures: dict[int, str] = {}
    _prepare_in_order(runtime, [d for d in batch.todo
                                if d.stage == RECEIVED and batch.copies.get(d.id) not in batch.originals],
                      rows, failures)
    if batch.copies:
        _copy_originals(runtime, batch, rows, failures)
    return list(rows.values()), failures


def cleaned_values(document: Document, cleaned: cleaning.Cleaned, fingerprint: dedup.Fingerprint,
                   site_model_version: int | None = None) -> dict:
    """The columns a cleaned document fills."""
    hints = {k: v for k, v in document.hints.items() if k not in INTERNAL_HINTS}
    metadata = {**hints.pop("metadata", {}), **hints, **cleaned.metadata}
    return {
        "title": hints.get("title") or cleaned.title or metadata.get("title"),  # the record's own title wins
        "text": cleaned.text,
        "removed": [{"text": r.text, "rule": r.rule, **({"note": r.note} if r.note else {})} for r in cleaned.removed],
        "metadata": metadata,
        "site": site_for(document.site, document.url, metadata),
        "cleaner_version": cleaning.CLEANER_VERSION,
        "site_model_version": site_model_version,
        "text_hash": fingerprint.text_hash,
        "length": fingerprint.length,
        "fingerprint": fingerprint.to_bytes(),
        "stage": INDEXED,
    }


def copied_values(document: Document, original: dict) -> dict:
    """An exact copy's columns, taken from its original's cleaned ones: the copy is not
    cleaned or fingerprinted again. Its own hints (URL, title, metadata of its record)
    override the original's metadata."""
    hints = {k: v for k, v in document.hints.items() if k not in INTERNAL_HINTS}
    own = {**hints.pop("metadata", {}), **hints}
    values = dict(original)
    values["metadata"] = {**(original["metadata"] or {}), **own}
    values["site"] = document.site or original["site"]
    values["stage"] = INDEXED
    return values


def _copy_originals(runtime, batch: Batch, rows: dict[int, dict], failures: dict[int, str]) -> None:
    """Fill each exact copy from its original: cleaned in this batch, or as stored."""
    cleaned_here = {doc_id: row_values(row) for doc_id, row in rows.items()}
    by_id = {d.id: d for d in batch.todo}
    for copy_id, original_id in batch.copies.items():
        original = batch.originals.get(original_id)
        if original is None:
            continue  # the original is gone: the copy was cleaned like any document
        reason = failures.get(original_id) or (original.error if original.status == FAILED else None)
        if reason is not None:
            failures[copy_id] = reason
        elif original_id in cleaned_here:
            rows[copy_id] = cleaned_row(copy_id, copied_values(by_id[copy_id], cleaned_here[original_id]))
        elif original.fingerprint is not None:
            rows[copy_id] = cleaned_row(copy_id, copied_values(by_id[copy_id], stored_values(original)))
        else:  # an original that is itself a copy, or in a state no writer leaves: clean the copy
            _prepare_in_order(runtime, [by_id[copy_id]], rows, failures)


def _store(runtime, batch: Batch, rows: list[dict], failures: dict[int, str]) -> list[tuple[int, str, bytes | None]]:
    """Write the batch's results; returns (id, status, fingerprint) of every document as stored
    (a concurrent redelivery may have written first)."""
    with session_scope(runtime.engine) as session:
        save_cleaned(session, rows)
        save_failed(session, failures)
        return session.execute(
            select(Document.id, Document.status, Document.fingerprint)
            .where(Document.id.in_([d.id for d in batch.todo]))
            .order_by(Document.id)
        ).all()


def require_index(runtime, batch: list[int], seen: str | None = None) -> str:
    """The index's generation, if this batch may be linked against it: its mark must match
    the store's (``workers.index.generation``) and, after the insert, still be the one seen
    before it (``seen``), or the index was emptied or rebuilt in between and the candidates
    may be missing. Otherwise wait: the janitor rebuilds a lost index from the store."""
    mark = generation.current(runtime.engine, runtime.index, besides=batch) if seen is None \
        else generation.index_mark(runtime.index)
    if mark is None or (seen is not None and mark != seen):
        raise IndexLost("the duplicate index in Redis is empty, lost or being rebuilt: waiting for the rebuild "
                        "(the workers' janitor does it; `corpus reindex` by hand)")
    return mark


def _match(runtime, batch: Batch, stored, outcome: Outcome, rows: list[dict] = ()) -> list[tuple[int, list[Edge]]]:
    """Insert the fingerprints into the index and verify the candidates it returns
    (``workers.candidates.verify``: the estimate triages, the exact shingles decide). ``rows``:
    what this batch cleaned; a text is taken from them when its fingerprint is the one stored
    (a concurrent redelivery that wrote first may have stored another)."""
    ids = [d.id for d in batch.todo]
    seen = None
    if any(status != FAILED and fp is not None for _, status, fp in stored):
        seen = require_index(runtime, ids)
    exact_copies = {d.id: int(d.hints["copy_of"]) for d in batch.todo if d.hints.get("copy_of")}
    indexed = []
    for doc_id, status, stored_fingerprint in stored:
        if status == FAILED or stored_fingerprint is None:
            outcome.statuses[doc_id] = status
            continue
        indexed.append((doc_id, dedup.Fingerprint.from_bytes(stored_fingerprint)))
    # One round trip for the batch: each document is still its own atomic insert+query script,
    # run in id order, so a later document of the batch sees the earlier ones as candidates.
    candidates = runtime.index.insert_many(indexed) if indexed else []
    to_link = []
    stored_fingerprints = {doc_id: fp for doc_id, _, fp in stored}
    texts = {row["doc_id"]: row["v_text"] for row in rows
             if row["doc_id"] in stored_fingerprints
             and bytes(stored_fingerprints[row["doc_id"]] or b"") == row["v_fingerprint"]}
    verified = verify(runtime, indexed, candidates, texts) if indexed else []
    for (doc_id, fingerprint), matches in zip(indexed, verified):
        original_id = exact_copies.get(doc_id)
        if original_id is not None and all(other != original_id for other, _, _ in matches):
            matches.append((original_id, "exact", 1.0))  # the exact edge, even past a full LSH bucket
        to_link.append((doc_id, matches))
    if to_link:  # Redis emptied or the index rebuilt while we inserted: the matches may be missing
        require_index(runtime, ids, seen)
    return to_link


def _link(runtime, to_link: list[tuple[int, list[Edge]]], outcome: Outcome) -> None:
    with session_scope(runtime.engine) as session:
        lock_clusters(session)
        # Same transaction: every settled article has its event or is in the outbox for one.
        events.record_pending(session, link(session, to_link))
        outcome.statuses.update(
            session.execute(select(Document.id, Document.status).where(Document.id.in_([d for d, _ in to_link]))).all()
        )
