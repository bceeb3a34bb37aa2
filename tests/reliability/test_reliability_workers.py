"""Workers die, stop and reload: a SIGKILLed worker's in-flight messages are delivered
again within the heartbeat deadline; SIGTERM finishes or returns in-flight work; SIGHUP
restarts the worker processes without losing anything. Real ``corpus worker`` processes,
real Redis, the embedded SQLite store; ``corpus verify`` is the oracle."""

from __future__ import annotations

import os
import signal
import time

import redis

from tests.support import servers
from tests.conftest import SEEDS
from tests.support.reliability import (acked, alive_pids, assert_consistent, caught_holding, check,  # noqa: F401
                                            children, deadline_for, fleet, ledger, log_dir, slow_documents,
                                            wait_settled)


def test_a_sigkilled_workers_messages_are_delivered_again_within_the_deadline(sqlite_corpus, fleet, tmp_path):
    env = sqlite_corpus
    env.extra["CORPUS_BATCH_SIZE"] = "1"  # one document per message: four messages in flight
    slow_documents(tmp_path / "in", 4)
    client = redis.Redis.from_url(env.redis_url)
    assert env.run("ingest", str(tmp_path / "in")).returncode == 0
    victim = fleet.start(env)  # 2 threads: fetches the 4 messages at once, works on 2
    victim_id, in_flight = caught_holding(env, client, 4)
    # A document is settled a moment before its message is acknowledged (its batch's events
    # drain and counters come between), so one of the four may be settled already; the two
    # being cleaned (seconds each) are not.
    assert ledger(env)["unsettled"] >= 2, "the documents must still be in the worker's hands"

    fleet.kill(victim)
    killed_at = time.monotonic()
    rescuer = fleet.start(env)
    deadline = deadline_for(env)

    def delivered_again() -> bool:
        others = set().union(*[ids for broker, ids in acked(client, env).items() if broker != victim_id] or [set()])
        return in_flight <= others or ledger(env)["unsettled"] == 0

    servers.wait_until(delivered_again, deadline, interval=0.2,
                       message=f"the killed worker's messages to be delivered again within {deadline:.0f}s")
    recovered_after = time.monotonic() - killed_at
    print(f"recovered {len(in_flight)} in-flight messages {recovered_after:.1f}s after SIGKILL")
    assert not client.exists(f"{env.namespace}:dq:__acks__.{victim_id}.documents")

    state = wait_settled(env, 4, 180, fleet=fleet)
    assert state["canonical"] == 4 and state["total"] == 4
    assert_consistent(env)
    assert rescuer.alive()


def test_sigterm_finishes_or_returns_in_flight_work(sqlite_corpus, fleet, tmp_path, monkeypatch):
    env = sqlite_corpus
    env.extra["CORPUS_BATCH_SIZE"] = "1"
    slow_documents(tmp_path / "in", 4, seed=1)
    client = redis.Redis.from_url(env.redis_url)
    assert env.run("ingest", str(tmp_path / "in")).returncode == 0
    worker = fleet.start(env)
    broker_id, _ = caught_holding(env, client, 4)

    worker.stop(timeout=120)  # SIGTERM to the group; dramatiq finishes what it started
    assert "Worker has been shut down" in worker.output() or worker.process.returncode == 0, worker.output()[-3000:]
    # Nothing is left in the stopped worker's hands: what it did not finish is back on the
    # queue at once, not after a heartbeat timeout.
    assert not client.exists(f"{env.namespace}:dq:__acks__.{broker_id}.documents")
    state = ledger(env)
    assert state["unsettled"] < 4, "the two documents being cleaned were finished"
    report = check(env, monkeypatch)
    assert report["ok"], report  # every unsettled document rides on a ready message

    fleet.start(env)
    state = wait_settled(env, 4, 120, fleet=fleet)
    assert state["canonical"] == 4
    assert_consistent(env)


def test_sighup_restarts_the_worker_processes_and_keeps_working(sqlite_corpus, fleet):
    env = sqlite_corpus
    client = redis.Redis.from_url(env.redis_url)
    worker = fleet.start(env)
    before = set(children(worker.process.pid)) & alive_pids(client, env)
    assert before

    os.kill(worker.process.pid, signal.SIGHUP)  # `corpus worker` exec'd dramatiq: same pid

    def reloaded() -> bool:
        now_children = set(children(worker.process.pid))
        return bool(now_children & alive_pids(client, env) - before) and not (now_children & before)

    servers.wait_until(reloaded, 90, interval=0.2, message="new worker processes after SIGHUP")
    assert worker.alive()
    result = env.run("ingest", str(SEEDS))
    assert result.returncode == 0, result.stderr
    state = wait_settled(env, 5, 120, fleet=fleet)
    assert state["canonical"] == 5
    assert_consistent(env)


def test_a_worker_process_that_dies_is_restarted_by_its_parent(sqlite_corpus, fleet):
    """SIGKILL one worker process (not the group): ``corpus worker`` starts another and goes
    on working, instead of shutting down (dramatiq's main process did)."""
    env = sqlite_corpus
    client = redis.Redis.from_url(env.redis_url)
    worker = fleet.start(env)
    (victim,) = set(children(worker.process.pid)) & alive_pids(client, env)
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        return bool(set(children(worker.process.pid)) & alive_pids(client, env) - {victim})

    servers.wait_until(replaced, 90, interval=0.2, message="a new worker process after SIGKILL")
    assert worker.alive()
    assert victim not in children(worker.process.pid)
    assert "exited unexpectedly" in worker.output()
    result = env.run("ingest", str(SEEDS))
    assert result.returncode == 0, result.stderr
    state = wait_settled(env, 5, 120, fleet=fleet)
    assert state["canonical"] == 5
    assert worker.stop() == 0  # SIGTERM still stops it cleanly
