"""The queue's messages: what they carry and how they are sent.

A message carries document ids only (``process_documents([ids])``); the raw bytes are in
the store, so any worker on any machine can take any message. Senders build the message
here, by actor name, so that sending needs neither the actor module nor the pipeline it
imports (trafilatura, datasketch: a second of CPU on every ``corpus ingest``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from dramatiq import Broker, Message

from workers.keys import ACTOR, QUEUE


def message(document_ids: list[int]) -> Message:
    return Message(queue_name=QUEUE, actor_name=ACTOR, args=(list(document_ids),), kwargs={}, options={})


def enqueue(broker: Broker, document_ids: Iterable[int], *, batch_size: int) -> int:
    """Send ids in the order given, ``batch_size`` per message (``CORPUS_BATCH_SIZE``): enough
    to share transactions, few enough to spread over the workers. Returns messages sent."""
    ids = list(document_ids)
    sent = 0
    for start in range(0, len(ids), batch_size):
        broker.enqueue(message(ids[start : start + batch_size]))
        sent += 1
    return sent


def document_ids(args) -> list[int]:
    """The document ids a message's ``args`` carry (a list of ids), or the one id of a
    message of the older one-document actor."""
    if not args:
        return []
    first = args[0]
    if isinstance(first, list):
        return [int(i) for i in first if isinstance(i, int) and not isinstance(i, bool)]
    if isinstance(first, int) and not isinstance(first, bool):
        return [first]
    return []


def encoded_document_ids(raw) -> list[int]:
    """The document ids of a message as dramatiq stores it in Redis (JSON)."""
    try:
        decoded = json.loads(raw)
    except (ValueError, TypeError):
        return []
    return document_ids(decoded.get("args") if isinstance(decoded, dict) else None)
