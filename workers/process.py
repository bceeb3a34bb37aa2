"""One worker process: dramatiq's ``Worker`` on the corpus broker, until SIGTERM.

``corpus worker -p N`` runs N of these under :mod:`workers.supervisor` instead of
dramatiq's own command line, whose main process shuts every worker down, and exits, as soon
as one of them dies (one SIGKILLed or out-of-memory child stopped the whole ``corpus
worker``). What this does is what dramatiq's worker process does: import the broker and the
actors, ``process_boot``, start the worker threads, and on SIGTERM (or SIGHUP) stop them,
letting in-flight messages finish or go back to the queue; a second SIGTERM kills it.

Run as ``python -m workers.process --threads T``.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import random
import signal
import sys
import time

RET_OK, RET_KILLED, RET_IMPORT, RET_CONNECT = 0, 1, 2, 3  # dramatiq's exit codes
#: How long a stopping worker waits for in-flight messages: dramatiq's default (10 minutes,
#: the actor's time limit), so that SIGTERM finishes a batch being cleaned rather than cut it.
SHUTDOWN_TIMEOUT_MS = 600_000
LOG_FORMAT = "[%(asctime)s] [PID %(process)d] [%(threadName)s] [%(name)s] [%(levelname)s] %(message)s"


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the supervisor dies, even by SIGKILL, so that no
    worker is left running unsupervised. Best effort elsewhere."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.process")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    log = logging.getLogger("corpus.worker")
    running = True

    def stop(signum, frame) -> None:
        nonlocal running
        if running:
            log.info("Stopping worker process...")
            running = False
        else:
            log.warning("Killing worker process...")
            sys.exit(RET_KILLED)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the supervisor, which sends SIGTERM
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    _die_with_parent()
    random.seed()
    try:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker  # noqa: F401 - the broker's module, before the actors
        from dramatiq.errors import ConnectionError as BrokerConnectionError

        from workers import actors, pipeline  # noqa: F401 - the actors, and the pipeline's imports at boot

        broker = dramatiq.get_broker()
        broker.emit_after("process_boot")
        worker = dramatiq.Worker(broker, worker_threads=args.threads)
        worker.start()
    except ImportError:
        log.exception("Failed to import module.")
        return RET_IMPORT
    except BrokerConnectionError:
        log.exception("Broker connection failed.")
        return RET_CONNECT
    log.info("Worker process is ready for action.")
    while running:
        time.sleep(1)
    worker.stop(timeout=SHUTDOWN_TIMEOUT_MS)
    broker.close()
    return RET_OK


if __name__ == "__main__":
    sys.exit(main())
