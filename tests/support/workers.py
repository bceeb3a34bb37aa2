"""The determinism harness shared by the tests that race 4 worker processes against 1: two
corpora on one Redis (the racing one on PostgreSQL with one document a message, the calm one
on SQLite), and an ingest through worker processes of the test's own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT, CorpusEnv
from tests.support import servers


@contextmanager
def racing_and_calm(tmp_path: Path, redis_server, postgres_server):
    """(racing, calm): PostgreSQL with ``CORPUS_BATCH_SIZE=1``, so that the workers race over
    single documents, and embedded SQLite with the default batches; both dropped after."""
    database = postgres_server.create_database()
    racing = CorpusEnv(tmp_path / "racing", redis_server.url, database, f"test-{uuid.uuid4().hex[:10]}",
                       extra={"CORPUS_BATCH_SIZE": "1"})
    calm = CorpusEnv(tmp_path / "calm", redis_server.url, None, f"test-{uuid.uuid4().hex[:10]}")
    try:
        yield racing, calm
    finally:
        postgres_server.drop_database(database)
        for env in (racing, calm):
            servers.delete_namespace(redis_server.url, env.namespace)


def ingest_with_workers(env: CorpusEnv, files: list[Path], processes: int, documents: int | None = None) -> None:
    """Ingest ``files`` in the order given (the arrival order) with ``processes`` worker
    processes started here (``--threads 1``) and stopped after; they, not a worker the
    ingest starts, did the work, and none failed (``documents``: how many the summary counts)."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "worker", "--processes", str(processes), "--threads", "1"],
        env=env.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        servers.wait_until(lambda: json.loads(env.run("status", "--json").stdout)["workers"]["alive"] == processes,
                           60, interval=0.5, message=f"{processes} worker processes")
        result = env.run("ingest", *map(str, files), "--wait", "--json", "--timeout", "600", timeout=700)
        failed = [d for d in json.loads(result.stdout or '{"documents": []}')["documents"]
                  if d["status"] not in ("canonical", "duplicate")]
        assert result.returncode == 0, (result.stderr[-2000:], failed[:5])
        assert "starting" not in result.stderr  # our workers did the work
        summary = json.loads(result.stdout)["summary"]
        assert summary["failed"] == 0
        assert documents is None or summary["documents"] == documents
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
