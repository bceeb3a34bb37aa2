"""The dedup window: index entries older than ``CORPUS_DEDUP_WINDOW_DAYS`` expire.

News streams never stop, so an unbounded index grows forever while copies of a story
arrive within days of it. With a window set, every worker runs this small middleware that
now and then removes the index entries inserted before the window (each removal is atomic,
so several workers doing it at once is harmless). A copy arriving after its original left
the window becomes a new article. The store keeps everything; `corpus reindex` rebuilds the
whole index from it, and the next sweeps trim it back to the window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from workers.queue.periodic import PeriodicTask

log = logging.getLogger("corpus.window")


def expiry_interval_s(window_days: float) -> float:
    """How often to sweep: a quarter of the window, between 1 second and 10 minutes."""
    return min(600.0, max(1.0, window_days * 86400 / 4))


class IndexWindow(PeriodicTask):
    name = "corpus-index-window"

    def __init__(self, window_days: float, index: Callable[[], object]) -> None:
        super().__init__(expiry_interval_s(window_days))
        self.window_s = window_days * 86400
        self.index = index  # the index is opened (and its parameters checked) at the first sweep

    def run_once(self) -> None:
        removed = self.index().expire_before(time.time() - self.window_s)
        if removed:
            log.info("expired %d index entries older than the dedup window", removed)
