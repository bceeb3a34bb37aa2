"""The events' safety net: every worker process drains the event outbox of rows that have
waited longer than ``STALE_S``.

Each worker drains the outbox right after its link (``workers.pipeline.drain_events``), so
a row waits this long only when its worker died between its link's commit and its drain,
the store was away then, or its drain lost the lock to one that had already read the
outbox. The articles are settled; this gives them their event.
"""

from __future__ import annotations

from collections.abc import Callable

from workers.queue.periodic import PeriodicTask

#: a drain right after a link takes well under a second (bench/events.py): a row this old
#: was left behind
STALE_S = 10.0
#: how often each process looks (one indexed read of the outbox when nothing is left behind)
INTERVAL_S = 5.0


class EventsDrain(PeriodicTask):
    name = "corpus-events-drain"

    def __init__(self, drain: Callable[..., int], interval_s: float = INTERVAL_S) -> None:
        super().__init__(interval_s)
        self.drain = drain  # workers.events.drain, bound to the store

    def run_once(self) -> None:
        self.drain(older_than_s=STALE_S)
