"""A chore every worker process runs on a timer, from boot to shutdown.

The janitor and the dedup-window sweep are both this: a daemon thread that wakes every
``interval_s``, does one round against Redis, and shrugs off a failed round (Redis
restarting), because the next round does the same work.
"""

from __future__ import annotations

import logging
import threading

from dramatiq.middleware import Middleware

log = logging.getLogger("corpus.periodic")


class PeriodicTask(Middleware):
    #: the thread's name, also used in the log line of a skipped round
    name = "corpus-periodic"
    #: run a first round at boot instead of after the first interval
    at_boot = False

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.stop = threading.Event()

    def after_worker_boot(self, broker, worker) -> None:
        threading.Thread(target=self._run, name=self.name, daemon=True).start()

    def before_worker_shutdown(self, broker, worker) -> None:
        self.stop.set()

    def run_once(self) -> None:
        """One round; raising skips it."""
        raise NotImplementedError

    def _run(self) -> None:
        if self.at_boot:
            self._round()
        while not self.stop.wait(self.interval_s):
            self._round()

    def _round(self) -> None:
        try:
            self.run_once()
        except Exception as exc:  # Redis away: the next round will do
            log.debug("%s round skipped: %s", self.name, exc)
