"""What workers record in Redis (``workers.queue.counters``), how it is read back
(``workers.ops.metrics``) and the Prometheus export of it."""

from __future__ import annotations

import math

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from workers.ops import metrics
from workers.keys import minute_key
from workers.queue import counters


@pytest.fixture
def client(sqlite_corpus):
    return redis.Redis.from_url(sqlite_corpus.redis_url)


def test_bucket_index_puts_a_value_in_the_first_bucket_that_holds_it():
    assert counters.bucket_index(0.0) == 0
    assert counters.bucket_index(0.001) == 0
    assert counters.bucket_index(0.0011) == 1
    assert counters.bucket_index(60.0) == len(counters.BUCKETS) - 1
    assert counters.bucket_index(61.0) == len(counters.BUCKETS)


def test_totals_give_cumulative_histograms_per_stage(client, sqlite_corpus):
    ns = sqlite_corpus.namespace
    counters.record_batch(client, ns, ["canonical"], {"clean": 0.02, "link": 0.004})
    counters.record_batch(client, ns, ["duplicate"], {"clean": 3.0, "link": 0.004})
    counters.record_batch(client, ns, ["failed"], {"clean": 120.0})
    totals = metrics.totals(client, ns)
    assert totals["outcomes"] == {"canonical": 1, "duplicate": 1, "failed": 1}
    clean = totals["stages"]["clean"]
    assert clean["count"] == 3
    assert clean["sum"] == pytest.approx(123.02)
    assert clean["buckets"][-1] == 3  # +Inf holds every observation
    assert clean["buckets"] == sorted(clean["buckets"])  # cumulative
    assert clean["buckets"][counters.BUCKETS.index(0.025)] == 1
    assert clean["buckets"][counters.BUCKETS.index(5.0)] == 2
    assert totals["stages"]["total"]["count"] == 3
    assert "read" not in totals["stages"]


def test_throughput_is_a_sliding_window_over_minute_buckets(client, sqlite_corpus):
    ns = sqlite_corpus.namespace
    now = 1_800_000_030.0  # 30 s into a minute
    for _ in range(6):
        counters.record_batch(client, ns, ["canonical"], {"clean": 0.1}, now=now - 60)  # the previous minute
    for _ in range(3):
        counters.record_batch(client, ns, ["failed"], {"clean": 0.1}, now=now)
    counters.record_batch(client, ns, ["duplicate"], {"clean": 0.1}, now=now - 600)
    flow = metrics.throughput(client, ns, now=now)
    # last minute: this minute's 3 + half of the previous minute's 6
    assert flow["1m"] == {"per_minute": 6.0, "canonical": 3.0, "duplicate": 0.0, "failed": 3.0}
    assert flow["5m"]["canonical"] == 6 and flow["5m"]["duplicate"] == 0
    assert flow["15m"]["duplicate"] == 1 and flow["15m"]["per_minute"] == pytest.approx(10 / 15, abs=0.01)


def test_a_batch_outcome_counts_each_settled_document_once(sqlite_corpus, monkeypatch):
    from workers.pipeline import Outcome
    from workers.runtime import runtime

    sqlite_corpus.activate(monkeypatch)
    rt = runtime()
    ns = sqlite_corpus.namespace
    redelivery = Outcome()  # nothing settled
    counters.record_outcome(rt.redis, ns, redelivery.statuses, redelivery.stage_seconds)
    batch = Outcome(statuses={1: "canonical", 2: "duplicate", 3: "canonical", 4: "pending"},
                    stage_seconds={"read": 0.004, "clean": 0.4})
    counters.record_outcome(rt.redis, ns, batch.statuses, batch.stage_seconds)
    totals = metrics.totals(rt.redis, sqlite_corpus.namespace)
    assert totals["outcomes"] == {"canonical": 2, "duplicate": 1, "failed": 0}
    clean = totals["stages"]["clean"]
    assert clean["count"] == 4 and clean["sum"] == pytest.approx(0.4)
    assert clean["buckets"][counters.bucket_index(0.1)] == 4  # each document's share: 0.1 s


def test_history_has_one_row_per_minute_with_depth_and_outcomes(client, sqlite_corpus):
    ns = sqlite_corpus.namespace
    now = 1_800_000_000.0
    counters.sample_depth(client, ns, {"ready": 4, "delayed": 1, "in_flight": 0, "dead": 0}, now=now - 120)
    counters.sample_depth(client, ns, {"ready": 1, "delayed": 0, "in_flight": 2, "dead": 0}, now=now - 110)
    counters.record_batch(client, ns, ["canonical"], {"clean": 0.1}, now=now)
    rows = metrics.history(client, ns, minutes=60, now=now)
    assert len(rows) == 60 and rows[-1]["t"] == int(now // 60) * 60
    assert rows[-3]["ready"] == 4 and rows[-3]["in_flight"] == 2  # the minute's peaks
    assert rows[-1]["ready"] is None and rows[-1]["canonical"] == 1
    assert client.ttl(minute_key(ns, int(now // 60))) > 3600


def test_collector_exports_corpus_metrics_in_prometheus_text(sqlite_corpus, monkeypatch):
    from prometheus_client.exposition import generate_latest
    from prometheus_client.registry import CollectorRegistry

    from ingest.monitor.collector import CorpusCollector
    from workers.runtime import runtime

    sqlite_corpus.activate(monkeypatch)
    rt = runtime()
    counters.record_batch(rt.redis, sqlite_corpus.namespace, ["canonical"], {"clean": 0.02, "index": 0.001})
    counters.count_event(rt.redis, sqlite_corpus.namespace, "dead_lettered")
    rt.redis.hset(f"{sqlite_corpus.namespace}:inbox", mapping={"path": "/in", "backlog": 3, "processing": 1,
                                                               "updated": __import__("time").time()})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CorpusCollector(rt))
    text = generate_latest(registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert all(name.startswith("corpus_") for name in families)
    assert families["corpus_documents_processed"].type == "counter"
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("corpus_documents_processed_total", (("outcome", "canonical"),))] == 1
    assert samples[("corpus_messages_dead_lettered_total", ())] == 1
    assert samples[("corpus_up", (("component", "redis"),))] == 1
    assert samples[("corpus_up", (("component", "store"),))] == 1
    assert samples[("corpus_queue_messages", (("queue", "documents"), ("state", "ready")))] == 0
    assert samples[("corpus_inbox_backlog_files", ())] == 3
    hist = families["corpus_stage_duration_seconds"]
    assert hist.type == "histogram"
    clean = [s for s in hist.samples if s.labels.get("stage") == "clean"]
    buckets = [s for s in clean if s.name.endswith("_bucket")]
    assert [float(s.labels["le"]) for s in buckets][-1] == math.inf
    assert buckets[-1].value == 1
    assert next(s.value for s in clean if s.name.endswith("_sum")) == pytest.approx(0.02)
