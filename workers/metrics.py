"""Pipeline figures shared by every worker process, kept in Redis.

Workers run in many processes on many machines, so an in-process prometheus_client
registry would show one process only. Each worker records what it did here instead, and
``corpus serve`` exports the sums (``ingest.serve.CorpusCollector``). Everything is best
effort: a metric that cannot be written never fails a message.

Keys (``<ns>`` is ``Settings.namespace``):

``<ns>:metrics:stage``         hash: ``<stage>:<bucket index>`` observation counts (not
                               cumulative), ``<stage>:sum`` (seconds), ``<stage>:count``
``<ns>:metrics:outcomes``      hash: documents finished by outcome, since the namespace began
``<ns>:metrics:events``        hash: ``message_errors`` (actor exceptions, every attempt),
                               ``dead_lettered``, ``requeued`` (from the dead-letter queue)
``<ns>:metrics:m:<minute>``    hash per unix minute (TTL two hours): outcome counts and the
                               largest queue depth sampled in that minute (``ready``,
                               ``delayed``, ``in_flight``, ``dead``): throughput and the
                               dashboard's hour. Samples come from the workers' heartbeat
                               thread, the monitor and every status report.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable

from redis import Redis

log = logging.getLogger("corpus.metrics")

OUTCOMES = ("canonical", "duplicate", "failed")
STAGES = ("read", "clean", "store", "index", "link", "total")
DEPTH_FIELDS = ("ready", "delayed", "in_flight", "dead")
# Upper bounds (seconds) of the stage-duration histogram buckets; +Inf is implied.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MINUTE_TTL_S = 2 * 3600
WINDOWS = (1, 5, 15)


def stage_key(namespace: str) -> str:
    return f"{namespace}:metrics:stage"


def outcomes_key(namespace: str) -> str:
    return f"{namespace}:metrics:outcomes"


def events_key(namespace: str) -> str:
    return f"{namespace}:metrics:events"


def minute_key(namespace: str, minute: int) -> str:
    return f"{namespace}:metrics:m:{minute}"


def bucket_index(seconds: float) -> int:
    """Index of the first bucket whose bound holds ``seconds`` (len(BUCKETS) for +Inf)."""
    for i, bound in enumerate(BUCKETS):
        if seconds <= bound:
            return i
    return len(BUCKETS)


# ------------------------------------------------------------------------- recording


def record_outcome(runtime, outcome, *, now: float | None = None) -> None:
    """Count the documents a message settled and their stage durations (called by the actor).

    ``outcome`` is ``pipeline.Outcome``: ``statuses`` (document id -> status) of the documents
    the batch settled and the batch's ``stage_seconds``, shared evenly between them
    (``per_document``). Documents already settled before (a redelivered message) are not in
    it, so they are not counted twice. None is ignored.
    """
    if outcome is None:
        return
    try:
        if hasattr(outcome, "statuses"):
            statuses = list(outcome.statuses.values())
            if not statuses:
                return
            n = len(statuses)
            share = {stage: seconds / n for stage, seconds in outcome.stage_seconds.items()}
        else:  # one document per outcome (``status``, ``stage_seconds``)
            if not outcome.stage_seconds:
                return
            statuses, share = [outcome.status], dict(outcome.stage_seconds)
        record_batch(runtime.redis, runtime.settings.namespace, statuses, share, now=now)
    except Exception as exc:  # metrics must never fail a message
        log.warning("could not record metrics: %s", exc)


def record(client: Redis, namespace: str, status: str, stage_seconds: dict[str, float], *,
           now: float | None = None) -> None:
    """One finished document."""
    record_batch(client, namespace, [status], stage_seconds, now=now)


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


def sample_queues(client: Redis, settings, *, now: float | None = None) -> dict:
    """Sample the documents queue's depth into the minute history; returns the figures."""
    from workers.broker import QUEUE, broker_namespace
    from workers.queue_stats import queue_stats

    stats = queue_stats(client, broker_namespace(settings), QUEUE, now=now)
    sample_depth(client, settings.namespace, stats, now=now)
    return stats


# --------------------------------------------------------------------------- reading


def _minutes(client: Redis, namespace: str, minutes: Iterable[int]) -> list[dict[str, float]]:
    minutes = list(minutes)
    pipe = client.pipeline(transaction=False)
    for m in minutes:
        pipe.hgetall(minute_key(namespace, m))
    rows = []
    for raw in pipe.execute():
        rows.append({k.decode() if isinstance(k, bytes) else k: float(v) for k, v in raw.items()})
    return rows


def throughput(client: Redis, namespace: str, *, now: float | None = None) -> dict[str, dict]:
    """Documents finished over the last 1, 5 and 15 minutes: by outcome and per minute.

    A sliding window over minute buckets: the current, partial minute counts whole and the
    oldest minute of the window counts for the part of it still inside the window.
    """
    now = time.time() if now is None else now
    current = int(now // 60)
    elapsed = (now - current * 60) / 60
    rows = _minutes(client, namespace, range(current - max(WINDOWS), current + 1))  # oldest first
    result = {}
    for window in WINDOWS:
        inside = rows[-window:]
        before = rows[-window - 1]
        counts = {}
        for outcome in OUTCOMES:
            n = sum(r.get(outcome, 0.0) for r in inside) + before.get(outcome, 0.0) * (1 - elapsed)
            counts[outcome] = round(n, 2)
        total = sum(counts.values())
        result[f"{window}m"] = {"per_minute": round(total / window, 2), **counts}
    return result


def history(client: Redis, namespace: str, *, minutes: int = 60, now: float | None = None) -> list[dict]:
    """One row per minute of the last ``minutes``, oldest first: depth sampled in that minute
    (None where nothing sampled) and documents finished by outcome."""
    now = time.time() if now is None else now
    current = int(now // 60)
    span = list(range(current - minutes + 1, current + 1))
    rows = []
    for m, raw in zip(span, _minutes(client, namespace, span)):
        row: dict = {"t": m * 60}
        for f in DEPTH_FIELDS:
            row[f] = int(raw[f]) if f in raw else None
        for outcome in OUTCOMES:
            row[outcome] = int(raw.get(outcome, 0))
        rows.append(row)
    return rows


def totals(client: Redis, namespace: str) -> dict:
    """Counters since the namespace began: outcomes, events, and stage histograms as
    ``{stage: {"buckets": [cumulative counts per BUCKETS bound, then +Inf], "sum", "count"}}``."""
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(outcomes_key(namespace))
    pipe.hgetall(events_key(namespace))
    pipe.hgetall(stage_key(namespace))
    outcomes_raw, events_raw, stage_raw = pipe.execute()

    def decode(raw: dict) -> dict[str, float]:
        return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}

    outcomes = decode(outcomes_raw)
    events = decode(events_raw)
    stage = decode(stage_raw)
    stages = {}
    for name in STAGES:
        count = stage.get(f"{name}:count")
        if count is None:
            continue
        cumulative, running = [], 0.0
        for i in range(len(BUCKETS) + 1):
            running += stage.get(f"{name}:{i}", 0.0)
            cumulative.append(running)
        stages[name] = {"buckets": cumulative, "sum": stage.get(f"{name}:sum", 0.0), "count": count}
    return {
        "outcomes": {o: int(outcomes.get(o, 0)) for o in OUTCOMES},
        "events": {e: int(events.get(e, 0)) for e in ("message_errors", "dead_lettered", "requeued")},
        "stages": stages,
    }


def bucket_bounds() -> list[float]:
    return [*BUCKETS, math.inf]
