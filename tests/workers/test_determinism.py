"""The same inputs give the same clusters and canonicals whatever the number of workers
and the order of arrival: 4 worker processes racing over one-document messages on
PostgreSQL, against 1 process over batches on SQLite, fed in opposite orders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bench.corpus import generate
from tests.support import servers
from tests.conftest import ROOT, CorpusEnv

DOCUMENTS = 360


def write_corpus(folder: Path) -> list[Path]:
    """A corpus with many copies, in burst order: every copy of a story right after the others."""
    records = generate(DOCUMENTS, seed=7, html_ratio=0.2, copy_ratio=0.45)
    records.sort(key=lambda r: (r["cluster"], r["id"]))
    folder.mkdir(parents=True)
    paths = []
    for item in records:
        kind = "html" if "html" in item else "text"
        path = folder / f"{item['id']}.{'html' if kind == 'html' else 'txt'}"
        path.write_text(item[kind], encoding="utf-8")
        paths.append(path)
    return paths


def clusters(env: CorpusEnv, files: list[Path]) -> set[tuple[bytes, frozenset[str]]]:
    """Each article as (its canonical's bytes, its members' sources). The canonical is named by
    its bytes: among copies of the same bytes the first accepted is canonical, so which of
    them it is follows the order of ingest (checked here), not the workers."""
    exported = env.run("export", timeout=120)
    assert exported.returncode == 0, exported.stderr

    arrival = {str(path): n for n, path in enumerate(files)}
    result = set()
    for line in exported.stdout.splitlines():
        article = json.loads(line)
        members = {article["source"]} | {d["source"] for d in article["duplicates"]}
        canonical = Path(article["source"]).read_bytes()
        same_bytes = [m for m in members if Path(m).read_bytes() == canonical]
        assert article["source"] == min(same_bytes, key=arrival.__getitem__)  # the first accepted
        result.add((canonical, frozenset(members)))
    return result


def run_with_workers(env: CorpusEnv, files: list[Path], processes: int) -> set:
    """Ingest ``files`` in the order given (the arrival order) with ``processes`` workers."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "worker", "--processes", str(processes), "--threads", "1"],
        env=env.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        servers.wait_until(lambda: json.loads(env.run("status", "--json").stdout)["workers"]["alive"] == processes,
                           60, interval=0.5, message=f"{processes} worker processes")
        result = env.run("ingest", *map(str, files), "--wait", "--json", "--timeout", "600", timeout=700)
        failed = [d for d in json.loads(result.stdout or '{"documents": []}')["documents"] if d["status"] != "canonical" and d["status"] != "duplicate"]
        assert result.returncode == 0, (result.stderr[-2000:], failed[:5])
        assert "starting" not in result.stderr  # our workers did the work
        summary = json.loads(result.stdout)["summary"]
        assert summary["documents"] == DOCUMENTS and summary["failed"] == 0
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    return clusters(env, files)


@pytest.fixture
def two_corpora(tmp_path, redis_server, postgres_server):
    database = postgres_server.create_database()
    racing = CorpusEnv(tmp_path / "racing", redis_server.url, database, f"test-{uuid.uuid4().hex[:10]}",
                       extra={"CORPUS_BATCH_SIZE": "1"})
    calm = CorpusEnv(tmp_path / "calm", redis_server.url, None, f"test-{uuid.uuid4().hex[:10]}")
    yield racing, calm
    postgres_server.drop_database(database)
    for env in (racing, calm):
        servers.delete_namespace(redis_server.url, env.namespace)


def test_four_racing_workers_and_one_calm_worker_agree(two_corpora, tmp_path):
    racing, calm = two_corpora
    files = write_corpus(tmp_path / "corpus")

    raced = run_with_workers(racing, files, processes=4)
    calmly = run_with_workers(calm, files[::-1], processes=1)

    assert raced == calmly
    multi = [members for _, members in raced if len(members) > 1]
    assert len(multi) >= 30, "the corpus should have many clusters of copies"
    assert sum(len(m) for m in multi) >= DOCUMENTS * 0.3
