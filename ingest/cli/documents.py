"""Document commands: ``ingest`` (record and enqueue files, optionally waiting for the
outcome), ``clean`` (see what the cleaner keeps, nothing stored) and ``export``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from ingest import readers
from ingest.cli.console import FAILURES, OK, err, fail, out, progress, services
from ingest.intake import Intake
from models.articles import article_record, live_articles
from models.db import chunked, read_scope
from models.documents import statuses
from models.tables import Document
from workers.queue.registry import alive_workers
from workers.settings import Settings


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(clean)
    app.command()(export)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders; folders are read recursively.", show_default=False)],
    wait: Annotated[bool, typer.Option("--wait", help="Block until every document is processed; starts local workers if none is alive.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON instead of a table.")] = False,
    timeout: Annotated[Optional[float], typer.Option(help="With --wait: give up after this many seconds (exit 1).")] = None,
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help="Also read symbolic links that lead outside the folders given (by default only links resolving inside them are read).")] = False,
) -> None:
    """Record and enqueue every supported file under PATHS.

    Supported: .txt .md .html .htm, .json (one record) and .jsonl (one record a line:
    {"text" or "html", "url", "title", "published", "site", "metadata"}), .warc and
    .warc.gz (HTML responses), each optionally gzip-compressed (.gz). Containers are
    streamed; a bad line or WARC record fails alone, with its line or offset. The same
    file ingested twice is one document. Only regular files are read: FIFOs, sockets,
    devices, symbolic links out of the folder, loops and broken links are reported with
    their reason and never opened. Examples:

      corpus ingest seeds/ --wait

      corpus ingest crawl/2026-11-24/ && corpus status
    """
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise fail(f"no such file or directory: {', '.join(missing)}")
    unsupported_named = [str(p) for p in paths if p.is_file() and readers.format_of(p) is None]
    if unsupported_named:
        raise fail(f"unsupported file type: {', '.join(unsupported_named)} "
                   f"(supported: {', '.join(readers.SUPPORTED)})")
    with services() as rt:
        rt.engine, rt.broker  # noqa: B018 - fail here, naming the variable to fix
        passed: list[readers.Passed] = []
        files = list(readers.walk(paths, follow_symlinks=follow_symlinks, passed=passed))
        stats = readers.ReadStats()
        unreadable = [str(entry) for entry in passed if entry.unreadable]
        unsupported = [str(entry.path) for entry in passed if not entry.unreadable]
        for entry in unreadable:
            err.print(f"[red]skipped:[/] {entry}", highlight=False)
        no_documents: list[str] = []  # files read whole that gave no document, with the reason
        ids: dict[int, str] = {}
        tally = {"enqueued": 0, "already_stored": 0, "failed_at_door": 0}

        def remember(recorded) -> None:
            for item in recorded:
                if item.id in ids:
                    continue
                ids[item.id] = item.document.source
                if item.document.error is not None:
                    tally["failed_at_door" if item.new else "already_stored"] += 1
                elif item.new or item.status == "pending":
                    tally["enqueued"] += 1
                else:
                    tally["already_stored"] += 1

        intake = Intake(rt, on_recorded=remember)
        with progress(transient=True) as bar:
            task = bar.add_task("recording", total=len(files))
            for path in files:
                before, skipped_before = stats.documents, stats.skipped
                try:
                    intake.add_all(readers.documents(path, stats=stats))
                except readers.ReadError as exc:
                    unreadable.append(str(exc))
                    err.print(f"[red]skipped:[/] {exc}", highlight=False)
                else:
                    if stats.documents == before:
                        skipped = stats.skipped - skipped_before
                        why = (f"{skipped} record(s) that are not documents (requests, metadata, images, "
                               "error pages)" if skipped else "no records (empty, or blank lines only)")
                        no_documents.append(f"{path}: no documents in this file: {why}")
                        err.print(f"[yellow]no documents:[/] {path}: {why}", highlight=False)
                bar.advance(task)
            intake.flush()
        if unsupported:
            err.print(f"not read: {len(unsupported)} file(s) of a type corpus does not read "
                      f"(e.g. {unsupported[0]}; supported: {', '.join(readers.SUPPORTED)})", highlight=False)
        if not files and not unreadable:
            raise fail("nothing to ingest: no supported files under the given paths "
                       f"(supported: {', '.join(readers.SUPPORTED)})")
        totals = {"files": len(files), "documents": len(ids), **tally, "skipped": stats.skipped,
                  "unreadable": unreadable, "unsupported": unsupported, "no_documents": no_documents}
        if not wait:
            if as_json:
                print(json.dumps(totals, ensure_ascii=False))
            else:
                err.print(ingest_line(totals) + ("; follow with: corpus status" if tally["enqueued"] else ""),
                          highlight=False)
            raise typer.Exit(FAILURES if unreadable else OK)
        outcome = wait_for(rt, ids, timeout=timeout)
        report(rt, ids, outcome, as_json=as_json, totals=totals)
        failed = any(status == "failed" for status in outcome.values())
        unfinished = any(status == "pending" for status in outcome.values())
        raise typer.Exit(FAILURES if failed or unfinished or unreadable else OK)


def ingest_line(totals: dict) -> str:
    """``enqueued 3 document(s), 2 already stored, ...``: every input accounted for."""
    parts = [f"enqueued {totals['enqueued']} document(s)"]
    if totals["already_stored"]:
        parts.append(f"{totals['already_stored']} already stored (nothing to do)")
    if totals["failed_at_door"]:
        parts.append(f"{totals['failed_at_door']} failed as read (bad lines or records; reasons in the store)")
    if totals["skipped"]:
        parts.append(f"{totals['skipped']} record(s) that are not documents skipped")
    for key, label in (("unreadable", "unreadable"), ("no_documents", "file(s) without documents"),
                       ("unsupported", "file(s) of unsupported types")):
        if totals[key]:
            parts.append(f"{len(totals[key])} {label}")
    return ", ".join(parts)


def wait_for(rt, ids: dict[int, str], *, timeout: float | None) -> dict[int, str]:
    """Poll the store until every id is canonical, duplicate or failed; run local
    workers meanwhile if no worker is alive."""
    local = None
    with read_scope(rt.engine) as session:
        pending = any(status == "pending" for status in statuses(session, ids).values())
    if pending and not alive_workers(rt.redis, rt.settings.namespace):
        local = start_local_workers()  # not for files already stored and settled: nothing to do
    deadline = None if timeout is None else time.monotonic() + timeout
    current: dict[int, str] = {}
    waiting = list(ids)  # settled documents stay settled: ask only about the others
    try:
        with progress() as bar:
            task = bar.add_task("processing", total=len(ids))
            while True:
                with read_scope(rt.engine) as session:  # polls without taking the workers' write lock
                    current.update(statuses(session, waiting))
                waiting = [i for i in waiting if current.get(i, "pending") == "pending"]
                done = sum(1 for s in current.values() if s != "pending")
                bar.update(task, completed=done)
                if done == len(ids):
                    break
                if local is not None and local.poll() is not None:
                    raise fail(f"the local workers exited with code {local.returncode}")
                if deadline is not None and time.monotonic() > deadline:
                    err.print(f"[yellow]timed out:[/] {len(ids) - done} document(s) still pending")
                    break
                time.sleep(0.2)
    finally:
        if local is not None:
            stop_local_workers(local)
    return current


def start_local_workers() -> subprocess.Popen:
    processes = max(1, min(os.cpu_count() or 1, 4))
    err.print(f"no worker alive: starting {processes} local worker process(es) for this run", highlight=False)
    return subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "worker", "--processes", str(processes), "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_local_workers(local: subprocess.Popen) -> None:
    if local.poll() is None:
        local.send_signal(signal.SIGTERM)
        try:
            local.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(local.pid, signal.SIGKILL)
            local.wait()


def report(rt, ids: dict[int, str], outcome: dict[int, str], *, as_json: bool, totals: dict) -> None:
    columns = (Document.id, Document.source, Document.status, Document.kind, Document.similarity,
               Document.article_id, Document.error, Document.removed)
    with read_scope(rt.engine) as session:
        rows = [row for chunk in chunked(ids) for row in session.execute(select(*columns).where(Document.id.in_(chunk)))]
    rows.sort(key=lambda r: (r.source, r.id))
    documents = [
        {"id": r.id, "source": r.source, "status": r.status, "article_id": r.article_id, "kind": r.kind,
         "similarity": None if r.similarity is None else round(r.similarity, 4),
         "removed_lines": len(r.removed or []), "error": r.error}
        for r in rows
    ]
    counts = {status: sum(1 for d in documents if d["status"] == status)
              for status in ("canonical", "duplicate", "failed", "pending")}
    summary = {**totals, "documents": len(documents), **counts}
    if as_json:
        print(json.dumps({"summary": summary, "documents": documents}, ensure_ascii=False))
        return
    table = Table(title="corpus ingest", show_lines=False)
    for column in ("document", "outcome", "article", "chrome lines removed"):
        table.add_column(column, justify="right" if column != "document" else "left")
    for d in documents:
        outcome_text = d["status"]
        if d["status"] == "duplicate":
            outcome_text = f"duplicate ({d['kind']}, {d['similarity']:.2f})"
        elif d["status"] == "failed":
            outcome_text = "[red]failed[/]"
        table.add_row(d["source"], outcome_text, str(d["article_id"] or "-"), str(d["removed_lines"]))
    out.print(table)
    out.print(
        f"documents in: {len(documents)}   canonical articles: {counts['canonical']}   "
        f"duplicates: {counts['duplicate']}   failed: {counts['failed']}   pending: {counts['pending']}",
        highlight=False,
    )
    out.print(ingest_line(totals), highlight=False)
    for d in documents:
        if d["status"] == "failed":
            out.print(f"[red]failed:[/] {d['source']}: {d['error']}", highlight=False)


def clean(
    files: Annotated[list[Path], typer.Argument(help="Files to clean (same formats as ingest).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file: source, title, text, removed, metadata.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Also show each removed line and the rule that removed it.")] = False,
) -> None:
    """Clean files without storing them, to see what the pipeline keeps.

    Over many files of one site it looks at all of them first, as the service learns from a
    site's stream: lines that recur at the edges of different stories are that site's chrome
    (rule site-repeated). A file's site is its record's own, else its folder's name.
    A file that cannot be read or parsed is reported ({"source", "error"} with --json);
    the others are still cleaned, and the exit code is 1.
    """
    # The cleaning rules, trafilatura and the fingerprint code: only this command needs them.
    from workers.steps.cleaning import SiteLearner
    from workers.steps.decode import BadInput, decode, gunzip
    from workers.steps.prepare import clean as clean_one

    limit = Settings.from_env().max_document_bytes
    failures = 0
    readable: list[tuple[Path, str, str, str]] = []
    for path in files:
        try:
            if path.is_dir():
                raise readers.ReadError(f"{path}: is a directory")
            document = readers.read(path)
            data = gunzip(document.data, limit) if document.gzipped else document.data
            readable.append((path, document.format, decode(data), document.site or path.resolve().parent.name))
        except (readers.ReadError, BadInput) as exc:
            failures += 1
            message = str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}"
            if as_json:
                print(json.dumps({"source": str(path), "error": message}, ensure_ascii=False))
            else:
                err.print(f"[red]error:[/] {message}", highlight=False)
    learner = SiteLearner()
    if len(readable) > 1:  # first pass: learn each site's chrome from all its files
        for _, fmt, text, site in readable:
            learner.observe(site, clean_one(fmt, text, url=None, site=None, observe=True).evidence)
    for path, fmt, text, site in readable:
        learned = learner.lines(site)
        cleaned = clean_one(fmt, text, url=None, site=None, learned=learned)
        removed = [{"text": r.text, "rule": r.rule, **({"note": r.note} if r.note else {})} for r in cleaned.removed]
        if as_json:
            print(json.dumps({"source": str(path), "title": cleaned.title, "text": cleaned.text,
                              "removed": removed, "metadata": cleaned.metadata}, ensure_ascii=False))
            continue
        out.rule(str(path))
        if cleaned.title:
            out.print(f"[bold]{cleaned.title}[/]", highlight=False)
            out.print()
        out.print(cleaned.text, highlight=False, markup=False)
        if explain:
            out.print()
            out.print(f"[dim]removed {len(removed)} line(s):[/]")
            for item in removed:
                rule = f"{item['rule']}: {item['note']}" if item.get("note") else item["rule"]
                out.print(f"  [yellow]{rule:>22}[/]  {escape(item['text'][:160])}", highlight=False, markup=True)
    raise typer.Exit(FAILURES if failures else OK)


def export(
    out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of standard output.")] = None,
    since: Annotated[int, typer.Option(help="Only articles created or changed after this change cursor.")] = 0,
) -> None:
    """Write canonical articles as JSON Lines, each with its duplicates.

    Each line: {"id", "title", "text", "source", "duplicates": [{"source", "kind",
    "similarity"}], "metadata", "change_seq"}. Pass the largest change_seq you saw as
    --since to get only what changed after it.
    """
    with services() as rt:
        engine = rt.engine
        handle = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout
        written = 0
        try:
            with read_scope(engine) as session:
                for article in live_articles(session, since=since):
                    handle.write(json.dumps(article_record(session, article), ensure_ascii=False) + "\n")
                    written += 1
        finally:
            if out_file:
                handle.close()
        if out_file:
            err.print(f"wrote {written} article(s) to {out_file}", highlight=False)
