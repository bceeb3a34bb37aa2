"""Every name corpus uses in Redis, in one place.

Each key lives under the configured namespace (``CORPUS_NAMESPACE``), so that several
corpora share one Redis without seeing each other. The queue, the index, the operations
tools and the front doors all build their key names here, and nowhere else, so a reader
can see the whole Redis layout at once:

``<ns>:dq:...``              dramatiq's own keys (its broker namespace): the queue, its delay
                             queue (``.DQ``), dead letters (``.XQ``), acks, heartbeats
``<ns>:workers``             live worker processes (zset: member JSON -> last beat)
``<ns>:lsh:...``             the duplicate index (``workers.index``)
``<ns>:metrics:...``         counters and the per-minute history (``workers.queue.counters``)
``<ns>:dlq:reasons``         why each dead letter died
``<ns>:dlq:outage``          the dead letters that died of an outage
``<ns>:inbox``               the watched inbox's backlog
``<ns>:janitor:...``         the self-repair's lock, its fleet-wide timer, its pass over the queue
                             and its last repair
``<ns>:site:<site>:...``     a site's chrome learned online (``workers.sites.SiteStream``)
"""

from __future__ import annotations

#: The one queue documents travel on, and the actor that takes them.
QUEUE = "documents"
ACTOR = "process_documents"


def broker_namespace(namespace: str) -> str:
    """dramatiq's key prefix: its keys never collide with ours."""
    return f"{namespace}:dq"


def queue_names() -> list[str]:
    """The queue and its delay queue: what a dead worker may hold messages of."""
    return [QUEUE, f"{QUEUE}.DQ"]


def registry_key(namespace: str) -> str:
    return f"{namespace}:workers"


def index_prefix(namespace: str) -> str:
    return f"{namespace}:lsh:"


def sampler_lock_key(namespace: str) -> str:
    return f"{namespace}:metrics:sampler"


def stage_key(namespace: str) -> str:
    return f"{namespace}:metrics:stage"


def outcomes_key(namespace: str) -> str:
    return f"{namespace}:metrics:outcomes"


def events_key(namespace: str) -> str:
    return f"{namespace}:metrics:events"


def minute_key(namespace: str, minute: int) -> str:
    return f"{namespace}:metrics:m:{minute}"


def reasons_key(namespace: str) -> str:
    return f"{namespace}:dlq:reasons"


def outage_letters_key(namespace: str) -> str:
    """The dead letters that died of an outage (a set of redis message ids): few, so that
    ``corpus status`` counts them without listing every dead letter."""
    return f"{namespace}:dlq:outage"


def inbox_key(namespace: str) -> str:
    return f"{namespace}:inbox"


def repair_lock_key(namespace: str) -> str:
    return f"{namespace}:janitor:lock"


def stranded_timer_key(namespace: str) -> str:
    return f"{namespace}:janitor:stranded"


def stranded_scan_key(namespace: str) -> str:
    """The stranded check's pass over the queued messages (hash: when it began, a cursor per
    message hash) and the documents it has found carried so far (``...:carried``, a set)."""
    return f"{namespace}:janitor:scan"


def last_repair_key(namespace: str) -> str:
    return f"{namespace}:janitor:last"
def site_stream_prefix(namespace: str, site: str) -> str:
    return f"{namespace}:site:{site}:"


def glob_escape(text: str) -> str:
    """``text`` as a literal inside a SCAN/KEYS pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
