"""dramatiq actors: thin glue from a message (a document id) to ``pipeline.process``.

Importing this module sets up the broker from the environment; ``corpus worker`` runs
dramatiq on it. Deterministic failures never raise (the pipeline records them); what does
raise is transient (Redis or the database away) and is retried with backoff.
"""

from __future__ import annotations

import dramatiq

from workers import metrics, pipeline
from workers.broker import QUEUE
from workers.runtime import runtime

broker = runtime().broker


@dramatiq.actor(queue_name=QUEUE, max_retries=8, time_limit=10 * 60 * 1000)
def process_document(document_id: int) -> None:
    outcome = pipeline.process(runtime(), document_id)
    metrics.record_outcome(runtime(), outcome)
