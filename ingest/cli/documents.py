"""Document commands: ``ingest`` (record and enqueue files, optionally waiting for the
outcome) and ``clean`` (see what the cleaner keeps, nothing stored)."""

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
from redis.exceptions import RedisError
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from ingest import readers
from ingest.formats import Columns
from ingest.cli.console import FAILURES, OK, err, fail, out, progress, services
from ingest.intake import Intake
from models.db import chunked, read_scope
from models.events import event_failures, events_assigned, pending_mark
from models.tables import CANONICAL, DUPLICATE, LINKED, Document
from workers.keys import QUEUE, broker_namespace
from workers.queue.counters import settled_total
from workers.queue.stats import held_document_ids
from workers.queue.registry import alive_workers
from workers.settings import Settings


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(clean)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders; folders are read recursively.", show_default=False)],
    wait: Annotated[bool, typer.Option("--wait", help="Block until every document is processed (a re-clean of their sites it sets off included); starts local workers if none is alive.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON instead of a table.")] = False,
    timeout: Annotated[Optional[float], typer.Option(help="With --wait: give up after this many seconds (exit 1).")] = None,
    text_column: Annotated[str, typer.Option("--text-column", help="Parquet/CSV: the column of the text (an 'html' column is used when there is no 'text').", rich_help_panel="Tables (Parquet, CSV)")] = "text",
    id_column: Annotated[str, typer.Option("--id-column", help="Parquet/CSV: a row id, used in the source when there is no URL ('' for none).", rich_help_panel="Tables (Parquet, CSV)")] = "id",
    url_column: Annotated[str, typer.Option("--url-column", help="Parquet/CSV: the URL column ('' for none).", rich_help_panel="Tables (Parquet, CSV)")] = "url",
    title_column: Annotated[str, typer.Option("--title-column", help="Parquet/CSV: the title column ('' for none).", rich_help_panel="Tables (Parquet, CSV)")] = "title",
    date_column: Annotated[str, typer.Option("--date-column", help="Parquet/CSV: the publication date column ('' for none).", rich_help_panel="Tables (Parquet, CSV)")] = "published",
    site_column: Annotated[str, typer.Option("--site-column", help="Parquet/CSV: the site column ('' for none).", rich_help_panel="Tables (Parquet, CSV)")] = "site",
    rows: Annotated[int, typer.Option("--rows", min=0, help="With --wait: show at most this many documents (0: all); the totals always.")] = 50,
    stdin_format: Annotated[str, typer.Option("--stdin-format", help="What '-' (standard input) holds: jsonl or csv.")] = "jsonl",
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help="Also read symbolic links that lead outside the folders given (by default only links resolving inside them are read).")] = False,
) -> None:
    """Record and enqueue every supported file under PATHS ('-' reads standard input).

    Supported: .txt .md .html .htm, .json (one record) and .jsonl (one record a line:
    {"text" or "html", "url", "title", "published", "site", "metadata"}), .warc and
    .warc.gz (HTML responses), .parquet, .csv and .tsv (one record a row: a text column
    and optional id/url/title/published/site columns, named by the --*-column flags;
    other columns go into the metadata), each optionally gzip-compressed (.gz; .zst for
    JSON, JSON Lines and CSV). Containers are streamed; a bad line, row or WARC record
    fails alone, with its position. The same file ingested twice is one document. Only
    regular files are read: FIFOs, sockets, devices, symbolic links out of the folder,
    loops and broken links are reported with their reason and never opened. The summary
    goes to standard output, warnings to standard error. Examples:

      corpus ingest seeds/ --wait

      corpus ingest crawl/2026-11-24/ && corpus status

      corpus ingest train.parquet --text-column content --url-column link

      zcat dump.jsonl.gz | corpus ingest - --json
    """
    if stdin_format not in ("jsonl", "csv"):
        raise fail(f"--stdin-format: expected jsonl or csv, got {stdin_format!r}")
    columns = Columns(text=text_column, id=id_column or None, url=url_column or None,
                      title=title_column or None, published=date_column or None, site=site_column or None)
    stdin = any(str(p) == "-" for p in paths)
    paths = [p for p in paths if str(p) != "-"]
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
                    intake.add_all(readers.documents(path, stats=stats, columns=columns))
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
            if stdin:
                try:
                    intake.add_all(readers.documents(Path("-"), source="stdin", stats=stats, columns=columns,
                                                     as_format=stdin_format))
                except readers.ReadError as exc:
                    unreadable.append(str(exc))
                    err.print(f"[red]skipped:[/] {exc}", highlight=False)
            intake.flush()
        if unsupported:
            err.print(f"not read: {len(unsupported)} file(s) of a type corpus does not read "
                      f"(e.g. {unsupported[0]}; supported: {', '.join(readers.SUPPORTED)})", highlight=False)
        if not files and not unreadable and not stdin:
            raise fail("nothing to ingest: no supported files under the given paths "
                       f"(supported: {', '.join(readers.SUPPORTED)})")
        totals = {"files": len(files), "documents": len(ids), **tally, "skipped": stats.skipped,
                  "unreadable": unreadable, "unsupported": unsupported, "no_documents": no_documents}
        if not wait:
            # only when something waits for a worker: files already stored and settled need none
            workers = len(alive_workers(rt.redis, rt.settings.namespace)) if tally["enqueued"] else None
            if workers == 0:
                err.print("[yellow]warning:[/] no worker is alive: the documents wait in the queue until one "
                          "starts (corpus worker), or use --wait", highlight=False)
            if as_json:
                print(json.dumps({**totals, "workers_alive": workers}, ensure_ascii=False))
            else:
                print(ingest_line(totals) + ("; follow with: corpus status, corpus failures" if tally["enqueued"] else ""))
            raise typer.Exit(FAILURES if unreadable else OK)
        outcome = wait_for(rt, ids, timeout=timeout)
        report(rt, ids, outcome, as_json=as_json, totals=totals, cap=rows or None)
        failed = any(status == "failed" for status in outcome.values())
        unfinished = any(status == "pending" for status in outcome.values())
        raise typer.Exit(FAILURES if failed or unfinished or unreadable else OK)


# How often ``--wait`` reads the settled-documents counter (one HMGET), and how long it trusts
# the counter alone before reading the store anyway (the counter is best effort: a failed
# metrics write must not leave the command waiting forever).
WAIT_TICK_S = 0.2
STORE_CHECK_S = 5.0
# How often ``--wait``, its documents settled, looks again: at a message a worker still holds
# (acked milliseconds after the counter moves: one Redis script a look), at a site still being
# re-cleaned (one query of the store a look).
HELD_TICK_S = 0.02
RECLEAN_TICK_S = 0.5


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


def progress_of(session, ids) -> dict[int, str]:
    """Each document's status, ``pending`` for one still on its way: not settled yet, or
    settled and sent back for cleaning (an automatic re-clean, ``workers.sites.reopen``: it
    keeps its status until re-linked, and its stage says it is not linked)."""
    found: dict[int, str] = {}
    for chunk in chunked(ids):
        rows = session.execute(select(Document.id, Document.status, Document.stage).where(Document.id.in_(chunk)))
        found.update((i, "pending" if status in (CANONICAL, DUPLICATE) and stage != LINKED else status)
                     for i, status, stage in rows)
    return found


def sites_of(session, ids) -> set[str]:
    return {site for chunk in chunked(ids)
            for site in session.scalars(select(Document.site).where(Document.id.in_(chunk)).distinct()) if site}


def recleaning(rt, ids, sites: set[str]) -> str | None:
    """Whether a re-clean these documents may have set off is still under way: a message a
    worker holds carries one of them (its batch, between its link and its ack, may yet send
    its site back for cleaning: ``workers.pipeline.reclean_outgrown``), or a document of
    their ``sites`` is settled but sent back for cleaning. The held messages are read first:
    a batch acked after that read committed its re-clean before, and the store read sees it.
    Returns which (``held``, ``sites``), None when neither."""
    try:
        held = held_document_ids(rt.redis, broker_namespace(rt.settings.namespace), QUEUE)
    except RedisError:  # Redis away for a moment: the store still tells the re-clean
        held = set()
    if not held.isdisjoint(ids):
        return "held"
    if not sites:
        return None
    with read_scope(rt.engine) as session:
        sent_back = session.scalar(select(Document.id).where(
            Document.site.in_(sorted(sites)), Document.status.in_((CANONICAL, DUPLICATE)), Document.stage != LINKED,
        ).limit(1))
    return "sites" if sent_back is not None else None


def wait_for(rt, ids: dict[int, str], *, timeout: float | None) -> dict[int, str]:
    """Wait until every id is canonical, duplicate or failed, and any re-clean of their sites
    is done (``recleaning``: a site's chrome learned meanwhile sends its earlier pages back for
    cleaning); run local workers meanwhile if no worker is alive.

    The store is read once, then only when the workers' settled counter (Redis,
    ``workers.queue.counters.settled_total``) has grown by as many documents as were still
    pending at the last read -- or every ``STORE_CHECK_S`` -- instead of re-reading the
    status of every unsettled id every tick (which cost the command 39 % of its CPU). The
    counter is read just before each store read, so a document settled in between is
    counted and also seen settled: the next read may come early, never late. A document
    still being re-cleaned when the time is up is ``pending`` in the outcome."""
    local = None
    with read_scope(rt.engine) as session:
        pending = any(status == "pending" for status in progress_of(session, ids).values())
        sites = sites_of(session, ids) if not pending else None  # known once they are cleaned
    if (pending or recleaning(rt, ids, sites or set()) is not None) and not alive_workers(rt.redis, rt.settings.namespace):
        local = start_local_workers()  # not for files already stored and settled: nothing to do
    deadline = None if timeout is None else time.monotonic() + timeout
    current: dict[int, str] = {}
    waiting = list(ids)  # settled documents stay settled (a re-clean aside): ask only about the others
    looked_again = False

    def counter() -> int | None:
        try:
            return settled_total(rt.redis, rt.settings.namespace)
        except RedisError:  # Redis unreachable for a moment: read the store each tick meanwhile
            return None

    try:
        with progress() as bar:
            task = bar.add_task("processing", total=len(ids))
            while True:
                mark = counter()
                with read_scope(rt.engine) as session:  # without taking the workers' write lock
                    current.update(progress_of(session, waiting))
                    waiting = [i for i in waiting if current.get(i, "pending") == "pending"]
                    if not waiting and sites is None:  # cleaned by now: their sites are known
                        sites = sites_of(session, ids)
                done = len(ids) - len(waiting)
                bar.update(task, completed=done)
                if not waiting:
                    under_way = recleaning(rt, ids, sites or set())
                    if under_way is None:
                        if looked_again:  # re-linked meanwhile? a copy may now be the canonical, or the other way
                            with read_scope(rt.engine) as session:
                                current.update(progress_of(session, ids))
                        break
                    looked_again = True
                    if local is not None and local.poll() is not None:
                        raise fail(f"the local workers exited with code {local.returncode}")
                    if deadline is not None and time.monotonic() > deadline:
                        err.print("[yellow]timed out:[/] the documents are settled, their sites still being re-cleaned")
                        with read_scope(rt.engine) as session:
                            current.update(progress_of(session, ids))
                        return current
                    time.sleep(HELD_TICK_S if under_way == "held" else RECLEAN_TICK_S)
                    continue
                checked = time.monotonic()
                while True:
                    if local is not None and local.poll() is not None:
                        raise fail(f"the local workers exited with code {local.returncode}")
                    if deadline is not None and time.monotonic() > deadline:
                        err.print(f"[yellow]timed out:[/] {len(waiting)} document(s) still pending")
                        return current
                    time.sleep(WAIT_TICK_S)
                    now = counter()
                    if mark is None or now is None:
                        break
                    bar.update(task, completed=done + min(max(now - mark, 0), len(waiting)))
                    if now - mark >= len(waiting) or time.monotonic() - checked >= STORE_CHECK_S:
                        break
            if not wait_for_events(rt, deadline):
                err.print("[yellow]timed out:[/] the documents are settled, their events still being assigned")
    finally:
        if local is not None:
            stop_local_workers(local)
    return current


def wait_for_events(rt, deadline: float | None) -> bool:
    """After the documents: until the articles they settled have their event (the workers
    assign events in batches just after linking, ``workers.events``), so that ``corpus
    events`` or the export right after ``--wait`` shows them. One read of the outbox by
    primary key a tick; False on the deadline."""
    with read_scope(rt.engine) as session:
        mark = pending_mark(session)
    while True:
        with read_scope(rt.engine) as session:
            if events_assigned(session, mark):
                failed, reason = event_failures(session, mark)
                if failed:
                    err.print(f"[yellow]warning:[/] {failed} article(s) could not be given an event ({escape(reason or '')}); "
                              "`corpus events rebuild` tries them again", highlight=False)
                return True
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(WAIT_TICK_S)


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


def report(rt, ids: dict[int, str], outcome: dict[int, str], *, as_json: bool, totals: dict,
           cap: int | None = 50) -> None:
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
    shown = documents if cap is None else documents[:cap]

    def outcome_of(d) -> str:
        if d["status"] == "duplicate":
            return f"duplicate ({d['kind']}, {d['similarity']:.2f})"
        return d["status"]

    if out.is_terminal:
        table = Table(title="corpus ingest", show_lines=False)
        for column in ("document", "outcome", "article", "chrome lines removed"):
            table.add_column(column, justify="right" if column != "document" else "left",
                             overflow="fold" if column == "document" else "ellipsis")
        for d in shown:
            outcome_text = "[red]failed[/]" if d["status"] == "failed" else outcome_of(d)
            table.add_row(escape(d["source"]), outcome_text, str(d["article_id"] or "-"), str(d["removed_lines"]))
        out.print(table)
    else:  # a file or a pipe: one tab-separated line a document, names never cut
        print("document\toutcome\tarticle\tchrome lines removed")
        for d in shown:
            print(f"{d['source']}\t{outcome_of(d)}\t{d['article_id'] or '-'}\t{d['removed_lines']}")
    if len(shown) < len(documents):
        print(f"... and {len(documents) - len(shown)} more document(s) (--rows N to show more, --json for all)")
    print(
        f"documents in: {len(documents)}   canonical articles: {counts['canonical']}   "
        f"duplicates: {counts['duplicate']}   failed: {counts['failed']}   pending: {counts['pending']}"
    )
    print(ingest_line(totals))
    failed = [d for d in documents if d["status"] == "failed"]
    for d in failed if cap is None else failed[:cap]:
        print(f"failed: {d['source']}: {d['error']}")
    if cap is not None and len(failed) > cap:
        print(f"... and {len(failed) - cap} more failure(s): corpus failures")


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

    Examples:

      corpus clean page.html --explain

      corpus clean story.txt > story.clean.txt

      corpus clean *.html --json | jq -r .title
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
        if not out.is_terminal:  # a file or a pipe: the text as it is, a header only between files
            if len(files) > 1:
                print(f"==> {path} <==")
            if cleaned.title:
                print(cleaned.title + "\n")
            print(cleaned.text)
            if explain:
                print(f"\nremoved {len(removed)} line(s):")
                for item in removed:
                    rule = f"{item['rule']}: {item['note']}" if item.get("note") else item["rule"]
                    print(f"  {rule:>22}  {item['text']}")
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
