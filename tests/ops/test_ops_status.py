"""corpus status: the report, its JSON contract and its exit codes (0 healthy, 1 degraded,
2 unreachable) against real servers and a real worker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import redis

from tests.support import servers
from tests.conftest import ROOT, SEEDS
from tests.support.ops import cli, start_worker

CONTRACT = {"ready", "delayed", "in_flight", "dead", "oldest_age_s"}


def status(env, monkeypatch=None) -> tuple[int, dict]:
    """``corpus status --json``: in this process when given ``monkeypatch``, else as a
    subprocess (the exit code a container health probe sees)."""
    result = cli(env, monkeypatch, "status", "--json") if monkeypatch else env.run("status", "--json")
    return result.returncode, json.loads(result.stdout)


def test_empty_corpus_is_healthy_and_keeps_the_json_contract(corpus, monkeypatch):
    code, report = status(corpus, monkeypatch)
    assert code == 0, report
    assert set(report["queues"]["documents"]) >= CONTRACT
    assert report["workers"]["alive"] == 0
    assert set(report["documents"]) >= {"total", "canonical", "duplicate", "failed", "pending"}
    assert set(report["throughput"]) == {"1m", "5m", "15m"}
    assert report["health"] == "healthy" and report["problems"] == [] and report["inbox"] is None


def test_pending_work_with_no_worker_is_degraded(corpus, monkeypatch):
    ingested = corpus.run("ingest", str(SEEDS))
    assert ingested.returncode == 0, ingested.stderr
    code, report = status(corpus, monkeypatch)
    assert code == 1
    docs = report["documents"]
    assert docs["pending"] == docs["total"] - docs["canonical"] - docs["duplicate"] - docs["failed"] == 5
    assert report["queues"]["documents"]["ready"] >= 1  # batches of ids
    assert report["queues"]["documents"]["oldest_age_s"] >= 0
    assert any("no worker alive" in p for p in report["problems"])
    text = cli(corpus, monkeypatch, "status")
    assert text.returncode == 1 and "degraded" in text.stdout and "no worker alive" in text.stdout
    assert "(one Redis)" in text.stdout and report["index"]["cluster"] is False  # the index in the queue's Redis


def test_a_finished_run_is_healthy_and_a_stopped_worker_with_new_work_is_degraded(sqlite_corpus, tmp_path,
                                                                                 monkeypatch):
    env = sqlite_corpus
    worker = start_worker(env, tmp_path)
    try:
        code, report = status(env, monkeypatch)
        assert code == 0 and report["workers"]["alive"] == 1
        assert report["workers"]["processes"][0]["age_s"] < 10
        done = env.run("ingest", str(SEEDS), "--wait", "--timeout", "120")
        assert done.returncode == 0, done.stderr
        assert "starting" not in done.stderr  # the running worker did the work
        code, report = status(env, monkeypatch)
        assert code == 0, report["problems"]
        assert report["documents"]["pending"] == 0 and report["documents"]["canonical"] >= 1
        assert report["throughput"]["1m"]["per_minute"] > 0
        assert report["articles"] == report["documents"]["canonical"]
    finally:
        assert worker.stop() is not None
    # A clean stop leaves no stale worker: a finished run with nothing pending is healthy.
    result = env.run("status")
    assert result.returncode == 0, result.stdout
    assert "workers alive: 0" in result.stdout and "healthy" in result.stdout
    extra = tmp_path / "later.txt"
    extra.write_text("A later story arrives after the workers have gone home for the night, and waits.\n" * 5)
    assert env.run("ingest", str(extra)).returncode == 0
    code, report = status(env)  # the probe's view: pending work, no worker
    assert code == 1 and report["documents"]["pending"] == 1
    assert any("no worker alive" in p for p in report["problems"])


def test_a_worker_that_stopped_beating_is_stale_and_degraded(sqlite_corpus, monkeypatch):
    from workers.keys import registry_key

    env = sqlite_corpus
    client = redis.Redis.from_url(env.redis_url)
    member = json.dumps({"host": "gone", "pid": 4242, "id": "deadbeef", "threads": 2})
    client.zadd(registry_key(env.namespace), {member: time.time() - 40})
    code, report = status(env, monkeypatch)
    assert code == 1 and report["workers"]["alive"] == 0
    assert [w["pid"] for w in report["workers"]["stale"]] == [4242]
    assert any("stopped beating" in p for p in report["problems"])


def test_inbox_backlog_is_shown_when_fresh(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    client = redis.Redis.from_url(env.redis_url)
    key = f"{env.namespace}:inbox"
    client.hset(key, mapping={"path": "/srv/inbox", "backlog": 7, "processing": 2, "updated": time.time()})
    code, report = status(env, monkeypatch)
    assert report["inbox"]["path"] == "/srv/inbox" and report["inbox"]["backlog"] == 7
    assert code == 1 and any("7 file(s) in the inbox" in p for p in report["problems"])
    assert "/srv/inbox" in cli(env, monkeypatch, "status").stdout
    client.hset(key, "updated", time.time() - 3600)  # the watcher stopped publishing
    code, report = status(env, monkeypatch)
    assert code == 0 and report["inbox"] is None


def test_stopped_redis_is_unreachable_exit_2_with_one_masked_line(sqlite_corpus):
    env = sqlite_corpus
    server = servers.start_redis()
    try:
        env.redis_url = server.url
        assert status(env)[0] == 0
    finally:
        server.stop()
    env.redis_url = server.url.replace("redis://", "redis://:pa55word@")
    for args in (("status",), ("status", "--json")):
        result = env.run(*args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "CORPUS_REDIS_URL" in result.stderr
        assert "pa55word" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2  # one line (rich may wrap it once)
    assert json.loads(env.run("status", "--json").stdout)["health"] == "unreachable"


def test_unreachable_database_names_corpus_database_url(sqlite_corpus, monkeypatch):
    env = sqlite_corpus
    env.database_url = f"postgresql://corpus:hunter2@127.0.0.1:{servers.free_port()}/corpus"
    result = cli(env, monkeypatch, "status")
    assert result.returncode == 2
    assert "CORPUS_DATABASE_URL" in result.stderr and "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_watch_refreshes_until_interrupted(sqlite_corpus):
    env = sqlite_corpus
    for args, marker in ((("status", "--watch", "--interval", "0.2"), "health:"),
                         (("status", "--watch", "--json", "--interval", "0.2"), '"health"')):
        process = subprocess.Popen([sys.executable, "-m", "ingest.cli", *args], env={**env.env, "COLUMNS": "120"},
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
        reader.start()
        try:
            servers.wait_until(lambda: sum(marker in line for line in lines) >= 2 or process.poll() is not None, 60,
                               message="two refreshes")
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
            reader.join(timeout=5)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, process.stderr.read()
        assert sum(marker in line for line in lines) >= 2
        if "--json" in args:
            assert all(json.loads(line)["health"] == "healthy" for line in lines if line.strip())
