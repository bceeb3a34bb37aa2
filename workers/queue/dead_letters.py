"""Why a message was dead-lettered, kept beside dramatiq's dead letter.

dramatiq keeps a dead letter as the message enqueued for its last attempt, so the
traceback in its options is the previous attempt's, if any. This middleware records the
final attempt's error in ``<ns>:dlq:reasons`` (redis message id -> JSON ``{"error",
"traceback", "at"}``) when dramatiq gives up, and counts actor exceptions and dead letters
(``workers.queue.counters``); ``corpus dlq`` reads the reasons back. Best effort: nothing
here ever raises into dramatiq.
"""

from __future__ import annotations

import json
import logging
import time

from dramatiq.middleware import Middleware
from redis import Redis

from workers.keys import reasons_key
from workers.queue.counters import count_event

log = logging.getLogger("corpus.dead_letters")

REASON_TTL_S = 8 * 86400  # a day past dramatiq's 7-day dead-letter ttl


class DeadLetterReasons(Middleware):
    def __init__(self, client: Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        if exception is not None:
            count_event(self.client, self.namespace, "message_errors")

    def after_nack(self, broker, message) -> None:
        count_event(self.client, self.namespace, "dead_lettered")
        try:
            options = message.options
            tb = options.get("traceback")
            exception = getattr(message, "_exception", None)
            error = f"{type(exception).__name__}: {exception}" if exception is not None else error_line(tb)
            record_reason(self.client, self.namespace, options["redis_message_id"], tb, error)
        except Exception as exc:
            log.warning("could not record why message %s was dead-lettered: %s",
                        getattr(message, "message_id", "?"), exc)


def error_line(traceback_text: str | None) -> str | None:
    """The exception line of a formatted traceback (its last non-blank line)."""
    if not traceback_text:
        return None
    lines = [line.strip() for line in traceback_text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


def record_reason(client: Redis, namespace: str, redis_message_id: str, traceback_text: str | None,
                  error: str | None, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    key = reasons_key(namespace)
    payload = {"error": error or error_line(traceback_text) or "unknown error", "traceback": traceback_text, "at": now}
    pipe = client.pipeline(transaction=False)
    pipe.hset(key, redis_message_id, json.dumps(payload))
    pipe.expire(key, REASON_TTL_S)
    pipe.execute()
