"""Documents through the pipeline: decode → clean → fingerprint → index → link.

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
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update

from models.db import lock_clusters, read_scope, session_scope
from models.store import INTERNAL_HINTS, raw_bytes
from models.tables import FAILED, INDEXED, LINKED, RECEIVED, Document, utcnow
from workers import cleaning, dedup
from workers.decode import BadInput, decode, gunzip
from workers.linking import link

log = logging.getLogger("corpus.pipeline")


@dataclass
class Outcome:
    """What one batch did: the status of each document it settled (documents already
    settled before, as on a redelivery, are not in it) and seconds spent per stage."""

    statuses: dict[int, str] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def timed(self, stage: str, started: float) -> None:
        self.stage_seconds[stage] += time.perf_counter() - started

    def per_document(self) -> list[tuple[str, dict[str, float]]]:
        """(status, stage seconds) for each settled document, the batch's time shared evenly."""
        n = len(self.statuses)
        share = {stage: seconds / n for stage, seconds in self.stage_seconds.items()} if n else {}
        return [(status, share) for status in self.statuses.values()]


def clean(document_format: str, text: str, *, url: str | None, site: str | None,
          site_model: cleaning.SiteModel | None = None) -> cleaning.Cleaned:
    if document_format == "html":
        return cleaning.clean_html(text, url=url, site=site, site_model=site_model)
    return cleaning.clean_text(text, site=site, site_model=site_model)


def prepare(document: Document, max_bytes: int,
            site_model: cleaning.SiteModel | None = None) -> tuple[cleaning.Cleaned, dedup.Fingerprint]:
    """Decode and clean a stored input; ``BadInput`` when it cannot give an article."""
    if not document.hints.get("gzipped") and (document.raw_size or 0) > max_bytes:
        raise BadInput(f"{document.raw_size:,} bytes is over the {max_bytes:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)")
    data, gzipped = raw_bytes(document)
    if gzipped:
        data = gunzip(data, max_bytes)
    if len(data) > max_bytes:
        raise BadInput(f"{len(data):,} bytes is over the {max_bytes:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)")
    try:
        text = decode(data, declared=document.hints.get("charset"))
        cleaned = clean(document.format, text, url=document.url, site=document.site, site_model=site_model)
        if not cleaned.text.strip():
            raise BadInput("no article text left after cleaning" + (" (the HTML page has no text)" if document.format == "html" else ""))
        return cleaned, dedup.fingerprint(cleaned.text)
    except cleaning.ExtractionTimeout as exc:
        raise BadInput(f"HTML extraction gave up: {exc}") from exc
    except BadInput:
        raise
    except Exception as exc:  # decoding and cleaning use no service: trying again changes nothing
        log.exception("document %s could not be cleaned", document.id)
        raise BadInput(f"cleaning failed: {type(exc).__name__}: {exc}") from exc


class IndexLost(RuntimeError):
    """The Redis index has lost its data (Redis emptied or replaced): linking now would
    miss every earlier copy. Transient: the message is retried once ``corpus reindex`` ran."""


def require_index(runtime, batch: list[int]) -> None:
    """An index without its parameters is new (fine while the store has no other
    fingerprint) or lost (then wait for ``corpus reindex``)."""
    if runtime.redis.hexists(f"{runtime.index.prefix}meta", "params"):
        return
    with read_scope(runtime.engine) as session:
        others = session.scalar(select(Document.id).where(Document.fingerprint.is_not(None),
                                                          Document.id.not_in(batch)).limit(1))
    if others is not None:
        raise IndexLost("the duplicate index in Redis is empty or lost: run `corpus reindex`")
    runtime.index.ensure_params()


def cleaned_fields(document: Document, cleaned: cleaning.Cleaned, fingerprint: dedup.Fingerprint,
                   site_model_version: int | None = None) -> dict:
    """The columns a cleaned document fills, keyed for ``_save_cleaned``."""
    hints = {k: v for k, v in document.hints.items() if k not in INTERNAL_HINTS}
    metadata = {**hints.pop("metadata", {}), **hints, **cleaned.metadata}
    values = {
        "title": hints.get("title") or cleaned.title or metadata.get("title"),  # the record's own title wins
        "text": cleaned.text,
        "removed": [{"text": r.text, "rule": r.rule} for r in cleaned.removed],
        "metadata": metadata,
        "site": document.site or metadata.get("site"),
        "cleaner_version": cleaning.CLEANER_VERSION,
        "site_model_version": site_model_version,
        "text_hash": fingerprint.text_hash,
        "length": fingerprint.length,
        "fingerprint": fingerprint.to_bytes(),
        "stage": INDEXED,
    }
    return {"doc_id": document.id, **{f"v_{k}": v for k, v in values.items()}}


# Core statements (executemany), each guarded by the stage so a concurrent redelivery
# that got there first wins and this one changes nothing.
_documents = Document.__table__
CLEANED_COLUMNS = ("title", "text", "removed", "metadata", "site", "cleaner_version", "site_model_version",
                   "text_hash", "length", "fingerprint", "stage")
_save_cleaned = (
    update(_documents)
    .where(_documents.c.id == bindparam("doc_id"), _documents.c.stage == RECEIVED)
    .values({column: bindparam(f"v_{column}") for column in CLEANED_COLUMNS})
)
_save_failed = (
    update(_documents)
    .where(_documents.c.id == bindparam("doc_id"), _documents.c.stage == RECEIVED)
    .values(status=FAILED, error=bindparam("reason"), processed_at=bindparam("now"))
)


def copied_fields(document: Document, original: dict) -> dict:
    """An exact copy's columns, taken from its original's cleaned ones (``original`` keyed
    by column name): the copy is not cleaned or fingerprinted again. Its own hints (URL,
    title, metadata of its record) override the original's metadata."""
    hints = {k: v for k, v in document.hints.items() if k not in INTERNAL_HINTS}
    own = {**hints.pop("metadata", {}), **hints}
    values = {column: original[column] for column in CLEANED_COLUMNS}
    values["metadata"] = {**(original["metadata"] or {}), **own}
    values["site"] = document.site or original["site"]
    values["stage"] = INDEXED
    return {"doc_id": document.id, **{f"v_{k}": v for k, v in values.items()}}


def _stored_values(document: Document) -> dict:
    return {column: getattr(document, "meta" if column == "metadata" else column) for column in CLEANED_COLUMNS}


def _load_originals(runtime, todo: list[Document]) -> tuple[dict[int, int], dict[int, Document]]:
    """Exact copies among ``todo`` still to be cleaned (``copy id -> original id``) and
    their originals as stored."""
    copies = {d.id: int(d.hints["copy_of"]) for d in todo if d.stage == RECEIVED and d.hints.get("copy_of")}
    if not copies:
        return {}, {}
    with read_scope(runtime.engine) as session:
        originals = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(set(copies.values()))))}
        session.expunge_all()
    return copies, originals


def process(runtime, document_ids: list[int]) -> Outcome:
    outcome = Outcome()
    started = time.perf_counter()
    with read_scope(runtime.engine) as session:
        documents = session.scalars(select(Document).where(Document.id.in_(document_ids)).order_by(Document.id)).all()
        session.expunge_all()
    missing = set(document_ids) - {d.id for d in documents}
    if missing:
        log.warning("documents %s are not in the store; dropping them", sorted(missing))
    todo = [d for d in documents if d.stage != LINKED and d.status != FAILED]
    # Exact copies (same bytes as an earlier document, see ``models.store.record``) take
    # their original's cleaned fields. An original nobody has cleaned yet is cleaned here,
    # in this batch (idempotent, so its own message changes nothing later): the copy never
    # waits on message order, and a failed original fails its copies with its reason.
    copies, originals = _load_originals(runtime, todo)
    in_batch = {d.id for d in todo}
    todo += [o for o in originals.values() if o.id not in in_batch and o.stage == RECEIVED and o.status != FAILED
             and not o.hints.get("copy_of")]
    todo.sort(key=lambda d: d.id)
    outcome.timed("read", started)
    if not todo:
        return outcome

    started = time.perf_counter()
    cleaned_rows, failed_rows = [], []
    for document in todo:
        if document.stage != RECEIVED or copies.get(document.id) in originals:
            continue
        version, site_model = runtime.site_models.latest(document.site) or (None, None)
        try:
            cleaned, fingerprint = prepare(document, runtime.settings.max_document_bytes, site_model)
        except BadInput as exc:
            failed_rows.append({"doc_id": document.id, "reason": str(exc), "now": utcnow()})
            continue
        cleaned_rows.append(cleaned_fields(document, cleaned, fingerprint, version))
    if copies:
        _copy_originals(runtime, todo, copies, originals, cleaned_rows, failed_rows)
    outcome.timed("clean", started)

    started = time.perf_counter()
    with session_scope(runtime.engine) as session:
        if cleaned_rows:
            session.execute(_save_cleaned, cleaned_rows)
        if failed_rows:
            session.execute(_save_failed, failed_rows)
        stored = session.execute(
            select(Document.id, Document.status, Document.fingerprint)
            .where(Document.id.in_([d.id for d in todo]))
            .order_by(Document.id)
        ).all()
    outcome.timed("store", started)

    started = time.perf_counter()
    if any(status != FAILED and fp is not None for _, status, fp in stored):
        require_index(runtime, [d.id for d in todo])
    to_link: list[tuple[int, list[tuple[int, str, float]]]] = []
    exact_copies = {d.id: int(d.hints["copy_of"]) for d in todo if d.hints.get("copy_of")}
    indexed = []
    for doc_id, status, stored_fingerprint in stored:
        if status == FAILED or stored_fingerprint is None:
            outcome.statuses[doc_id] = status
            continue
        indexed.append((doc_id, dedup.Fingerprint.from_bytes(stored_fingerprint)))
    # One round trip for the batch: each document is still its own atomic insert+query script,
    # run in id order, so a later document of the batch sees the earlier ones as candidates.
    candidates = runtime.index.insert_many(indexed) if indexed else []
    for (doc_id, fingerprint), found in zip(indexed, candidates):
        matches = []
        for other_id, other in found:
            match = dedup.compare(fingerprint, other)
            if match is not None:
                matches.append((other_id, match.kind, float(match.similarity)))
        original_id = exact_copies.get(doc_id)
        if original_id is not None and all(other != original_id for other, _, _ in matches):
            matches.append((original_id, "exact", 1.0))  # the exact edge, even past a full LSH bucket
        to_link.append((doc_id, matches))
    if to_link:  # Redis emptied while we inserted: the matches may be missing, wait for the reindex
        require_index(runtime, [d.id for d in todo])
    outcome.timed("index", started)

    if to_link:
        started = time.perf_counter()
        with session_scope(runtime.engine) as session:
            lock_clusters(session)
            link(session, to_link)
            outcome.statuses.update(
                session.execute(select(Document.id, Document.status).where(Document.id.in_([d for d, _ in to_link]))).all()
            )
        outcome.timed("link", started)
    return outcome


def _copy_originals(runtime, todo, copies, originals, cleaned_rows, failed_rows) -> None:
    """Fill each exact copy from its original: cleaned in this batch, or as stored."""
    cleaned_here = {row["doc_id"]: {c: row[f"v_{c}"] for c in CLEANED_COLUMNS} for row in cleaned_rows}
    failed_here = {row["doc_id"]: row["reason"] for row in failed_rows}
    by_id = {d.id: d for d in todo}
    for copy_id, original_id in copies.items():
        original = originals.get(original_id)
        if original is None:
            continue  # the original is gone: the copy was cleaned like any document
        reason = failed_here.get(original_id) or (original.error if original.status == FAILED else None)
        if reason is not None:
            failed_rows.append({"doc_id": copy_id, "reason": reason, "now": utcnow()})
        elif original_id in cleaned_here:
            cleaned_rows.append(copied_fields(by_id[copy_id], cleaned_here[original_id]))
        elif original.fingerprint is not None:
            cleaned_rows.append(copied_fields(by_id[copy_id], _stored_values(original)))
        else:  # an original that is itself a copy, or in a state no writer leaves: clean the copy
            copy = by_id[copy_id]
            version, site_model = runtime.site_models.latest(copy.site) or (None, None)
            try:
                cleaned, fingerprint = prepare(copy, runtime.settings.max_document_bytes, site_model)
                cleaned_rows.append(cleaned_fields(copy, cleaned, fingerprint, version))
            except BadInput as exc:
                failed_rows.append({"doc_id": copy_id, "reason": str(exc), "now": utcnow()})
