"""Failed documents: listing them with their reasons, and trying them again.

A document fails in a worker (it could not be decoded or cleaned, it is empty once cleaned,
it was over the size limit) or at the door (a bad JSON line, a CSV row without text, a broken
WARC record: ``format`` is then the container's, not ``text``/``html``). ``retry`` sets
the first kind back to pending and enqueues it again, which helps after a fix to the
cleaner, a site model or a transient fault; a door failure holds only the bad record's bytes,
so it is left failed and counted as ``not_retryable``: fix the input and ingest it again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update

from models.db import read_scope, session_scope
from models.tables import FAILED, PENDING, RECEIVED, Document
from workers.queue.messages import enqueue

RETRYABLE_FORMATS = ("text", "html")
#: ids updated and enqueued per transaction: the ids of one batch fit one IN list everywhere
CHUNK = 500


def _since_clause(since: float | None):
    if since is None:
        return True
    moment = datetime.fromtimestamp(since, tz=timezone.utc)
    return func.coalesce(Document.processed_at, Document.created_at) >= moment


def list_failures(engine, *, since: float | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Failed documents, most recent first: id, source, site, format, reason, when, retryable."""
    query = (
        select(Document.id, Document.source, Document.site, Document.format, Document.error, Document.created_at,
               Document.processed_at)
        .where(Document.status == FAILED, _since_clause(since))
        .order_by(Document.id.desc())
    )
    if limit:
        query = query.limit(limit)
    with read_scope(engine) as session:
        rows = session.execute(query).all()
    return [
        {"id": r.id, "source": r.source, "site": r.site, "format": r.format, "error": r.error,
         "at": (r.processed_at or r.created_at).isoformat() if (r.processed_at or r.created_at) else None,
         "retryable": r.format in RETRYABLE_FORMATS}
        for r in rows
    ]


def failure_count(engine, *, since: float | None = None) -> int:
    with read_scope(engine) as session:
        return session.scalar(select(func.count()).where(Document.status == FAILED, _since_clause(since))) or 0


def retry(runtime, *, ids: list[int] | None = None, since: float | None = None) -> dict[str, int]:
    """Set failed documents (these ``ids``, else every one failed since ``since``) back to
    pending and enqueue them. ``{"retried", "not_retryable", "not_failed"}``."""
    where = [Document.status == FAILED]
    if ids is not None:
        where.append(Document.id.in_(ids))
    else:
        where.append(_since_clause(since))
    with read_scope(runtime.engine) as session:
        found = session.execute(select(Document.id, Document.format).where(*where).order_by(Document.id)).all()
    todo = [doc_id for doc_id, fmt in found if fmt in RETRYABLE_FORMATS]
    done = {"retried": 0, "not_retryable": len(found) - len(todo),
            "not_failed": len(set(ids) - {doc_id for doc_id, _ in found}) if ids is not None else 0}
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        with session_scope(runtime.engine) as session:
            result = session.execute(
                update(Document).where(Document.id.in_(chunk), Document.status == FAILED)
                .values(status=PENDING, stage=RECEIVED, error=None, attempts=0)
                .execution_options(synchronize_session=False)
            )
            changed = result.rowcount
        # a document taken by a concurrent retry is enqueued twice at worst: the pipeline
        # skips what is settled, so that costs a message, never a second outcome
        enqueue(runtime.broker, chunk, batch_size=runtime.settings.batch_size)
        done["retried"] += changed
    return done
