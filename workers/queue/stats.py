"""Queue-level figures dramatiq does not give: ready, delayed, in flight, dead, oldest age.

Read straight from dramatiq's Redis layout: ``<ns>:<queue>`` (list of ready ids),
``<ns>:<queue>.msgs`` (the messages), ``<ns>:<queue>.DQ`` (delayed), ``<ns>:<queue>.XQ``
(dead letters, a sorted set by time), ``<ns>:__acks__.<worker>.<queue>`` (in flight), found
from ``<ns>:__heartbeats__`` (the workers), never by a scan of the keyspace.

:func:`queue_stats` counts them for ``corpus status`` and the metrics; :func:`queue_snapshot`
reads, in one script, which documents the messages carry (``corpus verify``);
:func:`held_document_ids` which documents the messages workers hold carry (``corpus ingest
--wait``: a batch between its link and its ack may still send a site back for cleaning).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from dramatiq.common import dq_name

from redis import Redis

from workers.queue.messages import encoded_document_ids


# ARGV: 1 broker namespace, 2 queue. In flight, and delayed messages a worker holds: the ack
# sets of the workers in dramatiq's heartbeat set, which a worker leaves only once its ack sets
# are given back (dramatiq's maintenance, ``workers.queue.janitor``). Proportional to the
# workers, where a SCAN for ``__acks__.*`` walked the whole keyspace (the index's keys too).
_HELD_COUNTS = """
local ns = ARGV[1]
local in_flight, held = 0, 0
for _, worker in ipairs(redis.call("zrange", ns .. ":__heartbeats__", 0, -1)) do
  local acks = ns .. ":__acks__." .. worker .. "." .. ARGV[2]
  in_flight = in_flight + redis.call("scard", acks)
  held = held + redis.call("scard", acks .. ".DQ")
end
return {in_flight, held}
"""


def queue_stats(client: Redis, namespace: str, queue: str, *, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    base = f"{namespace}:{queue}"
    # Workers hold fetched delayed messages in memory until their time comes: still delayed.
    in_flight, held = client.register_script(_HELD_COUNTS)(args=[namespace, queue])
    oldest_age = 0.0
    first = client.lindex(base, 0)
    if first is not None:
        raw = client.hget(f"{base}.msgs", first)
        if raw:
            try:
                oldest_age = max(0.0, now - json.loads(raw)["message_timestamp"] / 1000)
            except (ValueError, KeyError, TypeError):
                oldest_age = 0.0
    return {
        "ready": client.llen(base),
        "delayed": client.llen(f"{base}.DQ") + held,
        "in_flight": in_flight,
        "dead": client.zcard(f"{base}.XQ"),
        "oldest_age_s": round(oldest_age, 1),
    }


# ARGV: 1 broker namespace, 2.. queue names (the queue first).
# Returns, per queue: {ready ids, ids held in any worker's ack set, flat hgetall of .msgs},
# then the flat hgetall of the dead-letter messages of the first queue. One script, so the
# picture is consistent (a message is always either ready, held, or gone). The ack sets are
# found from dramatiq's heartbeats (a worker leaves them only once its ack sets are empty),
# not by a KEYS over the whole Redis (the index's keys too).
_SNAPSHOT = """
local ns = ARGV[1]
local workers = redis.call("zrange", ns .. ":__heartbeats__", 0, -1)
local out = {}
for i = 2, #ARGV do
  local queue = ns .. ":" .. ARGV[i]
  local held = {}
  for _, worker in ipairs(workers) do
    for _, id in ipairs(redis.call("smembers", ns .. ":__acks__." .. worker .. "." .. ARGV[i])) do
      held[#held + 1] = id
    end
  end
  out[#out + 1] = redis.call("lrange", queue, 0, -1)
  out[#out + 1] = held
  out[#out + 1] = redis.call("hgetall", queue .. ".msgs")
end
out[#out + 1] = redis.call("hgetall", ns .. ":" .. ARGV[2] .. ".XQ.msgs")
return out
"""


@dataclass
class QueueSnapshot:
    queued: set[int] = field(default_factory=set)  # ids carried by ready, delayed or in-flight messages
    dead_lettered: set[int] = field(default_factory=set)  # ids carried by dead letters
    orphaned: set[int] = field(default_factory=set)  # ids of messages neither ready nor held
    messages: int = 0
    orphan_messages: int = 0
    dead_letters: int = 0


def queue_snapshot(client, broker_namespace: str, queue: str) -> QueueSnapshot:
    queues = [queue, dq_name(queue)]
    script = client.register_script(_SNAPSHOT)
    parts = script(args=[broker_namespace, *queues])
    snap = QueueSnapshot()
    for i in range(len(queues)):
        ready, held, flat = parts[3 * i : 3 * i + 3]
        live = set(ready) | set(held)
        for mid, raw in zip(flat[::2], flat[1::2]):
            snap.messages += 1
            ids = encoded_document_ids(raw)
            if mid in live:
                snap.queued.update(ids)
            else:
                snap.orphan_messages += 1
                snap.orphaned.update(ids)
    xq = parts[-1]
    for raw in xq[1::2]:
        snap.dead_letters += 1
        snap.dead_lettered.update(encoded_document_ids(raw))
    return snap


# ARGV: 1 broker namespace, 2 queue. The messages held by the workers of dramatiq's heartbeat
# set (the ack sets' registry, as in _SNAPSHOT), in flight or prefetched: a few per thread.
_HELD = """
local ns = ARGV[1]
local out = {}
for _, worker in ipairs(redis.call("zrange", ns .. ":__heartbeats__", 0, -1)) do
  local ids = redis.call("smembers", ns .. ":__acks__." .. worker .. "." .. ARGV[2])
  for i = 1, #ids, 500 do
    local raws = redis.call("hmget", ns .. ":" .. ARGV[2] .. ".msgs", unpack(ids, i, math.min(i + 499, #ids)))
    for _, raw in ipairs(raws) do
      if raw then out[#out + 1] = raw end
    end
  end
end
return out
"""


def held_document_ids(client, broker_namespace: str, queue: str) -> set[int]:
    """The documents carried by the messages the workers hold (fetched, not yet acked)."""
    raws = client.register_script(_HELD)(args=[broker_namespace, queue])
    return {doc_id for raw in raws for doc_id in encoded_document_ids(raw)}
