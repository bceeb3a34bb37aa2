"""corpus probe: each container's health check, against real worker, watcher and monitor
processes (and a worker that is killed: its probe turns unhealthy)."""

from __future__ import annotations

import os
import signal

from tests.support import servers
from tests.support.ops import Proc, start_monitor, start_worker


def test_probes_follow_the_processes_they_check(sqlite_corpus, tmp_path):
    env = sqlite_corpus
    assert env.run("probe", "worker").returncode == 1  # nothing runs yet
    assert env.run("probe", "watcher").returncode == 1
    assert env.run("probe", "http", "--port", str(servers.free_port())).returncode == 1

    procs = []
    try:
        worker = start_worker(env, tmp_path)
        procs.append(worker)
        healthy = env.run("probe", "worker")
        assert healthy.returncode == 0 and "live worker process" in healthy.stdout

        watcher = Proc.start(env, "watch", "watch", str(tmp_path / "inbox"), "--interval", "0.5", log_dir=tmp_path)
        procs.append(watcher)
        servers.wait_until(lambda: env.run("probe", "watcher", "--max-age", "30").returncode == 0, 60, interval=0.5,
                           message="the watcher to publish its status")

        monitor, base = start_monitor(env, tmp_path)
        procs.append(monitor)
        assert env.run("probe", "http", "--port", base.rsplit(":", 1)[1]).returncode == 0

        # a worker that dies (every process of it, no goodbye) stops beating: unhealthy within the 10 s window
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        servers.wait_until(lambda: env.run("probe", "worker").returncode == 1, 60, interval=1,
                           message="the worker probe to notice the dead worker")
    finally:
        for proc in reversed(procs):
            proc.stop()
