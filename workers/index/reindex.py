"""Rebuild the Redis LSH index from the store (``corpus reindex``): the store is the truth.

The index is cleared (its generation mark with it), every stored fingerprint inserted in
document-id order (pipelined, each insert its own atomic script), its parameters recorded
again and a new generation mark written (``workers.index.generation``). Workers meanwhile
see no matching mark and wait (the pipeline retries instead of linking against an empty
index), so nothing is linked against a half-built index; the documents they insert
meanwhile are harmless: an insert of a known (id, fingerprint) changes nothing. Run by
``corpus reindex`` and by the workers' janitor when it finds the index lost.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select

from models.db import read_scope
from models.tables import Document
from workers.index import generation
from workers.index.lsh import LshIndex
from workers.steps import dedup

CHUNK = 500


def reindex(engine: Engine, index: LshIndex, *, on_total: Callable[[int], None] | None = None,
            on_progress: Callable[[int], None] | None = None) -> int:
    """Clear the index and insert every stored fingerprint; returns how many were inserted."""
    with read_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(Document).where(Document.fingerprint.is_not(None)))
    if on_total:
        on_total(total or 0)
    index.clear()
    inserted, after = 0, -1
    while True:
        with read_scope(engine) as session:
            rows = session.execute(
                select(Document.id, Document.fingerprint, Document.created_at)
                .where(Document.fingerprint.is_not(None), Document.id > after)
                .order_by(Document.id).limit(CHUNK)
            ).all()
        if not rows:
            break
        for now, items in _by_day(rows):
            index.insert_many(items, now=now)
        inserted += len(rows)
        after = rows[-1][0]
        if on_progress:
            on_progress(len(rows))
    index.ensure_params(dedup.params())
    # The generation mark last: until the store and the index carry the same new mark,
    # workers wait, so they never link against a partial index.
    generation.write(engine, index, generation.new_mark())
    return inserted


def _by_day(rows) -> list[tuple[float | None, list[tuple[int, dedup.Fingerprint]]]]:
    """Runs of consecutive rows created on one UTC day, each with the first one's time: each
    record's insertion time stays near its document's own (the dedup window)."""
    runs: list[tuple[int | None, float | None, list]] = []
    for doc_id, fingerprint, created in rows:
        ts = created.timestamp() if created is not None else None
        day = None if ts is None else int(ts // 86400)
        if not runs or runs[-1][0] != day:
            runs.append((day, ts, []))
        runs[-1][2].append((doc_id, dedup.Fingerprint.from_bytes(fingerprint)))
    return [(ts, items) for _, ts, items in runs]
