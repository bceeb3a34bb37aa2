"""Processes for the inbox and API tests: real ``corpus watch`` and ``corpus worker``
subprocesses in a process group of their own, always killed at the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT


class Processes:
    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, env, *args: str, log: Path | None = None) -> subprocess.Popen:
        out = open(log, "ab") if log else subprocess.DEVNULL
        process = subprocess.Popen([sys.executable, "-m", "ingest.cli", *args], env=env.env, cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                                   start_new_session=True)
        if log:
            out.close()
        self.started.append(process)
        return process

    def worker(self, env, processes: int = 2, threads: int = 2, log: Path | None = None) -> subprocess.Popen:
        return self.start(env, "worker", "--processes", str(processes), "--threads", str(threads), log=log)

    def watcher(self, env, inbox: Path, interval: float = 0.5, log: Path | None = None) -> subprocess.Popen:
        return self.start(env, "watch", str(inbox), "--interval", str(interval), log=log)

    @staticmethod
    def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        """Kill every process group started (tests that care about a clean stop send
        SIGTERM themselves and assert on it)."""
        for process in self.started:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


@pytest.fixture
def procs():
    processes = Processes()
    yield processes
    processes.stop_all()


def wait_for(predicate, timeout: float, message: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def files_under(folder: Path) -> set[str]:
    """Paths of the files under ``folder``, relative to it."""
    if not folder.exists():
        return set()
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def documents(env) -> list[dict]:
    """Every document row, as the tests check them."""
    from sqlalchemy import create_engine, text

    url = env.database_url or f"sqlite:///{env.data_dir / 'corpus.db'}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT id, source, url, site, format, status, error, kind, similarity, article_id, title, text, "
                "hints FROM documents ORDER BY id")).mappings().all()
    finally:
        engine.dispose()
    result = []
    for row in rows:
        item = dict(row)
        if isinstance(item["hints"], str):
            item["hints"] = json.loads(item["hints"])
        result.append(item)
    return result


def query(env, sql: str) -> list[dict]:
    from sqlalchemy import create_engine, text

    url = env.database_url or f"sqlite:///{env.data_dir / 'corpus.db'}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(text(sql)).mappings().all()]
    finally:
        engine.dispose()
