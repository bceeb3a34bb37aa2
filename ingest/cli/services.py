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
    """
    with services() as rt:
        inbox = folder or (rt.settings.data_dir / "inbox")
        Watcher(rt, inbox, interval=interval).run()


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs CORPUS_API_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
) -> None:
    """The monitor: /metrics for Prometheus, /healthz, /readyz, /api/* and a dashboard at /.

    GETs from loopback need no token; from elsewhere, and every POST, need
    "Authorization: Bearer $CORPUS_API_TOKEN" (the dashboard: open /?token=... once).
    """
    try:
        run(runtime(), host=host, port=port)
    except ServeError as exc:
        raise fail(str(exc)) from None
