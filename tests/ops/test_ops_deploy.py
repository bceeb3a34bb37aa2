"""deploy/: the Prometheus alert rules and the Grafana dashboard use the metric names the
monitor exports, and are well-formed."""

from __future__ import annotations

import json
import re
import time

import pytest
import yaml
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from tests.conftest import ROOT

ALERTS = ROOT / "deploy" / "prometheus" / "corpus-alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "corpus-dashboard.json"
NAME = re.compile(r"\bcorpus_[a-z_]+\b")


@pytest.fixture
def exported(sqlite_corpus, monkeypatch) -> set[str]:
    """Every sample name the monitor exports once each kind of figure exists."""
    from ingest.monitor.collector import CorpusCollector
    from workers.queue.counters import record_batch
    from workers.runtime import runtime

    sqlite_corpus.activate(monkeypatch)
    rt = runtime()
    ns = sqlite_corpus.namespace
    record_batch(rt.redis, ns, ["canonical"], {"clean": 0.1})
    rt.redis.hset(f"{ns}:inbox", mapping={"path": "/in", "backlog": 1, "processing": 0, "updated": time.time()})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CorpusCollector(rt))
    families = list(text_string_to_metric_families(generate_latest(registry).decode()))
    gauges = {family.name for family in families if family.type == "gauge"}  # some have no sample yet
    return gauges | {sample.name for family in families for sample in family.samples}


def test_alert_rules_are_well_formed_and_use_exported_metrics(exported):
    rules = yaml.safe_load(ALERTS.read_text())["groups"][0]["rules"]
    names = {rule["alert"] for rule in rules}
    assert {"CorpusNoWorkers", "CorpusDeadLettersRising", "CorpusOldestMessageTooOld",
            "CorpusDocumentFailureRatioHigh"} <= names
    assert len(names) == len(rules)
    for rule in rules:
        assert rule["expr"].strip() and rule["labels"]["severity"] in ("critical", "warning")
        assert rule["annotations"]["summary"]
        used = set(NAME.findall(rule["expr"]))
        assert used <= exported, f"{rule['alert']} uses unknown metrics {used - exported}"
    no_workers = next(r for r in rules if r["alert"] == "CorpusNoWorkers")
    assert no_workers["for"] == "2m" and "corpus_workers_alive" in no_workers["expr"]


def test_grafana_dashboard_uses_exported_metrics(exported):
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["panels"]
    used: set[str] = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used |= set(NAME.findall(target["expr"]))
    assert used <= exported, f"unknown metrics {used - exported}"
    assert {"corpus_queue_messages", "corpus_documents_processed_total", "corpus_stage_duration_seconds_bucket",
            "corpus_workers_alive", "corpus_queue_dead_letters"} <= used
