"""``corpus probe worker|watcher|http``: the health check of one container, for compose and
Kubernetes. Exit 0 healthy, 1 not, 2 Redis unreachable.

``corpus status`` tells whether the service as a whole is well; a probe tells whether *this*
process is. A worker is healthy while a worker process on this host beats (its heartbeat
stops when its process hangs or dies, and after ``CORPUS_HEARTBEAT_TIMEOUT_MS`` its messages
go to others); the watcher while it publishes the inbox's status (every step, so a watcher
stuck in a step goes stale); the monitor while ``/healthz`` answers.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from typing import Annotated

import typer

from ingest.cli.console import FAILURES, OK, err, guard
from workers.keys import inbox_key
from workers.queue.registry import alive_workers
from workers.runtime import runtime

probe_app = typer.Typer(
    help="Health checks of one container: corpus probe worker | watcher | http. Exit 0 healthy, 1 not.\n\n"
         "Examples:\n\n  corpus probe worker\n\n  corpus probe watcher --max-age 60\n\n  corpus probe http --port 8000",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(probe_app, name="probe")


def _verdict(ok: bool, message: str) -> None:
    (print if ok else err.print)(message)
    raise typer.Exit(OK if ok else FAILURES)


@probe_app.command("worker")
def worker(
    any_host: Annotated[bool, typer.Option("--any-host", help="Any live worker will do, not only this host's.")] = False,
) -> None:
    """Healthy while a worker process on this host beats (within the registry's 10 s).

    Example:

      corpus probe worker
    """
    rt = runtime()
    workers = guard(lambda: alive_workers(rt.redis, rt.settings.namespace))
    here = socket.gethostname()
    mine = workers if any_host else [w for w in workers if w.get("host") == here]
    _verdict(bool(mine), f"{len(mine)} live worker process(es) on {'any host' if any_host else here}")


@probe_app.command("watcher")
def watcher(
    max_age: Annotated[float, typer.Option("--max-age", min=1, help="Seconds since the watcher last published its status.")] = 120.0,
) -> None:
    """Healthy while the inbox watcher published its status in the last --max-age seconds.

    Example:

      corpus probe watcher --max-age 60
    """
    rt = runtime()
    info = guard(lambda: rt.redis.hgetall(inbox_key(rt.settings.namespace)))
    updated = info.get(b"updated") or info.get("updated")
    if not updated:
        _verdict(False, "the watcher has not published its status")
    age = time.time() - float(updated)
    _verdict(age <= max_age, f"the watcher published its status {age:.0f}s ago")


@probe_app.command("http")
def http(
    port: Annotated[int, typer.Option(min=1, max=65535, help="The monitor's port.")] = 8000,
    host: Annotated[str, typer.Option(help="Where the monitor listens.")] = "127.0.0.1",
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the answer.")] = 5.0,
) -> None:
    """Healthy while the monitor answers /healthz.

    Example:

      corpus probe http --port 8000
    """
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout) as response:
            _verdict(response.status == 200, f"/healthz answered {response.status}")
    except OSError as exc:
        _verdict(False, f"/healthz did not answer: {exc}")
