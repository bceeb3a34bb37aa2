"""Reading the pipeline's figures back: throughput over sliding windows, the last hour per
minute, and the totals ``/metrics`` exports. The workers write them as they go
(``workers.queue.counters``, which documents the keys)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from redis import Redis

from workers.keys import events_key, minute_key, outcomes_key, stage_key
from workers.queue.counters import BUCKETS, DEPTH_FIELDS, EVENTS, OUTCOMES, STAGES

WINDOWS = (1, 5, 15)


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
        "events": {e: int(events.get(e, 0)) for e in EVENTS},
        "stages": stages,
    }


def bucket_bounds() -> list[float]:
    return [*BUCKETS, math.inf]
