"""dramatiq actors: thin glue from a message (a batch of document ids) to ``pipeline.process``.

Importing this module sets up the broker from the environment; ``corpus worker`` runs
dramatiq on it. Deterministic failures never raise (the pipeline records them); what does
raise is transient (Redis or the database away) and is retried with backoff. Senders do not
import this module: they build the message by name (``workers.queue.messages``).
"""

from __future__ import annotations

import dramatiq

from workers import pipeline
from workers.keys import ACTOR, QUEUE
from workers.queue.counters import record_outcome
from workers.runtime import runtime

broker = runtime().broker


@dramatiq.actor(actor_name=ACTOR, queue_name=QUEUE, max_retries=runtime().settings.max_retries, time_limit=10 * 60 * 1000)
def process_documents(document_ids: list[int]) -> None:
    rt = runtime()
    outcome = pipeline.process(rt, document_ids)
    record_outcome(rt.redis, rt.settings.namespace, outcome.statuses, outcome.stage_seconds)
