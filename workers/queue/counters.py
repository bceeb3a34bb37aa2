"""Pipeline figures shared by every worker process, written to Redis as they happen.

Workers run in many processes on many machines, so an in-process prometheus_client
registry would show one process only. Each worker records what it did here instead, and
``corpus serve`` exports the sums (``workers.ops.metrics`` reads them). Everything is best
effort: a metric that cannot be written never fails a message.

Keys (``workers.keys``; ``<ns>`` is the namespace):

``<ns>:metrics:stage``         hash: ``<stage>:<bucket index>`` observation counts (not
                               cumulative), ``<stage>:sum`` (seconds), ``<stage>:count``
``<ns>:metrics:outcomes``      hash: documents finished by outcome, since the namespace began
``<ns>:metrics:events``        hash: ``message_errors`` (actor exceptions, every attempt),
                               ``dead_lettered``, ``requeued`` (from the dead-letter queue);
                               the janitor's repairs (``workers.queue.selfheal``):
                               ``index_rebuilds``, ``stranded_requeued`` (documents),
                               ``dead_letters_retried`` (messages)
``<ns>:metrics:m:<minute>``    hash per unix minute (TTL two hours): outcome counts and the
                               largest queue depth sampled in that minute (``ready``,
                               ``delayed``, ``in_flight``, ``dead``): throughput and the
                               dashboard's hour. Samples come from the workers' sampler, the
                               monitor and every status report.
"""

from __future__ import annotations

import logging
import time

from redis import Redis

from workers.keys import QUEUE, broker_namespace, events_key, minute_key, outcomes_key, stage_key
from workers.queue.stats import queue_stats

log = logging.getLogger("corpus.metrics")

OUTCOMES = ("canonical", "duplicate", "failed")
STAGES = ("read", "clean", "store", "index", "link", "events", "total")
EVENTS = ("message_errors", "dead_lettered", "requeued", "index_rebuilds", "stranded_requeued", "dead_letters_retried")
DEPTH_FIELDS = ("ready", "delayed", "in_flight", "dead")
# Upper bounds (seconds) of the stage-duration histogram buckets; +Inf is implied.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MINUTE_TTL_S = 2 * 3600


def bucket_index(seconds: float) -> int:
    """Index of the first bucket whose bound holds ``seconds`` (len(BUCKETS) for +Inf)."""
    for i, bound in enumerate(BUCKETS):
        if seconds <= bound:
            return i
    return len(BUCKETS)


def record_outcome(client: Redis, namespace: str, statuses: dict[int, str], stage_seconds: dict[str, float], *,
                   now: float | None = None) -> None:
    """Count the documents a message settled (``statuses``: document id -> status; documents
    already settled before, as on a redelivery, are not in it, so they are not counted
    twice) and their share of the batch's ``stage_seconds``. Never raises."""
    if not statuses:
        return
    n = len(statuses)
    share = {stage: seconds / n for stage, seconds in stage_seconds.items()}
    try:
        record_batch(client, namespace, list(statuses.values()), share, now=now)
    except Exception as exc:  # metrics must never fail a message
        log.warning("could not record metrics: %s", exc)


def record_batch(client: Redis, namespace: str, statuses: list[str], stage_seconds: dict[str, float], *,
                 now: float | None = None) -> None:
    """Documents finished together, each having spent ``stage_seconds`` per stage (its share
    of the batch): one observation per document in every stage histogram."""
    now = time.time() if now is None else now
    n = len(statuses)
    if not n:
        return
    timings = {k: float(v) for k, v in stage_seconds.items() if v is not None}
    if timings:
        timings["total"] = sum(timings.values())
    pipe = client.pipeline(transaction=False)
    skey = stage_key(namespace)
    for stage, seconds in timings.items():
        pipe.hincrby(skey, f"{stage}:{bucket_index(seconds)}", n)
        pipe.hincrbyfloat(skey, f"{stage}:sum", seconds * n)
        pipe.hincrby(skey, f"{stage}:count", n)
    by_outcome: dict[str, int] = {}
    for status in statuses:
        if status in OUTCOMES:
            by_outcome[status] = by_outcome.get(status, 0) + 1
    if by_outcome:
        mkey = minute_key(namespace, int(now // 60))
        for status, count in by_outcome.items():
            pipe.hincrby(outcomes_key(namespace), status, count)
            pipe.hincrby(mkey, status, count)
        pipe.expire(mkey, MINUTE_TTL_S)
    pipe.execute()


def settled_total(client: Redis, namespace: str) -> int:
    """Documents settled in the namespace so far (canonical + duplicate + failed): one
    HMGET, what ``corpus ingest --wait`` watches instead of re-reading the store. A lower
    bound of what the store says, not an exact count: the counts are best effort, and a
    document settled by a path that does not record (none today) would be missing."""
    return sum(int(v or 0) for v in client.hmget(outcomes_key(namespace), OUTCOMES))


def count_event(client: Redis, namespace: str, event: str, n: int = 1) -> None:
    try:
        client.hincrby(events_key(namespace), event, n)
    except Exception as exc:
        log.warning("could not count %s: %s", event, exc)


# KEYS: 1 the minute's hash. ARGV: ttl, then field, value pairs. Keeps each field's maximum.
_SAMPLE_MAX = """
for i = 2, #ARGV, 2 do
  local current = tonumber(redis.call('hget', KEYS[1], ARGV[i]))
  if current == nil or tonumber(ARGV[i + 1]) > current then
    redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('expire', KEYS[1], ARGV[1])
return 1
"""


def sample_depth(client: Redis, namespace: str, stats: dict, *, now: float | None = None) -> None:
    """Remember one queue's depth for the current minute: the minute keeps the largest
    value sampled in it (its peak), so a burst between samples of the chart still shows."""
    now = time.time() if now is None else now
    args: list = [MINUTE_TTL_S]
    for f in DEPTH_FIELDS:
        args += [f, int(stats.get(f, 0))]
    client.eval(_SAMPLE_MAX, 1, minute_key(namespace, int(now // 60)), *args)


def sample_queues(client: Redis, namespace: str, *, now: float | None = None) -> dict:
    """Sample the documents queue's depth into the minute history; returns the figures."""
    stats = queue_stats(client, broker_namespace(namespace), QUEUE, now=now)
    sample_depth(client, namespace, stats, now=now)
    return stats
