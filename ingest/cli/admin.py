"""Admin commands: ``verify`` (the ledger and the index agree; ``--repair`` mends) and
``reindex`` (rebuild the Redis index from the store)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ingest.cli.console import FAILURES, OK, err, guard, out, progress
from workers.index.reindex import reindex as rebuild
from workers.ops.ledger import MENDABLE, PROBLEMS, check, repair as mend
from workers.runtime import runtime


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(reindex)


def verify(
    repair: Annotated[bool, typer.Option("--repair", help="Re-enqueue stuck documents and rebuild wrong or missing index records.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check the ledger: every document is canonical, a duplicate of a canonical, failed
    with its reason, or carried by a message; the Redis index matches the store.

    Exit code: 0 consistent (with --repair: everything found was mended), 1 something is
    off, 2 Redis or the database unreachable.
    """
    rt = runtime()
    report = guard(lambda: check(rt))
    found = report
    if repair and (not report.ok or report.info.get("dead_letters")):  # dead letters of settled work go too
        done = guard(lambda: mend(rt, report))
        report = guard(lambda: check(rt))
        report.repaired = done
    if as_json:
        payload = report.to_json()
        if found is not report:
            payload["found"] = {k: len(v) for k, v in found.problems.items()}
        print(json.dumps(payload))
    else:
        ledger = report.ledger
        out.print(
            f"documents: {ledger.get('total', 0)}   canonical: {ledger.get('canonical', 0)}   "
            f"duplicate: {ledger.get('duplicate', 0)}   failed: {ledger.get('failed', 0)}   "
            f"pending: {ledger.get('pending', 0)}   index records: {report.info.get('index_records', 0)}",
            highlight=False, soft_wrap=True,
        )
        if found is not report:
            for kind, ids in found.problems.items():
                out.print(f"[yellow]found:[/] {len(ids)} {PROBLEMS.get(kind, kind)}", highlight=False)
            out.print(f"[green]repaired:[/] {json.dumps(report.repaired)}", highlight=False)
        for kind, ids in sorted(report.problems.items()):
            sample = ", ".join(str(i) for i in ids[:10]) + (" ..." if len(ids) > 10 else "")
            hint = "" if kind in MENDABLE else " (not mendable by --repair)"
            out.print(f"[red]{len(ids)} {PROBLEMS.get(kind, kind)}{hint}:[/] {sample}", highlight=False, soft_wrap=True)
        if report.ok:
            out.print("[green]consistent[/]")
        elif not repair and any(k in MENDABLE for k in report.problems):
            err.print("run `corpus verify --repair` to mend what can be mended", highlight=False)
    raise typer.Exit(OK if report.ok else FAILURES)


def reindex() -> None:
    """Rebuild the Redis duplicate index from the store (clear it, then insert every stored
    fingerprint in id order). Use after Redis lost its data or the dedup parameters changed."""
    rt = runtime()
    with progress() as bar:
        task = bar.add_task("reindexing", total=None)
        n = guard(lambda: rebuild(rt.engine, rt.bare_index, on_total=lambda total: bar.update(task, total=total),
                                     on_progress=lambda k: bar.advance(task, k)))
    err.print(f"indexed {n} document(s)", highlight=False)
    raise typer.Exit(OK)
