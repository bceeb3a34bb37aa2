"""Queue-level figures dramatiq does not give: ready, delayed, in flight, dead, oldest age.

Read straight from dramatiq's Redis layout: ``<ns>:<queue>`` (list of ready ids),
``<ns>:<queue>.msgs`` (the messages), ``<ns>:<queue>.DQ`` (delayed), ``<ns>:<queue>.XQ``
(dead letters, a sorted set by time), ``<ns>:__acks__.<worker>.<queue>`` (in flight).

"""

from __future__ import annotations

import json
import time

from redis import Redis


def queue_stats(client: Redis, namespace: str, queue: str, *, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    base = f"{namespace}:{queue}"
    in_flight = sum(client.scard(k) for k in client.scan_iter(match=f"{namespace}:__acks__.*.{queue}", count=1000))
    # Workers hold fetched delayed messages in memory until their time comes: still delayed.
    held = sum(client.scard(k) for k in client.scan_iter(match=f"{namespace}:__acks__.*.{queue}.DQ", count=1000))
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
