"""The janitor: hands a dead worker's in-flight messages back to the queue, and mends lost state.

dramatiq's Redis broker gives a dead worker's unacked messages back only in its random
"maintenance" (``dispatch.lua``), and only for the queue being dispatched when the dice say
so: minutes after a SIGKILL in practice. :class:`Janitor` runs in every worker process and
does it on purpose every couple of seconds, atomically, for the queue and its delay queue,
as soon as a worker has been silent for the heartbeat timeout. Each round then runs the
self-repair (``workers.queue.selfheal``): a lost index rebuilt from the store, documents the
queue lost enqueued again, dead letters of an outage retried once the dependency is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from workers.queue.periodic import PeriodicTask

log = logging.getLogger("corpus.janitor")

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

    def __init__(self, client, broker_namespace: str, heartbeat_timeout_ms: int, queues: Iterable[str],
                 heal=None) -> None:
        super().__init__(janitor_interval_s(heartbeat_timeout_ms))
        self.heal = heal  # a workers.queue.selfheal.SelfHeal, or None
        self.client = client
        self.broker_namespace = broker_namespace
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self.queues = list(queues)

    def run_once(self) -> None:
        moved = requeue_dead_workers(self.client, self.broker_namespace, self.heartbeat_timeout_ms, self.queues)
        if moved:
            log.warning("gave %d message(s) of dead workers back to the queue", moved)
        if self.heal is not None:
            self.heal.run_once()
