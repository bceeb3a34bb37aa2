"""Rebuild the Redis LSH index from the store (``corpus reindex``): the store is the truth.

The index is cleared, its parameters recorded again, and every stored fingerprint inserted
in document-id order (pipelined, each insert its own atomic script). Workers meanwhile see
an index without parameters and wait (the pipeline retries instead of linking against an
empty index), so nothing is linked against a half-built index... except the documents
inserted meanwhile, which is harmless: an insert of a known (id, fingerprint) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

CHUNK = 500


def reindex(runtime, *, on_total: Callable[[int], None] | None = None,
            on_progress: Callable[[int], None] | None = None) -> int:
    """Clear the index and insert every stored fingerprint; returns how many were inserted."""
    from sqlalchemy import func, select

    from models.db import session_scope
    from models.tables import Document
    from workers import dedup
    from workers.lsh_index import LshIndex

    index = LshIndex(runtime.redis, f"{runtime.settings.namespace}:lsh:")
    with session_scope(runtime.engine) as session:
        total = session.scalar(select(func.count()).select_from(Document).where(Document.fingerprint.is_not(None)))
    if on_total:
        on_total(total or 0)
    index.clear()
    inserted, after = 0, -1
    while True:
        with session_scope(runtime.engine) as session:
            rows = session.execute(
                select(Document.id, Document.fingerprint, Document.created_at)
                .where(Document.fingerprint.is_not(None), Document.id > after)
                .order_by(Document.id).limit(CHUNK)
            ).all()
        if not rows:
            break
        # Keep each record's insertion time near the document's own (the dedup window).
        by_day: list[tuple[float, list]] = []
        for doc_id, fingerprint, created in rows:
            ts = created.timestamp() if created is not None else None
            day = None if ts is None else int(ts // 86400)
            if not by_day or by_day[-1][0] != day:
                by_day.append((day, []))
            by_day[-1][1].append((doc_id, dedup.Fingerprint.from_bytes(fingerprint), ts))
        for _, items in by_day:
            now = items[0][2]
            index.insert_many([(doc_id, fp) for doc_id, fp, _ in items], now=now)
        inserted += len(rows)
        after = rows[-1][0]
        if on_progress:
            on_progress(len(rows))
    # Parameters last: workers wait for them, so they never link against a partial index.
    index.ensure_params(dedup.params())
    return inserted
