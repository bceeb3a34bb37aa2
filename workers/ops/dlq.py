"""The dead-letter queue: list, show, requeue and purge what dramatiq gave up on.

dramatiq's Redis broker moves a message whose retries are exhausted to
``<broker ns>:<queue>.XQ`` (sorted set of redis message ids by the time they died, in ms)
and ``<broker ns>:<queue>.XQ.msgs`` (id -> the message as it was last enqueued), keeps it
for 7 days and offers no way back.

The message stored there is the one enqueued for the last attempt, so its
``options["traceback"]`` (written by the Retries middleware) is the previous attempt's, if
any. The final attempt's error is recorded by the worker (``workers.queue.dead_letters``) in ``<ns>:dlq:reasons`` (redis message id -> JSON ``{"error",
"traceback", "at"}``); listings prefer that.

Requeue moves one message back to the ready queue atomically
(``workers.queue.dead_letters.requeue``: removed from the XQ and pushed on the queue, or
nothing if another requeue or purge took it first), with ``retries`` reset, a new redis
message id and a fresh timestamp. Each entry says whether it died of an outage
(``outage``): those the workers' janitor retries by itself once the dependency is back.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis import Redis

from workers.keys import QUEUE, broker_namespace, outage_letters_key, reasons_key
from workers.queue.counters import count_event
from workers.queue.dead_letters import error_line, outage_error, requeue
from workers.queue.messages import document_ids


# KEYS: 1 XQ zset, 2 XQ.msgs hash, 3 reasons hash, 4 outage set. Returns how many were removed.
_PURGE = """
local n = redis.call('zcard', KEYS[1])
redis.call('del', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return n
"""


# KEYS: 1 XQ zset, 2 XQ.msgs hash, 3 reasons hash, 4 outage set; ARGV: 1 redis message id. 1 if removed.
_DISCARD = """
if redis.call('zrem', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('hdel', KEYS[2], ARGV[1])
redis.call('hdel', KEYS[3], ARGV[1])
redis.call('srem', KEYS[4], ARGV[1])
return 1
"""


class NotFound(LookupError):
    pass


class Ambiguous(LookupError):
    pass


@dataclass
class DeadLetters:
    client: Redis
    namespace: str
    queue: str = QUEUE

    @property
    def base(self) -> str:
        return f"{broker_namespace(self.namespace)}:{self.queue}"

    @property
    def xq(self) -> str:
        return f"{self.base}.XQ"

    @property
    def xq_msgs(self) -> str:
        return f"{self.base}.XQ.msgs"

    @property
    def reasons(self) -> str:
        return reasons_key(self.namespace)

    @property
    def outage(self) -> str:
        return outage_letters_key(self.namespace)

    def outage_waiting(self, max_retries: int) -> int:
        """Dead letters of an outage still due an automatic retry (retried fewer than
        ``max_retries`` times): read from the few that died of an outage, not from the list."""
        ids = [i.decode() for i in self.client.smembers(self.outage)]
        if not ids:
            return 0
        waiting = 0
        for raw in self.client.hmget(self.xq_msgs, ids):
            if raw is None:
                continue  # retried, discarded or expired since
            try:
                requeued = int((json.loads(raw).get("options") or {}).get("corpus_requeued", 0))
            except ValueError:
                continue
            waiting += requeued < max_retries
        return waiting

    # -------------------------------------------------------------------- reading

    def count(self) -> int:
        return self.client.zcard(self.xq)

    def ids(self) -> list[str]:
        return [i.decode() for i in self.client.zrange(self.xq, 0, -1)]

    def list(self, *, limit: int | None = None, now: float | None = None, with_traceback: bool = False) -> list[dict]:
        """Dead letters, most recent first."""
        now = time.time() if now is None else now
        end = -1 if limit is None else limit - 1
        members = self.client.zrevrange(self.xq, 0, end, withscores=True)
        if not members:
            return []
        ids = [m.decode() for m, _ in members]
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(self.xq_msgs, ids)
        pipe.hmget(self.reasons, ids)
        raws, reasons = pipe.execute()
        return [
            self._entry(rid, score, raw, reason, now, with_traceback)
            for (rid, (_, score)), raw, reason in zip(zip(ids, members), raws, reasons)
        ]

    def resolve(self, prefix: str) -> str:
        """The full redis message id for an id or a unique prefix of one."""
        prefix = prefix.strip()
        if not prefix:
            raise NotFound("no dead letter id given")
        if self.client.zscore(self.xq, prefix) is not None:
            return prefix
        found = [i for i in self.ids() if i.startswith(prefix)]
        if not found:
            raise NotFound(f"no dead letter with id {prefix}")
        if len(found) > 1:
            raise Ambiguous(f"{len(found)} dead letters start with {prefix}: give more of the id")
        return found[0]

    def get(self, prefix: str, *, now: float | None = None) -> dict:
        rid = self.resolve(prefix)
        score = self.client.zscore(self.xq, rid)
        raw, reason = self.client.hget(self.xq_msgs, rid), self.client.hget(self.reasons, rid)
        if score is None:
            raise NotFound(f"no dead letter with id {prefix}")
        return self._entry(rid, score, raw, reason, time.time() if now is None else now, True)

    def _entry(self, rid: str, score: float, raw, reason, now: float, with_traceback: bool) -> dict:
        message: dict = {}
        if raw:
            try:
                message = json.loads(raw)
            except ValueError:
                message = {}
        options = message.get("options") or {}
        recorded = {}
        if reason:
            try:
                recorded = json.loads(reason)
            except ValueError:
                recorded = {}
        tb = recorded.get("traceback") or options.get("traceback")
        error = recorded.get("error") or error_line(options.get("traceback")) or "unknown (no error recorded)"
        args = message.get("args") or []
        dead_at = score / 1000
        entry = {
            "id": rid,
            "message_id": message.get("message_id"),
            "actor": message.get("actor_name"),
            "queue": self.queue,
            "args": args,
            "kwargs": message.get("kwargs") or {},
            "document_ids": document_ids(args),
            "retries": options.get("retries", 0),
            "requeued": options.get("corpus_requeued", 0),
            "error": error,
            "outage": bool(recorded.get("outage", outage_error(error))),
            "dead_at": round(dead_at, 3),
            "age_s": round(max(0.0, now - dead_at), 1),
            "enqueued_at": round(message.get("message_timestamp", 0) / 1000, 3) or None,
        }
        if with_traceback:
            entry["traceback"] = tb
            entry["options"] = {k: v for k, v in options.items() if k != "traceback"}
        return entry

    # ------------------------------------------------------------------- changing

    def requeue(self, prefix: str) -> bool:
        """Put one dead letter back on its queue with its retries reset; False if it was
        taken meanwhile (requeued or purged by someone else)."""
        rid = self.resolve(prefix)
        raw = self.client.hget(self.xq_msgs, rid)
        if raw is None:
            raise NotFound(f"no dead letter with id {prefix}")
        moved = requeue(self.client, self.namespace, self.queue, rid, raw)
        if moved:
            count_event(self.client, self.namespace, "requeued")
        return bool(moved)

    def requeue_all(self) -> int:
        n = 0
        for rid in self.ids():
            try:
                n += self.requeue(rid)
            except NotFound:
                continue
        return n

    def documents(self) -> dict[str, list[int]]:
        """Each dead letter's document ids (redis message id -> ids)."""
        ids = self.ids()
        if not ids:
            return {}
        found = {}
        for rid, raw in zip(ids, self.client.hmget(self.xq_msgs, ids)):
            try:
                found[rid] = document_ids((json.loads(raw) if raw else {}).get("args") or [])
            except ValueError:
                found[rid] = []
        return found

    def discard(self, rid: str) -> bool:
        """Remove one dead letter (its work is carried or done elsewhere); False if it was taken
        meanwhile."""
        script = self.client.register_script(_DISCARD)
        return bool(script(keys=[self.xq, self.xq_msgs, self.reasons, self.outage], args=[rid]))

    def purge(self) -> int:
        script = self.client.register_script(_PURGE)
        return int(script(keys=[self.xq, self.xq_msgs, self.reasons, self.outage]))
