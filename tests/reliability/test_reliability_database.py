"""The database goes away for a while: transient errors are retried with backoff, the
documents wait, none fails for it, nothing is dead-lettered, and the password in
CORPUS_DATABASE_URL shows up nowhere (logs, status, Redis). A PostgreSQL of the test's own."""

from __future__ import annotations

import json
import time
import uuid

import redis

from bench.corpus import generate
from tests.support import servers
from tests.conftest import CorpusEnv
from tests.reliability.test_reliability_security import assert_redis_holds_only_json_and_our_records
from tests.support.reliability import (assert_consistent, fleet, ledger, log_dir, own_postgres,  # noqa: F401
                                            wait_settled, write_texts)

PASSWORD = "sekret-pw-4711"
OUTAGE_S = 20


def test_a_database_outage_delays_documents_and_fails_none(own_postgres, redis_server, fleet, tmp_path):
    url = own_postgres.create_database()  # trust auth: the password is accepted and ignored
    url = url.replace("postgresql+psycopg://postgres@", f"postgresql+psycopg://postgres:{PASSWORD}@")
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url,
                    namespace=f"test-{uuid.uuid4().hex[:10]}")
    client = redis.Redis.from_url(redis_server.url)
    try:
        write_texts(tmp_path / "in", generate(150, seed=13, copy_ratio=0.4))
        assert env.run("ingest", str(tmp_path / "in")).returncode == 0
        worker = fleet.start(env)
        servers.wait_until(lambda: ledger(env)["unsettled"] <= 130, 120, interval=0.2,
                           message="the first documents to be processed")

        own_postgres.stop()
        went_down = time.monotonic()
        status = env.run("status", "--json")
        assert status.returncode == 2
        assert "CORPUS_DATABASE_URL" in status.stdout + status.stderr
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - went_down)))
        own_postgres.start()

        state = wait_settled(env, 150, 300, fleet=fleet)
        assert state.get("failed", 0) == 0, state
        assert worker.alive()
        report = json.loads(env.run("status", "--json").stdout)
        assert report["queues"]["documents"]["dead"] == 0
        assert report["documents"]["pending"] == 0
        assert_consistent(env)
        # The outage was noticed (and retried), yet the password never appears.
        logs = fleet.logs()
        assert "OperationalError" in logs or "Retrying message" in logs
        seen = logs + status.stdout + status.stderr
        for key in client.scan_iter(match=f"{env.namespace}:*", count=1000):
            kind = client.type(key)
            if kind == b"hash":
                seen += " ".join(v.decode("utf-8", "replace") for v in client.hvals(key))
            elif kind == b"string" and b":lsh:" not in key:
                seen += (client.get(key) or b"").decode("utf-8", "replace")
        assert PASSWORD not in seen
        assert_redis_holds_only_json_and_our_records(env)
    finally:
        fleet.stop_all()
        servers.delete_namespace(redis_server.url, env.namespace)
        from tests.support.reliability import dispose

        dispose(env)
