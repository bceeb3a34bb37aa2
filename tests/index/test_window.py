"""CORPUS_DEDUP_WINDOW_DAYS bounds the index: entries older than the window expire from
Redis (the store keeps them), and a copy arriving after its original left the window
becomes an article of its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import redis

from tests.support import servers
from tests.conftest import ROOT, SEEDS
from workers.index.lsh import LshIndex

SEED_003 = SEEDS / "003_a7f81f6fd957c2d8.txt"
WINDOW_DAYS = 3 / 86400  # three seconds


def test_entries_older_than_the_window_expire_and_late_copies_start_a_new_article(sqlite_corpus, tmp_path):
    sqlite_corpus.extra["CORPUS_DEDUP_WINDOW_DAYS"] = repr(WINDOW_DAYS)
    index = LshIndex(redis.Redis.from_url(sqlite_corpus.redis_url), f"{sqlite_corpus.namespace}:lsh:")
    worker = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "worker", "--processes", "1", "--threads", "1"],
        env=sqlite_corpus.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        first = sqlite_corpus.run("ingest", str(SEED_003), "--wait", "--json")
        assert first.returncode == 0, first.stderr
        servers.wait_until(lambda: index.count() == 0, 30, interval=0.5, message="the entry to leave the window")

        late = tmp_path / "late-copy.txt"
        late.write_text("\n".join(SEED_003.read_text(encoding="utf-8").split("\n")[:-1]), encoding="utf-8")
        second = sqlite_corpus.run("ingest", str(late), "--wait", "--json")
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["documents"][0]["status"] == "canonical"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    status = json.loads(sqlite_corpus.run("status", "--json").stdout)
    assert status["documents"]["canonical"] == 2  # the store keeps the expired original
    sqlite_corpus.extra["CORPUS_DEDUP_WINDOW_DAYS"] = "1"
    assert sqlite_corpus.run("verify").returncode == 1  # without the window the entry is missing
    sqlite_corpus.extra["CORPUS_DEDUP_WINDOW_DAYS"] = repr(WINDOW_DAYS)
    verified = sqlite_corpus.run("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
