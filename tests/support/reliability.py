"""Helpers for the reliability tests (no tests here): worker fleets that can be killed,
the store read directly, ``corpus verify`` as the oracle, clusters to compare runs."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
import uuid
from functools import lru_cache
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select

from tests.support import servers
from tests.conftest import SEEDS, CorpusEnv
from tests.support.ops import Proc

# ----------------------------------------------------------------------- fixtures


@pytest.fixture
def log_dir(tmp_path) -> Path:
    path = tmp_path / "logs"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def pg_env(tmp_path, redis_server, postgres_server):
    """A corpus on the shared Redis and a PostgreSQL database of its own."""
    url = postgres_server.create_database()
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url,
                    namespace=f"test-{uuid.uuid4().hex[:10]}")
    yield env
    dispose(env)
    servers.delete_namespace(redis_server.url, env.namespace)
    postgres_server.drop_database(url)


@pytest.fixture
def own_redis():
    """A Redis this test may stop, restart and empty (AOF on: data survives restarts)."""
    server = servers.start_redis()
    yield server
    server.kill()
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture
def own_postgres():
    """A PostgreSQL this test may stop and start."""
    server = servers.start_postgres()
    yield server
    try:
        server.stop()
    except Exception:
        pass
    shutil.rmtree(server.directory.parent, ignore_errors=True)


@pytest.fixture
def fleet(log_dir):
    """Worker processes (each ``corpus worker -p 1`` in its own process group), all
    stopped at the end."""
    workers = Fleet(log_dir)
    yield workers
    workers.stop_all()


# ------------------------------------------------------------------------ workers


class Fleet:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[Proc] = []

    def start(self, env: CorpusEnv, *, threads: int = 2, wait: bool = True, timeout: float = 90) -> Proc:
        proc = Proc.start(env, "worker", "worker", "--processes", "1", "--threads", str(threads), log_dir=self.log_dir)
        self.procs.append(proc)
        if wait:
            client = redis.Redis.from_url(env.redis_url)
            servers.wait_until(lambda: bool(alive_pids(client, env) & set(children(proc.process.pid)))
                               or not proc.alive(), timeout, interval=0.2, message="the worker's first heartbeat")
            if not proc.alive():
                raise AssertionError(f"the worker exited: {proc.output()[-3000:]}")
        return proc

    def kill(self, proc: Proc) -> None:
        """SIGKILL the whole worker (dramatiq's main process and its worker process)."""
        try:
            os.killpg(proc.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.process.wait(timeout=10)
        proc.stopped = True

    def alive(self) -> list[Proc]:
        return [p for p in self.procs if p.alive()]

    def stop_all(self) -> None:
        for proc in self.procs:
            if not proc.stopped or proc.alive():
                proc.stop(timeout=20)

    def logs(self) -> str:
        return "\n".join(p.output()[-4000:] for p in self.procs)


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        return []


def alive_pids(client, env: CorpusEnv) -> set[int]:
    from workers.queue.registry import alive_workers

    return {w.get("pid") for w in alive_workers(client, env.namespace)}


# -------------------------------------------------------------------------- store


@lru_cache(maxsize=None)
def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"), pool_pre_ping=True)


def store_url(env: CorpusEnv) -> str:
    return env.database_url or f"sqlite:///{env.data_dir / 'corpus.db'}"


def engine(env: CorpusEnv):
    return _engine(store_url(env))


def dispose(env: CorpusEnv) -> None:
    _engine(store_url(env)).dispose()


def ledger(env: CorpusEnv) -> dict:
    """Documents per status, and how many are still on their way (not linked nor failed)."""
    from models.tables import FAILED, LINKED, Document

    with engine(env).connect() as connection:
        by_status = dict(connection.execute(select(Document.status, func.count()).group_by(Document.status)).all())
        unsettled = connection.scalar(select(func.count()).select_from(Document).where(
            Document.status != FAILED, Document.stage != LINKED))
    return {**by_status, "total": sum(by_status.values()), "unsettled": unsettled}


def wait_settled(env: CorpusEnv, expected: int, timeout: float, *, fleet: Fleet | None = None) -> dict:
    """Wait until ``expected`` documents are stored and every one is linked or failed."""
    state: dict = {}

    def done() -> bool:
        try:
            state.update(ledger(env))
        except Exception:  # the database may be away in a fault test
            return False
        return state.get("total", 0) >= expected and state.get("unsettled", 1) == 0

    try:
        servers.wait_until(done, timeout, interval=0.5, message="every document to settle")
    except TimeoutError as exc:
        logs = fleet.logs() if fleet else ""
        raise AssertionError(f"{exc}: {state}\n{logs}") from None
    return state


def documents(env: CorpusEnv) -> list[dict]:
    from models.tables import Document

    with engine(env).connect() as connection:
        rows = connection.execute(select(Document.id, Document.source, Document.status, Document.error,
                                         Document.article_id, Document.stage).order_by(Document.id)).all()
    return [dict(r._mapping) for r in rows]


def clusters(env: CorpusEnv) -> set[tuple[str, frozenset[str]]]:
    """(canonical source, member sources) per live article."""
    from models.tables import Article, Document

    with engine(env).connect() as connection:
        sources = dict(connection.execute(select(Document.id, Document.source)).all())
        members: dict[int, set[str]] = {}
        for doc_id, article_id in connection.execute(
                select(Document.id, Document.article_id).where(Document.article_id.is_not(None))):
            members.setdefault(article_id, set()).add(sources[doc_id])
        result = set()
        for article_id, canonical in connection.execute(
                select(Article.id, Article.canonical_document_id).where(Article.merged_into_id.is_(None))):
            result.add((sources.get(canonical), frozenset(members.get(article_id, ()))))
    return result


# -------------------------------------------------------------------------- oracle


def verify(env: CorpusEnv, *args: str, timeout: float = 300) -> tuple[int, dict]:
    result = env.run("verify", "--json", *args, timeout=timeout)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"corpus verify printed no JSON (exit {result.returncode}): "
                             f"{result.stdout[-2000:]}{result.stderr[-3000:]}") from None
    return result.returncode, report


def check(env: CorpusEnv, monkeypatch) -> dict:
    """The same report in this process (cheaper than the CLI for intermediate looks)."""
    from workers.runtime import runtime
    from workers.ops.ledger import check as run_check

    env.activate(monkeypatch)
    return run_check(runtime()).to_json()


def assert_consistent(env: CorpusEnv) -> dict:
    code, report = verify(env)
    assert code == 0 and report["ok"], report
    return report


# -------------------------------------------------------------------------- corpora


def write_texts(folder: Path, docs: list[dict]) -> list[Path]:
    """Write generated documents as files (sub-folders of 100, text or HTML by record)."""
    paths = []
    for i, doc in enumerate(docs):
        sub = folder / f"{i // 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        if "html" in doc:
            path = sub / f"{i:05d}.html"
            path.write_text(doc["html"], encoding="utf-8")
        else:
            path = sub / f"{i:05d}.txt"
            path.write_text(doc["text"], encoding="utf-8")
        paths.append(path)
    return paths


def calm_clusters(env: CorpusEnv, monkeypatch, paths: list[Path]) -> set[tuple[str, frozenset[str]]]:
    """The clusters of a calm run: every file recorded and processed in-process, in id
    order, in one environment of its own."""
    from ingest import readers
    from models.db import session_scope
    from models.documents import record
    from workers import pipeline
    from workers.runtime import runtime

    env.activate(monkeypatch)
    rt = runtime()
    with session_scope(rt.engine) as session:
        ids = [doc_id for doc_id, _ in record(session, [readers.read(p) for p in paths])]
    for start in range(0, len(ids), 16):
        pipeline.process(rt, ids[start : start + 16])
    return clusters(env)


def acked(client, env: CorpusEnv) -> dict[str, set[bytes]]:
    """In-flight message ids per dramatiq broker id (main queue)."""
    prefix = f"{env.namespace}:dq:__acks__."
    out = {}
    for key in client.scan_iter(match=f"{prefix}*.documents", count=1000):
        out[key.decode()[len(prefix):-len(".documents")]] = set(client.smembers(key))
    return out


def deadline_for(env: CorpusEnv) -> float:
    """How long a dead worker's messages may take to come back: the heartbeat timeout,
    plus the janitor's round and a worker's poll, plus slack for a loaded CI machine."""
    timeout_ms = int(env.extra.get("CORPUS_HEARTBEAT_TIMEOUT_MS", 15_000))
    return timeout_ms / 1000 + 15.0


#: Big enough that cleaning one takes a few seconds, so a worker is caught holding them.
SLOW_DOC_BYTES = 400_000


def slow_documents(folder, n: int, seed: int = 0) -> None:
    """``n`` distinct, long plain-text articles (configuration the product has anyway:
    documents are allowed up to CORPUS_MAX_DOCUMENT_BYTES, and big ones are slow to clean)."""
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))).split()
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paragraphs, size = [], 0
        while size < SLOW_DOC_BYTES:
            paragraph = " ".join(rng.choice(words) for _ in range(rng.randint(40, 90))) + "."
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        (folder / f"long-{i}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")


def caught_holding(env, client, n: int, timeout: float = 60) -> tuple[str, set[bytes]]:
    """Wait until one worker holds ``n`` messages in flight; (its broker id, message ids)."""
    held: dict = {}

    def holding() -> bool:
        held.clear()
        held.update({k: v for k, v in acked(client, env).items() if len(v) >= n})
        return bool(held)

    servers.wait_until(holding, timeout, interval=0.05, message=f"a worker holding {n} messages")
    (broker_id, ids), = held.items()
    return broker_id, ids


def now() -> float:
    return time.monotonic()


def start_calm_run(env: CorpusEnv, paths: list[Path], out: Path):
    """:func:`calm_clusters` in a subprocess (so that it runs beside a chaotic run); its
    clusters are written to ``out`` as JSON. Returns the Popen."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    listing = out.with_suffix(".paths")
    listing.write_text("\n".join(str(p) for p in paths), encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "tests.support.reliability", str(listing), str(out)],
                            env=env.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def read_calm_run(process, out: Path, timeout: float = 300) -> set[tuple[str, frozenset[str]]]:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    return {(canonical, frozenset(members)) for canonical, members in json.loads(out.read_text())}


def _calm_main(listing: str, out: str) -> None:
    from ingest import readers
    from models.db import session_scope
    from models.documents import record
    from workers import pipeline
    from workers.runtime import runtime

    rt = runtime()
    paths = [Path(p) for p in Path(listing).read_text(encoding="utf-8").splitlines()]
    with session_scope(rt.engine) as session:
        ids = [doc_id for doc_id, _ in record(session, [readers.read(p) for p in paths])]
    for start in range(0, len(ids), 16):
        pipeline.process(rt, ids[start : start + 16])
    env = CorpusEnv(data_dir=rt.settings.data_dir, redis_url=None, database_url=rt.settings.database_url,
                    namespace=rt.settings.namespace)
    Path(out).write_text(json.dumps([[c, sorted(m)] for c, m in clusters(env)]), encoding="utf-8")


if __name__ == "__main__":
    import sys

    _calm_main(sys.argv[1], sys.argv[2])
