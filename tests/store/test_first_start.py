"""First start is idempotent: many processes opening an empty store at once all succeed."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from tests.conftest import ROOT, CorpusEnv
from tests.support import servers

# Each process imports everything, waits for the go file, then does what a starting worker
# does first: opens the store (migrating it) and checks the dedup parameters.
STARTER = """
import os, sys, time
from pathlib import Path
from workers.runtime import runtime
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
runtime().index
print("started")
"""


def test_twelve_processes_starting_at_once_on_an_empty_postgresql_database_all_succeed(
        tmp_path, redis_server, postgres_server):
    url = postgres_server.create_database()
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url, namespace=namespace)
    go = tmp_path / "go"
    try:
        processes = [subprocess.Popen([sys.executable, "-c", STARTER, str(go)], env=env.env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(12)]
        time.sleep(0.5)
        servers.wait_until(lambda: all(p.poll() is None for p in processes), 5, message="starters waiting")
        go.touch()
        results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
        failed = [(rc, err[-2000:]) for rc, out, err in results if rc != 0 or "started" not in out]
        assert not failed, failed
        import psycopg

        with psycopg.connect(url.replace("+psycopg", "")) as connection:
            rows = connection.execute("SELECT count(*) FROM meta WHERE key = 'dedup_params'").fetchone()
        assert rows == (1,)
    finally:
        servers.delete_namespace(redis_server.url, namespace)
        postgres_server.drop_database(url)
