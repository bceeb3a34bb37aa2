"""Failed documents: listing them with their reasons, and trying them again.

A document fails in a worker (it could not be decoded or cleaned, it is empty once cleaned,
it inflated over the size limit) or at the door (a bad JSON line, a CSV row without text, a
broken WARC record, an input over the size cap). ``retry`` sets the first kind back to pending
and enqueues it again, which helps after a fix to the cleaner, a site model, the cap or a
transient fault; a door failure holds only part of its input (``retryable``), so it is left
failed and counted as ``not_retryable``: fix the input and ingest it again.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update

from models.db import read_scope, session_scope
from models.tables import FAILED, PENDING, RECEIVED, Document
from workers.queue.messages import enqueue

RETRYABLE_FORMATS = ("text", "html")
#: the size cap's reason (ingest.formats.base.over_limit_reason, workers.steps.prepare.over_limit)
_OVER_LIMIT = re.compile(r"^([\d,]+) (compressed )?bytes is over the [\d,]+-byte limit")


def retryable(fmt: str, error: str | None, raw_size: int, gzipped: bool) -> bool:
    """Whether the store holds the whole input, so that processing it again can succeed.

    A container's bad record keeps only its own bytes (its format is the container's); an
    input over the size cap refused at the door keeps only its head: its reason names more
    bytes than were stored, or its compressed bytes. A gzip file that inflated over the cap
    in a worker is stored whole (the reason names what it inflated to)."""
    if fmt not in RETRYABLE_FORMATS:
        return False
    over = _OVER_LIMIT.match(error or "")
    if over is None or gzipped:
        return over is None or not over.group(2)
    return int(over.group(1).replace(",", "")) <= raw_size
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
               Document.processed_at, Document.raw_size, Document.hints)
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
         "retryable": retryable(r.format, r.error, r.raw_size, bool((r.hints or {}).get("gzipped")))}
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
        found = session.execute(select(Document.id, Document.format, Document.error, Document.raw_size, Document.hints)
                                .where(*where).order_by(Document.id)).all()
    todo = [r.id for r in found if retryable(r.format, r.error, r.raw_size, bool((r.hints or {}).get("gzipped")))]
    done = {"retried": 0, "not_retryable": len(found) - len(todo),
            "not_failed": len(set(ids) - {r.id for r in found}) if ids is not None else 0}
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
