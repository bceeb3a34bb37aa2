"""corpus serve: /metrics, probes, the JSON API and its access rules, against a real worker."""

from __future__ import annotations

import json
import math
from urllib.parse import quote
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import servers
from tests.conftest import SEEDS, CorpusEnv
from tests.support.ops import Proc, get, get_json, request, start_monitor, start_worker
from tests.support.ops import cli as run_cli

TOKEN = "test-token-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def running(redis_server, tmp_path_factory):
    """One corpus (SQLite) with a worker and the monitor, seeds and one unusable page ingested."""
    root = tmp_path_factory.mktemp("serve")
    env = CorpusEnv(data_dir=root / "data", redis_url=redis_server.url, database_url=None,
                    namespace=f"test-{uuid.uuid4().hex[:10]}", extra={"CORPUS_API_TOKEN": TOKEN})
    logs = root / "logs"
    logs.mkdir()
    procs: list[Proc] = []
    try:
        procs.append(start_worker(env, logs))
        monitor, base = start_monitor(env, logs)
        procs.append(monitor)
        empty = root / "inputs" / "empty.html"
        empty.parent.mkdir()
        empty.write_text("<html><head><title>x</title></head><body><nav>Home</nav></body></html>")
        result = env.run("ingest", str(SEEDS), str(empty))
        assert result.returncode == 0, result.stderr
        servers.wait_until(lambda: get_json(base + "/api/status")[1]["documents"]["pending"] == 0, 120,
                           interval=0.3, message="the worker to settle every document")
        # The worker counts a batch's outcomes once the batch is done, events assigned.
        import redis

        from workers.queue.counters import settled_total

        client = redis.Redis.from_url(redis_server.url)
        servers.wait_until(lambda: settled_total(client, env.namespace) >= 6, 60, interval=0.3,
                           message="the worker to count every outcome")
        client.close()
        yield env, base
    finally:
        for proc in reversed(procs):
            proc.stop()
        from workers import runtime

        runtime.reset()
        servers.delete_namespace(redis_server.url, env.namespace)


def test_probes(running):
    _, base = running
    assert get_json(base + "/healthz") == (200, {"status": "ok"})
    status, ready = get_json(base + "/readyz")
    assert status == 200 and ready["ready"] is True
    assert ready["checks"] == {"redis": True, "workers": 1, "store": True}


def test_metrics_parse_as_prometheus_text_with_the_fleet_figures(running):
    _, base = running
    status, headers, body = request(base + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert families and all(name.startswith("corpus_") for name in families)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}

    assert families["corpus_documents_processed"].type == "counter"
    processed = {dict(k[1])["outcome"]: v for k, v in samples.items() if k[0] == "corpus_documents_processed_total"}
    assert processed["failed"] == 1 and processed["canonical"] + processed["duplicate"] == 5
    assert samples[("corpus_workers_alive", ())] == 1
    assert samples[("corpus_store_documents", (("status", "pending"),))] == 0
    assert samples[("corpus_store_documents", (("status", "failed"),))] == 1
    assert samples[("corpus_store_articles", ())] == processed["canonical"]
    for state in ("ready", "delayed", "in_flight"):
        assert ("corpus_queue_messages", (("queue", "documents"), ("state", state))) in samples
    assert samples[("corpus_queue_dead_letters", (("queue", "documents"),))] == 0
    assert samples[("corpus_queue_oldest_message_age_seconds", (("queue", "documents"),))] >= 0
    assert samples[("corpus_up", (("component", "redis"),))] == 1

    hist = families["corpus_stage_duration_seconds"]
    assert hist.type == "histogram"
    stages = {s.labels["stage"] for s in hist.samples}
    assert {"read", "clean", "total"} <= stages
    for stage in stages:
        rows = [s for s in hist.samples if s.labels["stage"] == stage]
        buckets = [s for s in rows if s.name.endswith("_bucket")]
        values = [s.value for s in buckets]
        assert values == sorted(values) and float(buckets[-1].labels["le"]) == math.inf
        count = next(s.value for s in rows if s.name.endswith("_count"))
        assert buckets[-1].value == count and count >= 1
        assert next(s.value for s in rows if s.name.endswith("_sum")) >= 0
    total = [s for s in hist.samples if s.labels["stage"] == "total" and s.name.endswith("_count")]
    assert total[0].value == 6  # every settled document observed once


def test_api_status_is_the_cli_report(running, monkeypatch):
    env, base = running
    status, api = get_json(base + "/api/status")
    cli = json.loads(run_cli(env, monkeypatch, "status", "--json").stdout)
    assert status == 200
    assert set(api) == set(cli)
    assert api["documents"] == cli["documents"] and api["queues"].keys() == cli["queues"].keys()
    assert api["health"] == "healthy"


def test_failures_articles_history(running):
    _, base = running
    _, failures = get_json(base + "/api/failures")
    [failure] = failures["failures"]
    assert failure["source"].endswith("empty.html") and failure["error"]
    _, articles = get_json(base + "/api/articles")
    assert articles["articles"] and all("duplicates" in a for a in articles["articles"])
    title = next(a["title"] for a in articles["articles"] if a["title"])
    word = max(title.split(), key=len)
    _, found = get_json(base + "/api/articles?q=" + quote(word))
    assert found["articles"] and all(word.lower() in (a["title"] or "").lower() for a in found["articles"])
    _, none = get_json(base + "/api/articles?q=%25zz_no_such_title")
    assert none["articles"] == []
    _, history = get_json(base + "/api/history")
    assert len(history["minutes"]) == 60
    assert sum(m["canonical"] + m["duplicate"] + m["failed"] for m in history["minutes"]) == 6
    assert history["minutes"][-1]["ready"] is not None  # sampled this minute
    _, dlq = get_json(base + "/api/dlq")
    assert dlq == {"count": 0, "dead_letters": []}


def test_dashboard_is_served_with_a_strict_policy(running):
    _, base = running
    status, headers, body = request(base + "/")
    assert status == 200 and b"corpus" in body and b"/static/app.js" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for path in ("/static/app.js", "/static/app.css", "/favicon.svg"):
        assert get(base + path)[0] == 200
    assert get(base + "/nope")[0] == 404


def test_posts_need_the_token(running):
    _, base = running
    url = base + "/api/dlq/0000/requeue"
    assert request(url, method="POST")[0] == 401
    assert request(url, method="POST", headers={"Authorization": "Bearer wrong"})[0] == 401
    assert request(url, method="POST", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 404
    status, headers, _ = request(base + f"/?token={TOKEN}")
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    assert request(url, method="POST", headers={"Cookie": cookie})[0] == 404
    assert request(url, method="POST", headers={"Cookie": cookie, "Origin": "http://evil.example"})[0] == 401
    assert request(base + "/?token=wrong")[0] == 401


def test_serve_refuses_a_public_address_without_a_token(sqlite_corpus):
    result = sqlite_corpus.run("serve", "--host", "0.0.0.0", "--port", str(servers.free_port()), timeout=60)
    assert result.returncode == 2
    assert "CORPUS_API_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_is_loopback():
    from ingest.monitor.server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3") and not is_loopback("::")


def test_unreachable_redis_is_reported_not_crashed(sqlite_corpus, tmp_path):
    env = sqlite_corpus
    server = servers.start_redis()
    env.redis_url = server.url
    monitor = None
    try:
        monitor, base = start_monitor(env, tmp_path)
        assert get_json(base + "/api/status")[0] == 200
        server.stop()
        status, report = get_json(base + "/api/status")
        assert status == 503 and report["health"] == "unreachable"
        assert "CORPUS_REDIS_URL" in report["problems"][0]
        status, ready = get_json(base + "/readyz")
        assert status == 503 and ready["checks"]["redis"] is False and ready["checks"]["store"] is True
        status, body = get(base + "/metrics")
        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
        up = {s.labels["component"]: s.value for s in families["corpus_up"].samples}
        assert status == 200 and up == {"redis": 0, "index": 0, "store": 1}  # the index lives on the same Redis here
        assert get_json(base + "/healthz")[0] == 200
    finally:
        if monitor:
            monitor.stop()
        server.stop()




def test_article_lookup_by_source_with_its_evidence(running):
    _, base = running
    auth = {"Authorization": f"Bearer {TOKEN}"}
    seed = sorted(SEEDS.iterdir())[0]
    status, article = get_json(base + "/api/article?ref=" + quote(str(seed)), headers=auth)
    assert status == 200 and article["source"] == str(seed) and article["copies"] == []
    status, again = get_json(base + f"/api/article?ref={article['id']}", headers=auth)
    assert status == 200 and again["id"] == article["id"]
    assert get_json(base + "/api/article?ref=" + quote("https://nowhere.example/"), headers=auth)[0] == 404
    assert get_json(base + "/api/article?ref=", headers=auth)[0] == 404


def test_events_endpoint_lists_the_largest_recent_events_and_metrics_count_them(running, monkeypatch):
    env, base = running
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, listed = get_json(base + "/api/events?hours=0&min_size=1&limit=200", headers=auth)
    assert status == 200 and listed["events"]
    cli = [json.loads(line) for line in run_cli(env, monkeypatch, "events", "--json").stdout.splitlines()]
    assert listed["events"] == cli  # the same events as `corpus events --json`, in its order
    sizes = [e["size"] for e in listed["events"]]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    _, recent = get_json(base + "/api/events", headers=auth)  # the dashboard's: last 72 h, 2+ stories
    assert recent["hours"] == 72 and recent["events"] == [e for e in listed["events"] if e["size"] >= 2][:10]
    _, body = get(base + "/metrics")
    counted = {s.labels["size"]: s.value for f in text_string_to_metric_families(body.decode())
               if f.name == "corpus_store_events" for s in f.samples}
    assert counted == {"1": sizes.count(1), "2+": len(sizes) - sizes.count(1)}
