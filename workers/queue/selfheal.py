"""The janitor's self-repair: notice lost state and mend it, with no person in the loop.

A Redis without persistence restarted (or replaced) takes the duplicate index and every
queued message with it; a database away for longer than the retry budget dead-letters the
messages of that time. The store still knows everything, so every worker process's janitor
(``workers.queue.janitor``) runs these rounds, each cheap when all is well:

- **the index**: its generation mark must match the store's (``workers.index.generation``).
  When it does not and the store holds fingerprints, the index is rebuilt from the store
  (``workers.index.reindex``, what ``corpus reindex`` does), by one process under a lock.
  Meanwhile the workers wait (``pipeline.IndexLost``), so nothing is linked against a
  partial index and the clusters are a calm run's.
- **stranded documents**: documents still pending, recorded more than
  ``CORPUS_STRANDED_GRACE_S`` ago (a front door commits, then enqueues: the grace covers
  that gap, milliseconds normally, seconds when Redis is reconnecting; the default 30 s
  keeps a whole recovery inside 3 minutes: 53 s with 5 s, 145 s with 60 s for 800
  documents on the loaded 2-core machine, ``bench/selfheal.py``), that no ready, delayed,
  in-flight or dead message carries, are enqueued again.
  One process of the fleet looks per period (a Redis timer), under the lock, after the
  index is whole, so they find every earlier document in it.
- **dead letters of an outage** (``workers.queue.dead_letters.is_outage``: the database or
  Redis unreachable, the index lost) go back on the queue once the store answers and the
  index is whole; at most ``MAX_AUTO_RETRIES`` times each, so a fault that only looks like
  an outage is left to a person (``corpus dlq``). Bad input is never dead-lettered: it is
  failed with its reason by the pipeline.

Each repair is counted (``<ns>:metrics:events``: ``index_rebuilds``, ``stranded_requeued``,
``dead_letters_retried``; ``corpus_repairs_total{kind}`` in ``/metrics``) and the last one
kept in ``<ns>:janitor:last`` (``corpus status``). Reprocessing is harmless: every stage is
idempotent, so a document enqueued twice is still settled once.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select, text

from models.db import read_scope
from models.tables import FAILED, LINKED, Document
from workers.index import generation
from workers.keys import QUEUE, broker_namespace, last_repair_key, reasons_key, repair_lock_key, stranded_timer_key
from workers.queue.counters import count_event
from workers.queue.dead_letters import outage_error, requeue
from workers.queue.messages import enqueue
from workers.queue.stats import queue_snapshot

log = logging.getLogger("corpus.selfheal")

#: A held lock expires after this unless renewed: a rebuild renews it every 500 documents
#: (well under a second each), so only a crashed holder lets it lapse.
LOCK_LEASE_MS = 60_000
#: Automatic retries per dead letter: an outage long enough to exhaust the retry budget
#: twice in a row is rare; three more passes, then a person decides.
MAX_AUTO_RETRIES = 3
#: Dead letters looked at per round (the rest next round).
DEAD_LETTER_BATCH = 500

# KEYS: 1 lock. ARGV: 1 token, 2 lease ms. Renew only a lock we hold.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: 1 lock. ARGV: 1 token. Release only a lock we hold.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def stranded_interval_s(grace_s: float) -> float:
    """How often the fleet looks for stranded documents: half the grace, at most 30 s (a
    queue snapshot reads every message: not every janitor round)."""
    return max(1.0, min(30.0, grace_s / 2))


class RepairLock:
    """One repairer at a time across the fleet (SET NX with a lease, renewed while working)."""

    def __init__(self, client, namespace: str) -> None:
        self.client = client
        self.key = repair_lock_key(namespace)
        self.token = uuid.uuid4().hex

    def __enter__(self) -> bool:
        self.held = bool(self.client.set(self.key, self.token, nx=True, px=LOCK_LEASE_MS))
        return self.held

    def renew(self, *_: object) -> None:
        self.client.eval(_RENEW, 1, self.key, self.token, LOCK_LEASE_MS)

    def __exit__(self, *exc: object) -> None:
        if self.held:
            try:
                self.client.eval(_RELEASE, 1, self.key, self.token)
            except Exception:  # Redis away: the lease runs out by itself
                pass


def locked(client, namespace: str) -> bool:
    """Whether a repair is under way somewhere (``corpus status``)."""
    return bool(client.exists(repair_lock_key(namespace)))


def note_repair(client, namespace: str, kind: str, count: int, *, now: float | None = None) -> None:
    count_event(client, namespace, kind, count)
    try:
        client.hset(last_repair_key(namespace), mapping={
            "kind": kind, "count": count, "at": round(time.time() if now is None else now, 3)})
    except Exception as exc:
        log.warning("could not note the repair: %s", exc)


def last_repair(client, namespace: str) -> dict | None:
    raw = client.hgetall(last_repair_key(namespace))
    if not raw:
        return None
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    try:
        return {"kind": fields["kind"], "count": int(fields["count"]), "at": float(fields["at"])}
    except (KeyError, ValueError):
        return None


def store_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


class SelfHeal:
    """The three repairs, run by the janitor every round; see the module docstring."""

    def __init__(self, client, namespace: str, *, engine: Callable[[], Engine], index: Callable[[], object],
                 broker: Callable[[], object], batch_size: int, grace_s: float) -> None:
        self.client = client
        self.namespace = namespace
        self.engine = engine
        self.index = index
        self.broker = broker
        self.batch_size = batch_size
        self.grace_s = grace_s

    def run_once(self, *, now: float | None = None) -> dict[str, int]:
        """One round; returns what was repaired (empty when all is well)."""
        done: dict[str, int] = {}
        if not self.heal_index(done):
            return done  # the index is lost and someone else rebuilds it: nothing else yet
        self.retry_dead_letters(done)
        self.requeue_stranded(done, now=now)
        return done

    # ------------------------------------------------------------------------- the index

    def heal_index(self, done: dict[str, int]) -> bool:
        """True when the index is whole (as found, or rebuilt by this call)."""
        engine, index = self.engine(), self.index()
        if generation.current(engine, index) is not None:
            return True
        lock = RepairLock(self.client, self.namespace)
        with lock as held:
            if not held:
                return False
            if generation.current(engine, index) is not None:
                return True  # rebuilt by another process just before we took the lock
            from workers.index.reindex import reindex  # the fingerprint code: workers only

            log.warning("the duplicate index is lost (Redis emptied or replaced): rebuilding it from the store")
            started = time.monotonic()
            inserted = reindex(engine, index, on_progress=lock.renew)
            log.warning("rebuilt the duplicate index: %d document(s) in %.1f s", inserted, time.monotonic() - started)
            note_repair(self.client, self.namespace, "index_rebuilds", 1)
            done["index_rebuilds"] = 1
        return True

    # ---------------------------------------------------------------------- dead letters

    def retry_dead_letters(self, done: dict[str, int]) -> None:
        bns = broker_namespace(self.namespace)
        xq = f"{bns}:{QUEUE}.XQ"
        ids = [i.decode() for i in self.client.zrange(xq, 0, DEAD_LETTER_BATCH - 1)]
        if not ids or not store_answers(self.engine()):
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(f"{xq}.msgs", ids)
        pipe.hmget(reasons_key(self.namespace), ids)
        raws, reasons = pipe.execute()
        retried = 0
        for rid, raw, reason in zip(ids, raws, reasons):
            if raw is None or not _died_of_outage(raw, reason):
                continue
            try:
                options = json.loads(raw).get("options") or {}
            except ValueError:
                continue
            if int(options.get("corpus_requeued", 0)) >= MAX_AUTO_RETRIES:
                continue
            retried += requeue(self.client, self.namespace, QUEUE, rid, raw)
        if retried:
            log.warning("retried %d message(s) dead-lettered during an outage", retried)
            note_repair(self.client, self.namespace, "dead_letters_retried", retried)
            done["dead_letters_retried"] = retried

    # ----------------------------------------------------------------- stranded documents

    def requeue_stranded(self, done: dict[str, int], *, now: float | None = None) -> None:
        timer = stranded_timer_key(self.namespace)
        if not self.client.set(timer, "1", nx=True, px=int(stranded_interval_s(self.grace_s) * 1000)):
            return  # another process of the fleet looked this period
        engine = self.engine()
        cutoff = datetime.fromtimestamp((time.time() if now is None else now) - self.grace_s, timezone.utc)
        unsettled = (Document.status != FAILED, Document.stage != LINKED, Document.created_at < cutoff)
        with read_scope(engine) as session:
            if session.scalar(select(Document.id).where(*unsettled).limit(1)) is None:
                return
        with RepairLock(self.client, self.namespace) as held:
            if not held:
                return
            # The snapshot first: statuses only move forward, so a document still unsettled
            # after a snapshot that carried no message for it had none during it.
            snap = queue_snapshot(self.client, broker_namespace(self.namespace), QUEUE)
            with read_scope(engine) as session:
                ids = set(session.scalars(select(Document.id).where(*unsettled)))
            stranded = sorted(ids - snap.queued - snap.dead_lettered)
            if not stranded:
                return
            log.warning("enqueueing %d pending document(s) no message carries (the queue lost them)", len(stranded))
            enqueue(self.broker(), stranded, batch_size=self.batch_size)
            note_repair(self.client, self.namespace, "stranded_requeued", len(stranded))
            done["stranded_requeued"] = len(stranded)


def _died_of_outage(raw, reason) -> bool:
    if reason:
        try:
            recorded = json.loads(reason)
            if "outage" in recorded:
                return bool(recorded["outage"])
            return outage_error(recorded.get("error"))
        except ValueError:
            pass
    try:  # no reason recorded: the previous attempt's traceback, if any
        tb = (json.loads(raw).get("options") or {}).get("traceback") or ""
    except ValueError:
        return False
    lines = [line.strip() for line in tb.strip().splitlines() if line.strip()]
    return bool(lines) and outage_error(lines[-1])
