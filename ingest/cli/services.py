"""Long-running commands: ``worker`` (process the queue), ``watch`` (the inbox) and
``serve`` (the monitor)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ingest.cli.console import fail, services
from ingest.monitor.server import ServeError, run
from ingest.watch import Watcher
from workers.runtime import runtime
from workers.supervisor import Supervisor


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(watch)
    app.command()(serve)


def worker(
    processes: Annotated[int, typer.Option("--processes", "-p", min=1, help="Worker processes.")] = max(1, min(os.cpu_count() or 1, 4)),
    threads: Annotated[int, typer.Option("--threads", "-t", min=1, help="Threads per process.")] = 2,
) -> None:
    """Process queued documents until stopped (SIGTERM or Ctrl-C finish or return in-flight work).

    Run as many as you like, on as many machines as share CORPUS_REDIS_URL and
    CORPUS_DATABASE_URL: they cooperate and give the same result as one.

    Examples:

      corpus worker

      corpus worker --processes 4 --threads 2
    """
    with services() as rt:
        rt.redis, rt.engine, rt.index  # fail here, clearly, rather than inside dramatiq
    # Each process restarted by its parent when it dies (dramatiq's main process shuts them all down).
    command = [sys.executable, "-m", "workers.process", "--threads", str(threads)]
    raise typer.Exit(Supervisor(command, processes).run())


def watch(
    folder: Annotated[Optional[Path], typer.Argument(help="Inbox folder (default: $CORPUS_DATA_DIR/inbox).")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between rescans of the folder.")] = 2.0,
) -> None:
    """Watch an inbox folder: ingest every file dropped into it.

    A file is claimed by a rename into FOLDER/processing/ once complete (size and mtime
    still for CORPUS_INBOX_SETTLE_S seconds, default 2, and no writer holding it open) and
    ends in FOLDER/done/ or in FOLDER/failed/ beside NAME.error.txt. Sub-folders name the
    site. Links, FIFOs and sockets dropped in are set aside in FOLDER/failed/, never opened.

    Examples:

      corpus watch ./inbox

      corpus watch --interval 10
    """
    with services() as rt:
        inbox = folder or (rt.settings.data_dir / "inbox")
        Watcher(rt, inbox, interval=interval).run()


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs CORPUS_API_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    behind_proxy: Annotated[bool, typer.Option("--behind-proxy", envvar="CORPUS_BEHIND_PROXY", help="Behind a reverse proxy (every client looks like loopback): always require the token.")] = False,
    allow_host: Annotated[Optional[list[str]], typer.Option("--allow-host", envvar="CORPUS_ALLOWED_HOSTS", help="A Host name trusted like localhost from loopback (repeat, or comma-separated in the variable).", show_default=False)] = None,
    loopback_without_token: Annotated[bool, typer.Option("--loopback-without-token", help="A public --host without CORPUS_API_TOKEN binds to 127.0.0.1 (with a warning) instead of refusing.")] = False,
) -> None:
    """The monitor: /metrics for Prometheus, probes, a JSON API and a dashboard with its article pages.

    Routes (GET, but the requeue):

      /                               the dashboard (open /?token=... once)
      /article?ref=ID                 an article's page: its copies, the evidence
      /metrics                        Prometheus text (names prefixed corpus_)
      /healthz, /readyz               liveness; readiness (Redis, store, workers)
      /api/status                     as corpus status --json
      /api/history?minutes=           per minute: queue depth, documents finished
      /api/failures?limit=            recent failed documents, with the reasons
      /api/articles?q=&limit=         recent canonical articles (q: in titles)
      /api/article?ref=ID|URL|SOURCE  as corpus show --json (404 if none)
      /api/events?hours=&min_size=&limit=
                                      the largest events with an article in the
                                      last hours (72; 0: any time), as corpus
                                      events --json lists them
      /api/dlq?limit=                 dead letters
      POST /api/dlq/ID/requeue        requeue one (ID all: every one)

    GETs from loopback need no token when they name a loopback host (localhost,
    127.0.0.1; --allow-host adds names), unless --behind-proxy; from elsewhere, and every
    POST, need "Authorization: Bearer $CORPUS_API_TOKEN" (the dashboard: open /?token=... once).

    Examples:

      corpus serve

      CORPUS_API_TOKEN=s3cret corpus serve --host 0.0.0.0 --port 8000

      curl -s localhost:8000/metrics | grep corpus_workers_alive

      curl -s 'localhost:8000/api/events?hours=24&min_size=3&limit=5'
    """
    allowed = frozenset(name.strip().lower() for value in (allow_host or []) for name in value.split(",")
                        if name.strip())
    try:
        run(runtime(), host=host, port=port, behind_proxy=behind_proxy, allowed_hosts=allowed,
            loopback_without_token=loopback_without_token)
    except ServeError as exc:
        raise fail(str(exc)) from None
