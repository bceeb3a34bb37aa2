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

from models.db import lock_clusters, session_scope
from models.store import raw_bytes
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


def clean(document_format: str, text: str, *, url: str | None, site: str | None) -> cleaning.Cleaned:
    if document_format == "html":
        return cleaning.clean_html(text, url=url, site=site)
    return cleaning.clean_text(text, site=site)


def prepare(document: Document, max_bytes: int) -> tuple[cleaning.Cleaned, dedup.Fingerprint]:
    """Decode and clean a stored input; ``BadInput`` when it cannot give an article."""
    data, gzipped = raw_bytes(document)
    if gzipped:
        data = gunzip(data, max_bytes)
    if len(data) > max_bytes:
        raise BadInput(f"{len(data):,} bytes is over the {max_bytes:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)")
    text = decode(data)
    try:
        cleaned = clean(document.format, text, url=document.url, site=document.site)
    except cleaning.ExtractionTimeout as exc:
        raise BadInput(f"HTML extraction gave up: {exc}") from exc
    if not cleaned.text.strip():
        raise BadInput("no article text left after cleaning" + (" (the HTML page has no text)" if document.format == "html" else ""))
    return cleaned, dedup.fingerprint(cleaned.text)


def cleaned_fields(document: Document, cleaned: cleaning.Cleaned, fingerprint: dedup.Fingerprint) -> dict:
    """The columns a cleaned document fills, keyed for ``_save_cleaned``."""
    hints = {k: v for k, v in document.hints.items() if k != "gzipped"}
    metadata = {**hints.pop("metadata", {}), **hints, **cleaned.metadata}
    values = {
        "title": cleaned.title or metadata.get("title"),
        "text": cleaned.text,
        "removed": [{"text": r.text, "rule": r.rule} for r in cleaned.removed],
        "metadata": metadata,
        "site": document.site or metadata.get("site"),
        "cleaner_version": cleaning.CLEANER_VERSION,
        "text_hash": fingerprint.text_hash,
        "length": fingerprint.length,
        "fingerprint": fingerprint.to_bytes(),
        "stage": INDEXED,
    }
    return {"doc_id": document.id, **{f"v_{k}": v for k, v in values.items()}}


# Core statements (executemany), each guarded by the stage so a concurrent redelivery
# that got there first wins and this one changes nothing.
_documents = Document.__table__
CLEANED_COLUMNS = ("title", "text", "removed", "metadata", "site", "cleaner_version", "text_hash", "length",
                   "fingerprint", "stage")
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


def process(runtime, document_ids: list[int]) -> Outcome:
    outcome = Outcome()
    started = time.perf_counter()
    with session_scope(runtime.engine) as session:
        documents = session.scalars(select(Document).where(Document.id.in_(document_ids)).order_by(Document.id)).all()
        session.expunge_all()
    missing = set(document_ids) - {d.id for d in documents}
    if missing:
        log.warning("documents %s are not in the store; dropping them", sorted(missing))
    todo = [d for d in documents if d.stage != LINKED and d.status != FAILED]
    outcome.timed("read", started)
    if not todo:
        return outcome

    started = time.perf_counter()
    cleaned_rows, failed_rows = [], []
    for document in todo:
        if document.stage != RECEIVED:
            continue
        try:
            cleaned, fingerprint = prepare(document, runtime.settings.max_document_bytes)
        except BadInput as exc:
            failed_rows.append({"doc_id": document.id, "reason": str(exc), "now": utcnow()})
            continue
        cleaned_rows.append(cleaned_fields(document, cleaned, fingerprint))
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
    to_link: list[tuple[int, list[tuple[int, str, float]]]] = []
    for doc_id, status, stored_fingerprint in stored:
        if status == FAILED or stored_fingerprint is None:
            outcome.statuses[doc_id] = status
            continue
        fingerprint = dedup.Fingerprint.from_bytes(stored_fingerprint)
        matches = []
        for other_id, other in runtime.index.insert_and_query(doc_id, fingerprint):
            match = dedup.compare(fingerprint, other)
            if match is not None:
                matches.append((other_id, match.kind, float(match.similarity)))
        to_link.append((doc_id, matches))
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
