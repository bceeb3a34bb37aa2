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
  index is whole, so they find every earlier document in it. A look reads at most
  ``SCAN_MESSAGES`` queued messages: the check is a pass over the message hashes (HSCAN, a
  cursor kept in Redis) spread over as many periods as it takes, collecting the documents the
  messages carry. When a pass ends, a document unsettled since before it began that no message
  of the pass carried is a suspect, and only then is the exact check made: a consistent snapshot
  of the whole queue (``workers.queue.stats.queue_snapshot``) decides what is enqueued again.
  A message present for the whole pass is always seen (HSCAN's guarantee), so a document no
  message carries is always a suspect; one that moved between hashes meanwhile (a retry) is at
  worst a suspect the snapshot clears. A message neither ready nor held (orphaned) is told
  by its count at the end of the pass, and sends the pass to the snapshot too.
- **dead letters of an outage** (``workers.queue.dead_letters.is_outage``: the database or
  Redis unreachable, the index lost) go back on the queue once the store answers and the
  index is whole; at most ``MAX_AUTO_RETRIES`` times each, so a fault that only looks like
  an outage is left to a person (``corpus dlq``). A round reads only those (the set of outage
  letters ``record_reason`` keeps) and letters with no reason recorded: a queue of dead letters
  kept for a person costs it three counts, however long. Bad input is never dead-lettered: it
  is failed with its reason by the pipeline.

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
from workers.keys import (QUEUE, broker_namespace, last_repair_key, outage_letters_key, reasons_key, repair_lock_key,
                          stranded_scan_key, stranded_timer_key)
from workers.queue.counters import count_event
from workers.queue.dead_letters import outage_error, requeue
from workers.queue.messages import encoded_document_ids, enqueue
from workers.queue.stats import queue_snapshot

log = logging.getLogger("corpus.selfheal")

#: A held lock expires after this unless renewed: a rebuild renews it every 500 documents
#: (well under a second each), so only a crashed holder lets it lapse.
LOCK_LEASE_MS = 60_000
#: Automatic retries per dead letter: an outage long enough to exhaust the retry budget
#: twice in a row is rare; three more passes, then a person decides.
MAX_AUTO_RETRIES = 3
#: Dead letters of an outage looked at per round (the rest next round).
DEAD_LETTER_BATCH = 500
#: Queued messages the stranded check reads per period: at the default batch of 256, 128k
#: queued documents per pass of one period (a few MB read every 15 s at most).
SCAN_MESSAGES = 500

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


# KEYS: 1 heartbeats zset, then per queue: its list, its .msgs hash. ARGV: 1 broker namespace,
# then the queue names. Returns the messages neither ready nor held by a worker (orphaned): the
# messages of each queue less those in its list and in the ack sets of the live workers.
_ORPHANS = """
local workers = redis.call("zrange", KEYS[1], 0, -1)
local orphans = 0
for i = 2, #ARGV do
  local held = 0
  for _, worker in ipairs(workers) do
    held = held + redis.call("scard", ARGV[1] .. ":__acks__." .. worker .. "." .. ARGV[i])
  end
  orphans = orphans + redis.call("hlen", KEYS[2 * i - 1]) - redis.call("llen", KEYS[2 * i - 2]) - held
end
return orphans
"""


def stranded_interval_s(grace_s: float) -> float:
    """How often the fleet looks for stranded documents: half the grace, at most 30 s (not
    every janitor round: each look reads up to SCAN_MESSAGES messages)."""
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
        """Reads only what may be retried: the dead letters of an outage (their set, kept by
        ``dead_letters.record_reason``), and, when some dead letters have no reason recorded
        (more dead letters than reasons: the reason's write failed), the oldest ones, whose
        previous attempt's traceback tells. With nothing of the kind: three counts a round."""
        bns = broker_namespace(self.namespace)
        xq = f"{bns}:{QUEUE}.XQ"
        outage = outage_letters_key(self.namespace)
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(xq)
        pipe.scard(outage)
        pipe.hlen(reasons_key(self.namespace))
        dead, outages, reasons_kept = pipe.execute()
        if not dead:
            return
        ids = [i.decode() for i in self.client.srandmember(outage, DEAD_LETTER_BATCH)] if outages else []
        if dead > reasons_kept:
            ids = list(dict.fromkeys(ids + [i.decode() for i in self.client.zrange(xq, 0, DEAD_LETTER_BATCH - 1)]))
        if not ids or not store_answers(self.engine()):
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(f"{xq}.msgs", ids)
        pipe.hmget(reasons_key(self.namespace), ids)
        raws, reasons = pipe.execute()
        gone = [rid for rid, raw in zip(ids, raws) if raw is None]
        if gone:  # expired from the dead letters (dramatiq's ttl): nothing left to retry
            self.client.srem(outage, *gone)
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
        now = time.time() if now is None else now
        cutoff = datetime.fromtimestamp(now - self.grace_s, timezone.utc)
        unsettled = (Document.status != FAILED, Document.stage != LINKED, Document.created_at < cutoff)
        with read_scope(engine) as session:
            if session.scalar(select(Document.id).where(*unsettled).limit(1)) is None:
                return
        with RepairLock(self.client, self.namespace) as held:
            if not held or not self._pass_finds_suspects(engine, unsettled, now):
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

    def _pass_finds_suspects(self, engine: Engine, unsettled, now: float) -> bool:
        """One period's share of the pass over the queued messages (see the module docstring);
        True when a pass has just ended with suspects, so the exact check must be made."""
        bns = broker_namespace(self.namespace)
        queues = [QUEUE, f"{QUEUE}.DQ"]
        hashes = [f"{bns}:{q}.msgs" for q in queues] + [f"{bns}:{QUEUE}.XQ.msgs"]
        scan, carried = stranded_scan_key(self.namespace), stranded_scan_key(self.namespace) + ":carried"
        state = {k.decode(): v.decode() for k, v in self.client.hgetall(scan).items()}
        if "began" not in state:  # a new pass (or Redis lost the last one)
            self.client.delete(carried)
            state = {"began": repr(now)}
        budget = SCAN_MESSAGES
        for key in hashes:
            cursor = state.get(key, "0")  # "0": not begun, "done": every message seen
            while cursor != "done" and budget > 0:
                position, found = self.client.hscan(key, int(cursor), count=budget)
                ids = {i for raw in found.values() for i in encoded_document_ids(raw)}
                if ids:
                    self.client.sadd(carried, *ids)
                budget -= max(1, len(found))
                cursor = "done" if position == 0 else str(position)
            state[key] = cursor
        if any(state.get(key) != "done" for key in hashes):
            self.client.hset(scan, mapping=state)
            self.client.expire(scan, int(4 * stranded_interval_s(self.grace_s)) + 60)
            self.client.expire(carried, int(4 * stranded_interval_s(self.grace_s)) + 60)
            return False
        # The pass is over: suspects are documents unsettled since before it began (their front
        # door had enqueued them by then) that none of its messages carried.
        began = datetime.fromtimestamp(float(state["began"]) - self.grace_s, timezone.utc)
        with read_scope(engine) as session:
            ids = list(session.scalars(select(Document.id).where(*unsettled, Document.created_at < began)))
        suspects = False
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            if not all(self.client.smismember(carried, chunk)):
                suspects = True
                break
        self.client.delete(scan, carried)
        if not suspects:
            keys = [f"{bns}:__heartbeats__"] + [k for q in queues for k in (f"{bns}:{q}", f"{bns}:{q}.msgs")]
            suspects = int(self.client.eval(_ORPHANS, len(keys), *keys, bns, *queues)) > 0
        return suspects


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
