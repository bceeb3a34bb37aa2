"""One document through the pipeline: decode → clean → fingerprint → index → link.

Queue-agnostic: the dramatiq actor, the tests and the benchmarks call ``process`` with a
runtime. Each step is idempotent, so a redelivered or retried message never makes a second
article or link: a document already cleaned is not cleaned again, the index insert is a
no-op for a known id, and linking stops at a document already linked.

Cleaning runs outside any transaction so that slow pages never hold the store's write lock.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from models.db import lock_clusters, session_scope
from models.store import raw_bytes
from models.tables import FAILED, INDEXED, LINKED, RECEIVED, Document, utcnow
from workers import cleaning, dedup
from workers.decode import BadInput, decode, gunzip
from workers.linking import link

log = logging.getLogger("corpus.pipeline")


@dataclass
class Outcome:
    document_id: int
    status: str
    stage_seconds: dict[str, float]


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


def process(runtime, document_id: int) -> Outcome | None:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with session_scope(runtime.engine) as session:
        document = session.get(Document, document_id)
        if document is None:
            log.warning("document %s is not in the store; dropping its message", document_id)
            return None
        if document.stage == LINKED or document.status == FAILED:
            return Outcome(document_id, document.status, timings)
        session.expunge(document)
    timings["read"] = time.perf_counter() - started

    if document.stage == RECEIVED:
        began = time.perf_counter()
        try:
            cleaned, fingerprint = prepare(document, runtime.settings.max_document_bytes)
        except BadInput as exc:
            with session_scope(runtime.engine) as session:
                failed = session.get(Document, document_id)
                if failed.stage == RECEIVED:
                    failed.status, failed.error, failed.processed_at = FAILED, str(exc), utcnow()
            return Outcome(document_id, FAILED, timings)
        timings["clean"] = time.perf_counter() - began
        began = time.perf_counter()
        with session_scope(runtime.engine) as session:
            stored = session.get(Document, document_id)
            if stored.stage == RECEIVED:
                metadata = dict(cleaned.metadata)
                stored.title = cleaned.title or metadata.get("title") or document.hints.get("title")
                stored.text = cleaned.text
                stored.removed = [{"text": r.text, "rule": r.rule} for r in cleaned.removed]
                stored.meta = {**{k: v for k, v in document.hints.items() if k != "gzipped"}, **metadata}
                stored.site = stored.site or metadata.get("site")
                stored.cleaner_version = cleaning.CLEANER_VERSION
                stored.text_hash = fingerprint.text_hash
                stored.length = fingerprint.length
                stored.fingerprint = fingerprint.to_bytes()
                stored.stage = INDEXED
            else:
                fingerprint = dedup.Fingerprint.from_bytes(stored.fingerprint)
        timings["store"] = time.perf_counter() - began
    else:
        fingerprint = dedup.Fingerprint.from_bytes(document.fingerprint)

    began = time.perf_counter()
    candidates = runtime.index.insert_and_query(document_id, fingerprint)
    matches = []
    for other_id, other in candidates:
        match = dedup.compare(fingerprint, other)
        if match is not None:
            matches.append((other_id, match.kind, float(match.similarity)))
    timings["index"] = time.perf_counter() - began

    began = time.perf_counter()
    with session_scope(runtime.engine) as session:
        lock_clusters(session)
        link(session, document_id, matches)
        status = session.get(Document, document_id).status
    timings["link"] = time.perf_counter() - began
    return Outcome(document_id, status, timings)
