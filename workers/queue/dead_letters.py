"""Why a message was dead-lettered, kept beside dramatiq's dead letter.

dramatiq keeps a dead letter as the message enqueued for its last attempt, so the
traceback in its options is the previous attempt's, if any. This middleware records the
final attempt's error in ``<ns>:dlq:reasons`` (redis message id -> JSON ``{"error",
"traceback", "at", "outage"}``) when dramatiq gives up, and counts actor exceptions and
dead letters (``workers.queue.counters``); ``corpus dlq`` reads the reasons back. Best
effort: nothing here ever raises into dramatiq.

``outage`` says whether the message died of a dependency being away (the database or Redis
unreachable, the index lost) rather than of its input: the janitor puts those back on the
queue once the dependency answers again (``workers.queue.selfheal``). Bad input never gets
here: the pipeline records it as failed with its reason and does not raise.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import redis
import sqlalchemy.exc
from dramatiq.middleware import Middleware
from redis import Redis

from workers.keys import broker_namespace, outage_letters_key, reasons_key
from workers.queue.counters import count_event

log = logging.getLogger("corpus.dead_letters")

REASON_TTL_S = 8 * 86400  # a day past dramatiq's 7-day dead-letter ttl

#: Exceptions that mean "a dependency is away", not "this input is bad". SQLAlchemy wraps the
#: driver's connection errors in OperationalError/InterfaceError (SQLite's "database is
#: locked" is one too: transient as well); the pipeline's IndexLost says ``outage = True``.
OUTAGE_TYPES = (redis.ConnectionError, redis.TimeoutError, sqlalchemy.exc.OperationalError,
                sqlalchemy.exc.InterfaceError, sqlalchemy.exc.DisconnectionError, sqlalchemy.exc.TimeoutError,
                ConnectionError)
#: The same by name, for reasons recorded without the flag (their error line starts with it).
OUTAGE_NAMES = frozenset({"ConnectionError", "TimeoutError", "BusyLoadingError", "OperationalError", "InterfaceError",
                          "DisconnectionError", "IndexLost", "StoreUnavailable", "RedisUnavailable",
                          "ConnectionClosed", "ConnectionRefusedError", "ConnectionResetError"})


def is_outage(exception: BaseException | None) -> bool:
    """Whether ``exception`` (or what caused it) is a dependency being away."""
    seen = 0
    while exception is not None and seen < 10:
        if isinstance(exception, OUTAGE_TYPES) or getattr(exception, "outage", False):
            return True
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return False


def outage_error(error: str | None) -> bool:
    """Whether a recorded error line (``Type: message``) names an outage type."""
    if not error:
        return False
    name = error.split(":", 1)[0].strip().rsplit(".", 1)[-1]
    return name in OUTAGE_NAMES


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
            outage = is_outage(exception) if exception is not None else outage_error(error)
            record_reason(self.client, self.namespace, options["redis_message_id"], tb, error, outage=outage)
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
                  error: str | None, *, now: float | None = None, outage: bool | None = None) -> None:
    now = time.time() if now is None else now
    key = reasons_key(namespace)
    error = error or error_line(traceback_text) or "unknown error"
    payload = {"error": error, "traceback": traceback_text, "at": now,
               "outage": outage_error(error) if outage is None else bool(outage)}
    pipe = client.pipeline(transaction=False)
    pipe.hset(key, redis_message_id, json.dumps(payload))
    pipe.expire(key, REASON_TTL_S)
    if payload["outage"]:
        pipe.sadd(outage_letters_key(namespace), redis_message_id)
        pipe.expire(outage_letters_key(namespace), REASON_TTL_S)
    pipe.execute()


# KEYS: 1 XQ zset, 2 XQ.msgs hash, 3 queue .msgs hash, 4 queue list, 5 reasons hash, 6 outage set
# ARGV: 1 old redis message id, 2 new redis message id, 3 new message data
_REQUEUE = """
if redis.call('zrem', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('hdel', KEYS[2], ARGV[1])
redis.call('hdel', KEYS[5], ARGV[1])
redis.call('srem', KEYS[6], ARGV[1])
redis.call('hset', KEYS[3], ARGV[2], ARGV[3])
redis.call('rpush', KEYS[4], ARGV[2])
return 1
"""


def requeue(client: Redis, namespace: str, queue: str, redis_message_id: str, raw: bytes | str,
            *, now: float | None = None) -> bool:
    """Put one dead letter (``raw``: the message as dramatiq stored it) back on its queue,
    atomically, with its retries reset, a new redis message id and a fresh timestamp;
    False if another requeue or purge took it first. ``corpus dlq requeue`` and the
    janitor's automatic retry both come here."""
    base = f"{broker_namespace(namespace)}:{queue}"
    message = json.loads(raw)
    options = dict(message.get("options") or {})
    for key in ("retries", "traceback", "requeue_timestamp", "eta", "redis_message_id"):
        options.pop(key, None)
    options["retries"] = 0
    options["corpus_requeued"] = int((message.get("options") or {}).get("corpus_requeued", 0)) + 1
    new_id = str(uuid.uuid4())
    options["redis_message_id"] = new_id
    message["options"] = options
    target = message.get("queue_name") or queue
    if target.endswith(".DQ"):
        target = target[:-3]
    message["queue_name"] = target
    message["message_timestamp"] = int((time.time() if now is None else now) * 1000)
    target_base = f"{broker_namespace(namespace)}:{target}"
    script = client.register_script(_REQUEUE)
    moved = script(
        keys=[f"{base}.XQ", f"{base}.XQ.msgs", f"{target_base}.msgs", target_base, reasons_key(namespace),
              outage_letters_key(namespace)],
        args=[redis_message_id, new_id, json.dumps(message, separators=(",", ":"))],
    )
    return bool(moved)
