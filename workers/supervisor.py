"""``corpus worker``'s main process: N worker processes (:mod:`workers.process`), each
restarted when it dies, until SIGTERM or Ctrl-C.

A worker process that dies (SIGKILL, out of memory, a crash) is logged and started again;
its in-flight messages come back through the heartbeat janitor as for any dead worker. One
that dies within ``MIN_UPTIME_S`` of its start is restarted after a delay doubling up to
``MAX_DELAY_S``, so a process that cannot stay up does not spin; one that fails to import
(exit 2: broken code or configuration, which a restart cannot mend) stops them all, exit 2.
SIGTERM and SIGINT are passed on as SIGTERM (in-flight work finishes or goes back) and the
supervisor exits when every process has; SIGHUP restarts every process (new code, the same
queue), as dramatiq's reload does.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from dataclasses import dataclass

from workers.process import RET_IMPORT

log = logging.getLogger("corpus.supervisor")

#: A process that lived shorter than this crashed at start rather than at work: back off.
#: Booting a worker (imports, the store, Redis) takes 1-3 s on this project's machine.
MIN_UPTIME_S = 10.0
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
POLL_S = 0.2


@dataclass
class Slot:
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = FIRST_DELAY_S
    due: float = 0.0  # when to start the next process, after a crash


class Supervisor:
    def __init__(self, command: list[str], processes: int) -> None:
        self.command = command
        self.slots = [Slot() for _ in range(processes)]
        self.stopping = False
        self.reloading: set[int] = set()
        self.exit_code = 0

    def run(self) -> int:
        logging.basicConfig(level=logging.INFO, format="[%(asctime)s] [PID %(process)d] [%(name)s] %(message)s")
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._reload)
        for slot in self.slots:
            self._start(slot)
        while True:
            now = time.monotonic()
            for number, slot in enumerate(self.slots):
                self._tend(number, slot, now)
            if self.stopping and all(s.process is None or s.process.poll() is not None for s in self.slots):
                return self.exit_code
            time.sleep(POLL_S)

    def _tend(self, number: int, slot: Slot, now: float) -> None:
        process = slot.process
        if process is None:
            if not self.stopping and now >= slot.due:
                self._start(slot)
            return
        code = process.poll()
        if code is None or self.stopping:
            return
        slot.process = None
        if number in self.reloading:
            self.reloading.discard(number)
            slot.delay, slot.due = FIRST_DELAY_S, now
            return
        if code == RET_IMPORT:
            log.critical("worker process %d could not import its modules (exit %d): stopping", process.pid, code)
            self.exit_code = RET_IMPORT
            self._stop(None, None)
            return
        quick = now - slot.started < MIN_UPTIME_S
        slot.delay = min(MAX_DELAY_S, slot.delay * 2) if quick else FIRST_DELAY_S
        slot.due = now + (slot.delay if quick else 0.0)
        log.warning("worker process %d exited unexpectedly (code %s); starting another%s", process.pid, code,
                    f" in {slot.delay:.0f}s" if quick else "")

    def _start(self, slot: Slot) -> None:
        slot.process = subprocess.Popen(self.command)
        slot.started = time.monotonic()

    def _signal_all(self, signum: int) -> None:
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                try:
                    slot.process.send_signal(signum)
                except ProcessLookupError:
                    pass

    def _stop(self, signum, frame) -> None:
        if not self.stopping:
            log.info("stopping the worker processes")
        self.stopping = True
        self._signal_all(signal.SIGTERM)

    def _reload(self, signum, frame) -> None:
        if self.stopping:
            return
        log.info("restarting the worker processes")
        self.reloading = {n for n, s in enumerate(self.slots) if s.process is not None}
        self._signal_all(signal.SIGTERM)
