"""The one way documents come in: record them in the store in batches, send their ids.

``corpus ingest``, the Python API and the watched inbox all read inputs their own way and
hand the documents to an :class:`Intake`. It records them (idempotent: the same source and
bytes are one document, see ``models.documents.record``) and enqueues the ids of those
that can be processed (a document refused at the door is settled already, and counted as
failed in the metrics the workers' outcomes go to, so that ``/metrics`` adds up to the
store). A document already stored (the same source and bytes) is not sent again once it
is settled: re-ingesting finished files enqueues nothing; one still pending is sent again
(its first message may have been lost with a crash between record and enqueue). The first
batches are small so that workers start while the rest is still being read; then they grow
to ``most``, where a batch's fixed cost no longer shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from ingest.formats.base import OVERSIZE_KEEP_BYTES, over_limit_reason
from models.db import session_scope
from models.documents import NewDocument, record, statuses
from models.tables import PENDING
from workers.queue.counters import record_outcome
from workers.queue.messages import enqueue


@dataclass(frozen=True)
class Recorded:
    document: NewDocument
    owner: Any  # whatever the caller attached to the document (a file, a position)
    id: int
    new: bool
    status: str = PENDING  # of a document already stored, when it was recorded again


Guard = Callable[[], AbstractContextManager]


def within_limit(document: NewDocument, max_bytes: int) -> NewDocument:
    """``document``, or when its bytes are over ``max_bytes`` a failed document keeping their
    head and the reason: the size cap applies before anything is stored, whichever door the
    input came through (a file, a record's text, the Python API). Compressed bytes are held
    to the same cap; what they inflate to is checked by the worker as it decompresses."""
    if document.error is not None or len(document.data) <= max_bytes:
        return document
    return replace(document, data=document.data[:OVERSIZE_KEEP_BYTES],
                   error=over_limit_reason(len(document.data), max_bytes, compressed=document.gzipped))


class Intake:
    def __init__(self, runtime, *, on_recorded: Callable[[list[Recorded]], None] | None = None,
                 first: int = 32, most: int = 500, store_guard: Guard = nullcontext,
                 queue_guard: Guard = nullcontext) -> None:
        self.runtime = runtime
        self.on_recorded = on_recorded
        self.size = first
        self.most = most
        self.store_guard = store_guard  # the API turns driver errors into its own exceptions
        self.queue_guard = queue_guard
        self.pending: list[tuple[NewDocument, Any]] = []

    def add(self, document: NewDocument, owner: Any = None) -> None:
        self.pending.append((within_limit(document, self.runtime.settings.max_document_bytes), owner))
        if len(self.pending) >= self.size:
            self.flush()

    def add_all(self, documents: Iterable[NewDocument], owner: Any = None) -> None:
        for document in documents:
            self.add(document, owner)

    def flush(self) -> list[Recorded]:
        if not self.pending:
            return []
        batch, self.pending = self.pending, []
        with self.store_guard(), session_scope(self.runtime.engine) as session:
            ids = record(session, [document for document, _ in batch])
            known = statuses(session, [doc_id for doc_id, new in ids if not new])
        recorded = [Recorded(document, owner, doc_id, new, PENDING if new else known.get(doc_id, PENDING))
                    for (document, owner), (doc_id, new) in zip(batch, ids)]
        with self.queue_guard():
            enqueue(self.runtime.broker, sorted({r.id for r in recorded if r.document.error is None
                                                 and r.status == PENDING}),
                    batch_size=self.runtime.settings.batch_size)
        refused = {r.id: "failed" for r in recorded if r.new and r.document.error is not None}
        if refused:
            try:
                record_outcome(self.runtime.redis, self.runtime.settings.namespace, refused, {})
            except Exception:  # metrics are best effort (record_outcome logs its own failures)
                pass
        self.size = min(self.most, self.size * 2)
        if self.on_recorded is not None:
            self.on_recorded(recorded)
        return recorded
