"""The ledger check behind ``corpus verify``, and the janitor that hands a dead worker's
in-flight messages back to the queue.

The ledger: every accepted document ends as exactly one of canonical article, duplicate
linked to its canonical, or failed with its reason; until then it is carried by a message
(ready, delayed or in flight). The store and the Redis LSH index must agree: every
indexed or linked document has an index record with its stored fingerprint, and no index
record exists without such a document. :func:`check` looks at all of it and
:func:`repair` mends what can be mended: stuck documents are enqueued again, missing or
wrong index records are rebuilt from the stored fingerprints, stray ones removed.

The janitor: dramatiq's Redis broker gives a dead worker's unacked messages back only in
its random "maintenance" (``dispatch.lua``), and only for the queue being dispatched when
the dice say so: minutes after a SIGKILL in practice. :class:`Janitor` runs in every
worker process and does it on purpose every couple of seconds, atomically, for the queue
and its delay queue, as soon as a worker has been silent for the heartbeat timeout.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from workers.periodic import PeriodicTask

log = logging.getLogger("corpus.verify")

#: Ids listed per problem in a report (the counts are always complete).
SAMPLE = 20

# --------------------------------------------------------------------------- janitor

# KEYS: none (every key under ARGV[1], like dramatiq's own dispatch.lua).
# ARGV: 1 broker namespace, 2 now (ms), 3 heartbeat timeout (ms), 4.. queue names.
# For each worker silent longer than the timeout: every message id in its ack set of each
# queue goes back on that queue (if the message still exists), the ack set is deleted and
# the worker leaves the heartbeat set. Returns the number of messages given back.
_REQUEUE_DEAD = """
local ns = ARGV[1]
local heartbeats = ns .. ":__heartbeats__"
local dead = redis.call("zrangebyscore", heartbeats, 0, tonumber(ARGV[2]) - tonumber(ARGV[3]))
local moved = 0
for _, worker in ipairs(dead) do
  for i = 4, #ARGV do
    local queue = ns .. ":" .. ARGV[i]
    local acks = ns .. ":__acks__." .. worker .. "." .. ARGV[i]
    for _, id in ipairs(redis.call("smembers", acks)) do
      if redis.call("hexists", queue .. ".msgs", id) == 1 then
        redis.call("rpush", queue, id)
        moved = moved + 1
      end
    end
    redis.call("del", acks)
  end
  redis.call("zrem", heartbeats, worker)
end
return moved
"""


def requeue_dead_workers(client, broker_namespace: str, heartbeat_timeout_ms: int, queues: Iterable[str],
                         *, now_ms: int | None = None) -> int:
    """Give every dead worker's unacked messages back to their queues; returns how many."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    script = client.register_script(_REQUEUE_DEAD)
    return int(script(args=[broker_namespace, now_ms, heartbeat_timeout_ms, *queues]))


def janitor_interval_s(heartbeat_timeout_ms: int) -> float:
    return max(0.2, min(2.0, heartbeat_timeout_ms / 4000))


class Janitor(PeriodicTask):
    """In every worker process: every couple of seconds, give the messages of workers
    silent for longer than the heartbeat timeout back to their queues."""

    name = "corpus-janitor"

    def __init__(self, client, broker_namespace: str, heartbeat_timeout_ms: int, queues: Iterable[str]) -> None:
        super().__init__(janitor_interval_s(heartbeat_timeout_ms))
        self.client = client
        self.broker_namespace = broker_namespace
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self.queues = list(queues)

    def run_once(self) -> None:
        moved = requeue_dead_workers(self.client, self.broker_namespace, self.heartbeat_timeout_ms, self.queues)
        if moved:
            log.warning("gave %d message(s) of dead workers back to the queue", moved)


# ------------------------------------------------------------------- queue snapshot

# ARGV: 1 broker namespace, 2 the same glob-escaped, 3.. queue names (the queue first).
# Returns, per queue: {ready ids, ids held in any worker's ack set, flat hgetall of .msgs},
# then the flat hgetall of the dead-letter messages of the first queue. One script, so the
# picture is consistent (a message is always either ready, held, or gone).
_SNAPSHOT = """
local ns, pattern_ns = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV do
  local queue = ns .. ":" .. ARGV[i]
  local held = {}
  for _, key in ipairs(redis.call("keys", pattern_ns .. ":__acks__.*." .. ARGV[i])) do
    for _, id in ipairs(redis.call("smembers", key)) do
      held[#held + 1] = id
    end
  end
  out[#out + 1] = redis.call("lrange", queue, 0, -1)
  out[#out + 1] = held
  out[#out + 1] = redis.call("hgetall", queue .. ".msgs")
end
out[#out + 1] = redis.call("hgetall", ns .. ":" .. ARGV[3] .. ".XQ.msgs")
return out
"""


def _glob_escape(s: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in s)


def message_document_ids(raw) -> list[int]:
    """The document ids a dramatiq message carries (``process_documents([ids])``; a
    single id for messages of the older one-document actor)."""
    try:
        message = json.loads(raw)
    except (ValueError, TypeError):
        return []
    args = message.get("args") or []
    if not args:
        return []
    first = args[0]
    if isinstance(first, list):
        return [int(i) for i in first if isinstance(i, int)]
    if isinstance(first, int):
        return [first]
    return []


@dataclass
class QueueSnapshot:
    queued: set[int] = field(default_factory=set)  # ids carried by ready, delayed or in-flight messages
    dead_lettered: set[int] = field(default_factory=set)  # ids carried by dead letters
    orphaned: set[int] = field(default_factory=set)  # ids of messages neither ready nor held
    messages: int = 0
    orphan_messages: int = 0
    dead_letters: int = 0


def queue_snapshot(client, broker_namespace: str, queue: str) -> QueueSnapshot:
    from dramatiq.common import dq_name

    queues = [queue, dq_name(queue)]
    script = client.register_script(_SNAPSHOT)
    parts = script(args=[broker_namespace, _glob_escape(broker_namespace), *queues])
    snap = QueueSnapshot()
    for i in range(len(queues)):
        ready, held, flat = parts[3 * i : 3 * i + 3]
        live = set(ready) | set(held)
        for mid, raw in zip(flat[::2], flat[1::2]):
            snap.messages += 1
            ids = message_document_ids(raw)
            if mid in live:
                snap.queued.update(ids)
            else:
                snap.orphan_messages += 1
                snap.orphaned.update(ids)
    xq = parts[-1]
    for raw in xq[1::2]:
        snap.dead_letters += 1
        snap.dead_lettered.update(message_document_ids(raw))
    return snap


# ---------------------------------------------------------------------------- check


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
    "failed_without_reason": "failed documents without a reason",
    "settled_not_linked": "canonical or duplicate documents whose own linking never finished",
    "duplicate_without_canonical": "duplicates whose article has no canonical document",
    "canonical_not_canonical": "articles whose canonical document is not canonical in that article",
    "canonical_elsewhere": "canonical documents that are not their article's canonical",
    "article_without_canonical": "live articles without a canonical document",
    "bad_status": "documents with an unknown status",
}
MENDABLE = {"stuck", "index_missing", "index_mismatch", "index_stray", "settled_not_linked"}


def check(runtime, *, settle_s: float = 1.0) -> Report:
    """Look at the store, the queue and the index; nothing is changed."""
    from sqlalchemy import select

    from models.db import session_scope
    from models.store import counts
    from models.tables import (CANONICAL, DUPLICATE, FAILED, LINKED, PENDING, Article, Document)
    from workers.broker import QUEUE, broker_namespace

    report = Report()
    engine, client = runtime.engine, runtime.redis
    bns = broker_namespace(runtime.settings)

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
        # Linked by another document's batch but never by its own message: fine while a
        # message carries it (checked with the unsettled ones below), stuck otherwise.
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

    # Unsettled documents must ride on a message. Statuses only move forward, so one that
    # is still unsettled after a snapshot without its id was unsettled during it; a second
    # snapshot a moment later forgives a front door between its commit and its enqueue.
    snap = queue_snapshot(client, bns, QUEUE)
    report.info.update(messages=snap.messages, orphan_messages=snap.orphan_messages, dead_letters=snap.dead_letters)
    missing = unsettled - snap.queued
    if missing:
        time.sleep(settle_s)
        snap = queue_snapshot(client, bns, QUEUE)
        missing -= snap.queued
        with session_scope(engine) as session:
            still = set()
            ids = sorted(missing)
            for start in range(0, len(ids), 900):
                still.update(session.scalars(select(Document.id).where(
                    Document.id.in_(ids[start : start + 900]), Document.status != FAILED, Document.stage != LINKED)))
        missing &= still
        if missing:
            report.info["stuck_dead_lettered"] = len(missing & snap.dead_lettered)
            report.info["stuck_orphaned"] = len(missing & snap.orphaned)
        settled = {d for d in missing if d in status_of}
        report.add("settled_not_linked", settled)
        report.add("stuck", missing - settled)

    _check_index(runtime, report)
    return report


def _index_records(index) -> dict[int, bytes]:
    """Every record in the index: doc id -> fingerprint bytes."""
    from workers import dedup
    from workers.lsh_index import RECORD_BYTES, SLOTS, _glob_escape as escape

    records: dict[int, bytes] = {}
    for key in index.r.scan_iter(match=escape(index.prefix) + "r:*", count=1000):
        suffix = key[len(index.prefix.encode()) + 2:] if isinstance(key, bytes) else key[len(index.prefix) + 2:]
        try:
            shard = int(suffix)
        except ValueError:
            continue
        raw = index.r.get(key) or b""
        for slot in range(len(raw) // RECORD_BYTES):
            off = slot * RECORD_BYTES
            if raw[off] != 0:
                records[shard * SLOTS + slot] = raw[off : off + dedup.FP_BYTES]
    return records


def _aware(moment):
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _check_index(runtime, report: Report) -> None:
    from sqlalchemy import select

    from models.db import session_scope
    from models.tables import Document

    import time
    from datetime import datetime, timezone

    records = _index_records(runtime.index)
    missing, mismatch = [], []
    window_days = runtime.settings.dedup_window_days
    # With a dedup window, entries of documents settled before it have expired on purpose
    # (a minute's margin: an entry's time is its insert, a little before the document settled).
    expired_before = (datetime.fromtimestamp(time.time() - window_days * 86400 + 60, timezone.utc)
                      if window_days > 0 else None)
    with session_scope(runtime.engine) as session:
        stored = session.execute(
            select(Document.id, Document.fingerprint, Document.processed_at).where(Document.fingerprint.is_not(None))
            .execution_options(yield_per=1000)
        )
        fingerprinted = set()
        for doc_id, fingerprint, processed_at in stored:
            fingerprinted.add(doc_id)
            have = records.get(doc_id)
            if have is None:
                if expired_before is not None and processed_at is not None and _aware(processed_at) < expired_before:
                    continue
                missing.append(doc_id)
            elif have != bytes(fingerprint):
                mismatch.append(doc_id)
    report.info["index_records"] = len(records)
    report.add("index_missing", missing)
    report.add("index_mismatch", mismatch)
    report.add("index_stray", set(records) - fingerprinted)


# --------------------------------------------------------------------------- repair


def repair(runtime, report: Report) -> dict[str, int]:
    """Mend what ``report`` found that can be mended; returns what was done per problem."""
    from sqlalchemy import select

    from models.db import session_scope
    from models.tables import Document
    from workers import dedup
    from workers.broker import QUEUE, broker_namespace

    done: dict[str, int] = {}
    problems = report.problems
    # First the index, so that re-enqueued documents find every earlier one in it.
    rebuild = sorted(set(problems.get("index_missing", [])) | set(problems.get("index_mismatch", [])))
    if rebuild:
        index = runtime.index
        n = 0
        for start in range(0, len(rebuild), 500):
            with session_scope(runtime.engine) as session:
                rows = session.execute(select(Document.id, Document.fingerprint).where(
                    Document.id.in_(rebuild[start : start + 500]), Document.fingerprint.is_not(None))
                    .order_by(Document.id)).all()
            items = [(doc_id, dedup.Fingerprint.from_bytes(fp)) for doc_id, fp in rows]
            for doc_id, fp in items:
                index.insert_and_query(doc_id, fp)  # replaces a different fingerprint
            n += len(items)
        done["index"] = n
    stray = problems.get("index_stray", [])
    if stray:
        for doc_id in stray:
            runtime.index.remove(doc_id)
        done["index_stray"] = len(stray)
    done["dead_worker_messages"] = requeue_dead_workers(
        runtime.redis, broker_namespace(runtime.settings), runtime.settings.heartbeat_timeout_ms,
        [QUEUE, f"{QUEUE}.DQ"])
    stuck = sorted(set(problems.get("stuck", [])) | set(problems.get("settled_not_linked", [])))
    if stuck:
        from workers.actors import enqueue

        enqueue(stuck)
        done["enqueued"] = len(stuck)
    return done
