"""dramatiq actors: thin glue from a message (a batch of document ids) to ``pipeline.process``.

Importing this module sets up the broker from the environment; ``corpus worker`` runs
dramatiq on it. Deterministic failures never raise (the pipeline records them); what does
raise is transient (Redis or the database away) and is retried with backoff.
"""

from __future__ import annotations

from collections.abc import Iterable

import dramatiq

from workers.broker import QUEUE
from workers.runtime import runtime

broker = runtime().broker

@dramatiq.actor(queue_name=QUEUE, max_retries=8, time_limit=10 * 60 * 1000)
def process_documents(document_ids: list[int]) -> None:
    # Imported here, not at the top: producers (``corpus ingest``, the API, the watcher) import
    # this module only to send, and the pipeline pulls in trafilatura, the cleaning rules and
    # datasketch (which imports scipy): ~1 s of CPU on every ``corpus ingest``. Worker processes
    # import it at boot (``corpus worker`` names it to dramatiq), so no message waits for it.
    from workers import metrics, pipeline

    outcome = pipeline.process(runtime(), document_ids)
    metrics.record_outcome(runtime(), outcome)


def enqueue(document_ids: Iterable[int], *, rt=None) -> None:
    """Send ids to the workers in the order given, ``CORPUS_BATCH_SIZE`` per message:
    enough to share transactions, few enough to spread over the workers.

    Sent on the broker of ``rt`` (default: this process's runtime), not the one the actor
    was declared with, so a process that changes its configuration sends to the right place."""
    rt = rt or runtime()
    ids = list(document_ids)
    size = rt.settings.batch_size
    for start in range(0, len(ids), size):
        rt.broker.enqueue(process_documents.message(ids[start : start + size]))
