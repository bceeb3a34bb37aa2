"""The Prometheus view of corpus: what ``/metrics`` exports, read fresh at every scrape
from the counters the workers keep in Redis, the queue and the store."""

from __future__ import annotations

import logging
import time

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from models.articles import counts, duplicates_by_kind, live_article_count
from models.db import read_scope
from models.events import event_count
from workers.keys import QUEUE, broker_namespace
from workers.ops import metrics
from workers.ops.status import Unreachable, guarded, index_report, read_inbox
from workers.queue.registry import alive_workers, stale_workers
from workers.queue.stats import queue_stats

log = logging.getLogger("corpus.serve")


class CorpusCollector:
    """Exports the fleet's figures on each scrape: live queue and store state read now, and
    the counters and histograms workers keep in Redis (``workers.metrics``)."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def describe(self):
        return []

    def collect(self):
        rt = self.runtime
        ns = rt.settings.namespace
        redis_up = GaugeMetricFamily("corpus_up", "Whether the monitor can reach the component (1) or not (0).",
                                     labels=["component"])
        families = []
        parts = (("redis", lambda: self._redis_families(rt.redis, ns)), ("index", self._index_families),
                 ("store", self._store_families))
        for component, read in parts:  # one component down still exports the others
            try:
                families.extend(guarded(rt, read))
                redis_up.add_metric([component], 1)
            except Unreachable as exc:
                log.warning("metrics: %s", exc)
                redis_up.add_metric([component], 0)
        yield redis_up
        yield from families

    def _redis_families(self, client, ns):
        settings = self.runtime.settings
        now = time.time()
        q = queue_stats(client, broker_namespace(settings.namespace), QUEUE, now=now)
        depth = GaugeMetricFamily("corpus_queue_messages", "Messages in the queue by state (dead letters apart).",
                                  labels=["queue", "state"])
        for state in ("ready", "delayed", "in_flight"):
            depth.add_metric([QUEUE, state], q[state])
        dead = GaugeMetricFamily("corpus_queue_dead_letters", "Dead-lettered messages kept for the queue.",
                                 labels=["queue"])
        dead.add_metric([QUEUE], q["dead"])
        oldest = GaugeMetricFamily("corpus_queue_oldest_message_age_seconds",
                                   "Age of the oldest ready message (0 when none is waiting).", labels=["queue"])
        oldest.add_metric([QUEUE], q["oldest_age_s"])
        workers = GaugeMetricFamily("corpus_workers_alive", "Worker processes whose heartbeat is fresh.")
        workers.add_metric([], len(alive_workers(client, ns, now=now)))
        stale = GaugeMetricFamily("corpus_workers_stale",
                                  "Worker processes that stopped beating without leaving (last five minutes).")
        stale.add_metric([], len(stale_workers(client, ns, now=now)))

        totals = metrics.totals(client, ns)
        processed = CounterMetricFamily("corpus_documents_processed", "Documents finished by the workers, by outcome.",
                                        labels=["outcome"])
        for outcome, n in totals["outcomes"].items():
            processed.add_metric([outcome], n)
        errors = CounterMetricFamily("corpus_message_errors",
                                     "Actor attempts that raised (each retry counts; transient errors).")
        errors.add_metric([], totals["events"]["message_errors"])
        dead_lettered = CounterMetricFamily("corpus_messages_dead_lettered",
                                            "Messages moved to the dead-letter queue after their last retry.")
        dead_lettered.add_metric([], totals["events"]["dead_lettered"])
        requeued = CounterMetricFamily("corpus_dead_letters_requeued", "Dead letters put back on their queue.")
        requeued.add_metric([], totals["events"]["requeued"])
        repairs = CounterMetricFamily("corpus_repairs",
                                      "What the workers' janitor mended by itself: index_rebuilds, stranded_requeued "
                                      "(documents the queue lost), dead_letters_retried (outage dead letters).",
                                      labels=["kind"])
        for kind in ("index_rebuilds", "stranded_requeued", "dead_letters_retried"):
            repairs.add_metric([kind], totals["events"][kind])
        stages = HistogramMetricFamily("corpus_stage_duration_seconds",
                                       "Time a document spent in each pipeline stage (total: all stages).",
                                       labels=["stage"])
        bounds = metrics.bucket_bounds()
        for stage, h in totals["stages"].items():
            buckets = [("+Inf" if b == float("inf") else repr(float(b)), c) for b, c in zip(bounds, h["buckets"])]
            stages.add_metric([stage], buckets, h["sum"])
        out = [depth, dead, oldest, workers, stale, processed, errors, dead_lettered, requeued, repairs, stages]

        inbox = read_inbox(client, ns, now=now)
        if inbox:
            backlog = GaugeMetricFamily("corpus_inbox_backlog_files", "Files waiting in the watched inbox.")
            backlog.add_metric([], inbox["backlog"])
            processing = GaugeMetricFamily("corpus_inbox_processing_files", "Inbox files claimed and in processing.")
            processing.add_metric([], inbox["processing"])
            out += [backlog, processing]
        return out

    def _index_families(self):
        report = index_report(self.runtime)
        records = GaugeMetricFamily("corpus_index_records", "Documents in the duplicate index.")
        records.add_metric([], report["records"])
        keys = GaugeMetricFamily("corpus_index_keys",
                                 "Keys on each master of the index's Redis (the index's own when it has its own).",
                                 labels=["node"])
        memory = GaugeMetricFamily("corpus_index_memory_bytes", "used_memory of each master of the index's Redis.",
                                   labels=["node"])
        for node in report["nodes"]:
            keys.add_metric([node["node"]], node["keys"])
            memory.add_metric([node["node"]], node["used_memory"])
        return [records, keys, memory]

    def _store_families(self):
        with read_scope(self.runtime.engine) as session:
            documents = counts(session)
            duplicates = duplicates_by_kind(session)
            articles = live_article_count(session)
            events = event_count(session)
        documents["pending"] = max(0, documents["total"] - documents["canonical"] - documents["duplicate"]
                                   - documents["failed"])
        docs = GaugeMetricFamily("corpus_store_documents", "Documents in the store by ledger status.",
                                 labels=["status"])
        for status in ("pending", "canonical", "duplicate", "failed"):
            docs.add_metric([status], documents[status])
        arts = GaugeMetricFamily("corpus_store_articles", "Canonical articles (stories) in the store.")
        arts.add_metric([], articles)
        dups = GaugeMetricFamily("corpus_store_duplicates", "Duplicate documents in the store by kind.",
                                 labels=["kind"])
        for kind, n in sorted(duplicates.items()):
            dups.add_metric([kind], n)
        evs = GaugeMetricFamily("corpus_store_events",
                                "Events (same-happening clusters of canonical articles) in the store, by size.",
                                labels=["size"])
        evs.add_metric(["1"], events["events"] - events["multi_article"])
        evs.add_metric(["2+"], events["multi_article"])
        return [docs, arts, dups, evs]


# ------------------------------------------------------------------- dashboard data
