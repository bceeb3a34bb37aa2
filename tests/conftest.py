"""Shared fixtures: real servers, an isolated corpus environment, the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import servers

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def redis_server():
    server = servers.shared_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    server = servers.shared_postgres()
    yield server
    server.stop()


@dataclass
class CorpusEnv:
    """An isolated corpus: its own data dir, Redis namespace and database."""

    data_dir: Path
    redis_url: str | None
    database_url: str | None
    namespace: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CORPUS_")}
        env.update(CORPUS_DATA_DIR=str(self.data_dir), CORPUS_NAMESPACE=self.namespace, PYTHONPATH=str(ROOT))
        if self.redis_url:
            env["CORPUS_REDIS_URL"] = self.redis_url
        if self.database_url:
            env["CORPUS_DATABASE_URL"] = self.database_url
        env.update(self.extra)
        return env

    def run(self, *args: str, timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ingest.cli", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=input,
        )

    def activate(self, monkeypatch) -> None:
        """Point this process's runtime at the environment (in-process API tests)."""
        from workers import runtime

        for key in [k for k in os.environ if k.startswith("CORPUS_")]:
            monkeypatch.delenv(key)
        for key, value in self.env.items():
            if key.startswith("CORPUS_"):
                monkeypatch.setenv(key, value)
        runtime.reset()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, postgres_server):
    """Each store test runs against the embedded SQLite and against PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def corpus(tmp_path, redis_server, store_url, monkeypatch):
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=store_url,
                    namespace=namespace)
    yield env
    from workers import runtime

    runtime.reset()
    servers.delete_namespace(redis_server.url, namespace)


@pytest.fixture
def sqlite_corpus(tmp_path, redis_server):
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=None, namespace=namespace)
    yield env
    from workers import runtime

    runtime.reset()
    servers.delete_namespace(redis_server.url, namespace)
