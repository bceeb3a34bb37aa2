"""Operations commands: ``status`` and ``dlq`` (the dead-letter queue)."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Annotated, Optional

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ingest.cli.console import UNUSABLE as UNREACHABLE, err, fail, guard, out
from models.db import redact
from workers.ops.dlq import Ambiguous, DeadLetters, NotFound
from workers.ops.status import Unreachable, collect, exit_code, unreachable_report
from workers.runtime import runtime


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.add_typer(dlq_app, name="dlq")


# ---------------------------------------------------------------------------- status


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Refresh in place until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option(help="With --watch: seconds between refreshes.", min=0.2)] = 2.0,
) -> None:
    """Queues, workers, throughput, the store and the inbox, at a glance.

    Exit code: 0 healthy (a finished run with nothing pending is healthy), 1 degraded
    (dead letters, stale workers, or work waiting with no worker alive), 2 unreachable
    (Redis or the database). Usable as a container health probe: corpus status --json.

    Examples:

      corpus status

      corpus status --watch

      corpus status --json | jq .documents
    """
    def take() -> dict:
        try:
            return collect(runtime())
        except Unreachable as exc:
            return unreachable_report(str(exc))
        except (ValueError, OSError) as exc:  # bad configuration, e.g. a malformed URL
            return unreachable_report(redact(f"status unavailable: {exc}", os.environ.get("CORPUS_DATABASE_URL"),
                                             os.environ.get("CORPUS_REDIS_URL")))

    if watch:
        def interrupt(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, interrupt)  # a supervisor's stop ends the loop like Ctrl-C
        report: dict = {}
        try:
            if as_json:  # one JSON line per refresh
                while True:
                    report = take()
                    print(json.dumps(report), flush=True)
                    time.sleep(interval)
            elif out.is_terminal:
                report = take()
                with Live(render(report), console=out, refresh_per_second=4, screen=False) as live:
                    while True:
                        time.sleep(interval)
                        report = take()
                        live.update(render(report))
            else:  # not a terminal (a log, a pipe): one report after another
                while True:
                    report = take()
                    out.rule(time.strftime("%Y-%m-%d %H:%M:%S"))
                    out.print(render(report))
                    out.file.flush()
                    time.sleep(interval)
        except KeyboardInterrupt:
            pass
        raise typer.Exit(exit_code(report) if report else UNREACHABLE)

    report = take()
    if as_json:
        print(json.dumps(report))
        if report["health"] == "unreachable":
            err.print(f"[bold red]error:[/] {report['problems'][0]}", highlight=False)
        raise typer.Exit(exit_code(report))
    if report["health"] == "unreachable":
        raise fail(report["problems"][0], UNREACHABLE)
    out.print(render(report))
    raise typer.Exit(exit_code(report))


# ------------------------------------------------------------------------------- dlq

dlq_app = typer.Typer(
    help="The dead-letter queue: messages dramatiq gave up on (kept 7 days). List, show, requeue, purge.\n\n"
         "Failed documents are not dead letters: see corpus failures. Examples:\n\n"
         "  corpus dlq list\n\n  corpus dlq requeue --all",
    no_args_is_help=True,
)


def _dead_letters() -> DeadLetters:
    rt = runtime()
    return DeadLetters(guard(lambda: rt.redis), rt.settings.namespace)


def _guard(fn):
    try:
        return guard(fn)
    except (NotFound, Ambiguous) as exc:
        raise fail(str(exc.args[0]), 1) from None


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


@dlq_app.command("list")
def dlq_list(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of dead letters.")] = False,
    limit: Annotated[Optional[int], typer.Option(help="Show at most this many (most recent first).", min=1)] = None,
) -> None:
    """Dead letters, most recent first: id, actor, arguments, error and age.

    Examples:

      corpus dlq list

      corpus dlq list --json --limit 10
    """
    letters = _dead_letters()
    entries = _guard(lambda: letters.list(limit=limit))
    if as_json:
        print(json.dumps(entries))
        return
    if not entries:
        out.print("no dead letters")
        return
    table = Table(title=f"dead letters ({letters.count()})", title_justify="left")
    for column in ("id", "actor", "args", "retries", "age", "error"):
        table.add_column(column, justify="right" if column in ("retries", "age") else "left",
                         overflow="fold" if column == "error" else "ellipsis")
    for e in entries:
        table.add_row(e["id"][:8], e["actor"] or "?", json.dumps(e["args"])[:40], str(e["retries"]), _age(e["age_s"]),
                      e["error"])
    out.print(table)
    out.print("[dim]corpus dlq show ID · corpus dlq requeue ID|--all · corpus dlq purge[/]")


@dlq_app.command("show")
def dlq_show(
    message_id: Annotated[str, typer.Argument(metavar="ID", help="A dead letter's id, or a unique prefix of it.")],
    as_json: Annotated[bool, typer.Option("--json", help="The dead letter as JSON.")] = False,
) -> None:
    """One dead letter in full: message, options and the traceback of its last attempt.

    Example:

      corpus dlq show 3fa2
    """
    letters = _dead_letters()
    entry = _guard(lambda: letters.get(message_id))
    if as_json:
        print(json.dumps(entry))
        return
    for key in ("id", "message_id", "actor", "queue", "args", "kwargs", "document_ids", "retries", "requeued"):
        value = entry[key]
        out.print(f"[bold]{key:>12}:[/] {json.dumps(value) if isinstance(value, (list, dict)) else value}",
                  highlight=False)
    out.print(f"[bold]{'dead for':>12}:[/] {_age(entry['age_s'])}", highlight=False)
    out.print(f"[bold]{'error':>12}:[/] [red]{entry['error']}[/]", highlight=False)
    if entry.get("traceback"):
        out.rule("traceback")
        out.print(entry["traceback"], markup=False, highlight=False)


@dlq_app.command("requeue")
def dlq_requeue(
    message_id: Annotated[Optional[str], typer.Argument(metavar="[ID]", help="A dead letter's id or unique prefix.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Requeue every dead letter.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"requeued": n}.')] = False,
) -> None:
    """Put dead letters back on their queue with their retries reset.

    Examples:

      corpus dlq requeue 3fa2

      corpus dlq requeue --all
    """
    if bool(message_id) == all_:
        raise fail("give one dead letter ID or --all")
    letters = _dead_letters()
    if all_:
        n = _guard(letters.requeue_all)
    else:
        n = int(_guard(lambda: letters.requeue(message_id)))
        if not n:
            raise fail(f"dead letter {message_id} was taken meanwhile (requeued or purged)", 1)
    if as_json:
        print(json.dumps({"requeued": n}))
    else:
        err.print(f"requeued {n} message(s)", highlight=False)


@dlq_app.command("purge")
def dlq_purge(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every dead letter (asks first unless --yes).

    Example:

      corpus dlq purge --yes
    """
    letters = _dead_letters()
    n = _guard(letters.count)
    if not n:
        err.print("no dead letters")
        return
    if not yes:
        if not typer.confirm(f"delete {n} dead letter(s) for good?", default=False, err=True):
            raise fail("not purged", 1)
    removed = _guard(letters.purge)
    err.print(f"purged {removed} dead letter(s)", highlight=False)


# ------------------------------------------------------------------------ rendering


def render(report: dict):
    """A rich renderable of the report (tables and lines), for the terminal."""
    if report.get("health") == "unreachable":
        return Group(*(Text.from_markup(f"[bold red]unreachable:[/] {p}") for p in report["problems"]))
    parts = []
    queues = Table(title="queues", title_justify="left")
    for column in ("queue", "ready", "delayed", "in flight", "dead", "oldest ready (s)"):
        queues.add_column(column, justify="left" if column == "queue" else "right")
    for name, q in report["queues"].items():
        queues.add_row(name, str(q["ready"]), str(q["delayed"]), str(q["in_flight"]),
                       f"[red]{q['dead']}[/]" if q["dead"] else "0", f"{q['oldest_age_s']:.1f}")
    parts.append(queues)

    flow = Table(title="documents finished", title_justify="left")
    for column in ("window", "rate (per minute)", "canonical", "duplicate", "failed"):
        flow.add_column(column, justify="left" if column == "window" else "right")
    for window, row in report["throughput"].items():
        # counts over a sliding window are estimates (the oldest minute counts in part): whole documents here
        flow.add_row(f"last {window}", f"{row['per_minute']:,.1f}", f"{round(row['canonical']):,}",
                     f"{round(row['duplicate']):,}", f"{round(row['failed']):,}")
    parts.append(flow)

    workers = report["workers"]
    line = f"[bold]workers alive:[/] {workers['alive']}"
    if workers["processes"]:
        line += "  (" + ", ".join(f"{w.get('host')}:{w.get('pid')} beat {w['age_s']:.1f}s ago"
                                  for w in workers["processes"][:8]) + ")"
    parts.append(Text.from_markup(line))
    for w in workers.get("stale") or []:
        parts.append(Text.from_markup(f"  [yellow]stale:[/] {w.get('host')}:{w.get('pid')} last beat {w['age_s']:.0f}s ago"))

    docs = report["documents"]
    duplicates = ", ".join(f"{k} {v}" for k, v in sorted(report.get("duplicates", {}).items())) or "none"
    parts.append(Text.from_markup(
        f"[bold]store:[/] documents {docs['total']}  canonical {docs['canonical']}  duplicate {docs['duplicate']} "
        f"({duplicates})  failed {docs['failed']}  pending {docs['pending']}  articles {report.get('articles', 0)}"
        + (f"  re-cleaning {docs['recleaning']} (settled, sent back for cleaning)" if docs.get("recleaning") else "")
    ))
    where = report.get("store")
    if where:
        parts.append(Text(f"reading: {where['database']} (data dir {where['data_dir']}, "
                          f"{where['data_dir_found_by']})"))
    inbox = report.get("inbox")
    if inbox:
        parts.append(Text.from_markup(
            f"[bold]inbox:[/] {inbox['path']}  backlog {inbox['backlog']}  processing {inbox['processing']}  "
            f"(updated {inbox['age_s']:.0f}s ago)"
        ))
    index, fixed = report.get("index") or {}, report.get("repairs") or {}
    if index:
        line = f"[bold]index:[/] {index['state']}"
        if "records" in index:
            layout = f"cluster, {len(index['nodes'])} masters" if index["cluster"] else "one Redis"
            nodes = "  ".join(f"{n['node']} {n['keys']} keys {n['used_memory'] / 2**20:.0f} MiB" for n in index["nodes"])
            line += f"  {index['records']} records ({layout})  {nodes}"
        line += (f"  repairs: index rebuilt {fixed.get('index_rebuilds', 0)}, stranded documents enqueued "
                 f"{fixed.get('stranded_requeued', 0)}, dead letters retried {fixed.get('dead_letters_retried', 0)}")
        last = fixed.get("last")
        if last:
            line += f" (last: {last['kind']} {last['count']}, {_age(max(0.0, time.time() - last['at']))} ago)"
        parts.append(Text.from_markup(line))
    health = report["health"]
    parts.append(Text.from_markup(f"[bold]health:[/] [{'green' if health == 'healthy' else 'yellow'}]{health}[/]"))
    for problem in report["problems"]:
        parts.append(Text(f"  - {problem}"))
    return Group(*parts)
