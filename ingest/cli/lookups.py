"""Look-up commands: ``failures`` (failed documents and why), ``retry`` (try them again)
and ``show`` (one article, its copies, and why each is a copy)."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from ingest.cli.console import FAILURES, OK, err, fail, out, services
from ingest.cli.events import parse_since
from models.db import read_scope
from workers.ops.forget import forget as forget_article
from workers.ops.failures import failure_count, list_failures, retry as retry_failed
from workers.ops.lookup import NotFound, detail, resolve


def register(app: typer.Typer) -> None:
    app.command()(failures)
    app.command()(retry)
    app.command()(show)
    app.command()(forget)


def failures(
    since: Annotated[Optional[str], typer.Option(help="Only failures at or after this: a duration (72h, 7d) or a date (2026-01-20).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per failed document.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, most recent first.")] = 50,
) -> None:
    """Failed documents, most recent first, with the reason each failed.

    Exit code 0 when there are none, 1 when there are some. Examples:

      corpus failures --since 24h

      corpus failures --json | jq -r .error | sort | uniq -c

      corpus retry --since 24h
    """
    cutoff = parse_since(since)
    with services() as rt:
        found = list_failures(rt.engine, since=cutoff, limit=limit)
        total = failure_count(rt.engine, since=cutoff)
    if as_json:
        for item in found:
            print(json.dumps(item, ensure_ascii=False))
        raise typer.Exit(FAILURES if found else OK)
    if not found:
        out.print("no failed documents" + (f" since {since}" if since else ""), highlight=False)
        raise typer.Exit(OK)
    if out.is_terminal:
        table = Table(title=f"failed documents ({total})", title_justify="left")
        for column in ("id", "source", "when", "reason"):
            table.add_column(column, justify="right" if column == "id" else "left",
                             overflow="fold" if column in ("reason", "source") else "ellipsis")
        for item in found:
            table.add_row(str(item["id"]), item["source"], (item["at"] or "")[:19], item["error"] or "")
        out.print(table)
    else:
        for item in found:
            print(f"{item['id']}\t{item['source']}\t{item['at'] or ''}\t{item['error'] or ''}")
    if total > len(found):
        err.print(f"{total - len(found)} more not shown (--limit)", highlight=False)
    err.print("retry with: corpus retry ID... | corpus retry --since 24h | corpus retry --all", highlight=False)
    raise typer.Exit(FAILURES)


def retry(
    ids: Annotated[Optional[list[int]], typer.Argument(metavar="[ID]...", help="Document ids (from corpus failures).", show_default=False)] = None,
    since: Annotated[Optional[str], typer.Option(help="Every document failed at or after this (72h, 2026-01-20).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every failed document.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"retried", "not_retryable", "not_failed"}.')] = False,
) -> None:
    """Set failed documents back to pending and enqueue them again.

    Worth it after a fix to the cleaner, a new site model or a transient fault. A record
    refused at the door (a bad JSON line, a CSV row without text) holds only its bad bytes:
    it stays failed (counted as not retryable); fix the input and ingest it again. Examples:

      corpus retry 412 413

      corpus retry --since 24h && corpus status

      corpus retry --all --json
    """
    if sum(bool(x) for x in (ids, since, all_)) != 1:
        raise fail("give document IDs, --since or --all (one of them)")
    cutoff = parse_since(since)
    with services() as rt:
        rt.broker  # noqa: B018 - fail here, naming the variable to fix
        done = retry_failed(rt, ids=list(ids) if ids else None, since=cutoff)
    if as_json:
        print(json.dumps(done))
    else:
        line = f"retried {done['retried']} document(s)"
        if done["not_retryable"]:
            line += f"; {done['not_retryable']} refused at the door left failed (re-ingest the fixed input)"
        if done["not_failed"]:
            line += f"; {done['not_failed']} id(s) not failed (or unknown)"
        print(line + "; follow with: corpus status")
    raise typer.Exit(OK)


def show(
    ref: Annotated[str, typer.Argument(metavar="ID|URL|SOURCE", help="An article id, or the URL or source of any of its documents.")],
    as_json: Annotated[bool, typer.Option("--json", help="The article, its copies and their evidence as JSON.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Print the whole text, not its first lines.")] = False,
) -> None:
    """One article: its text, its copies, and for each copy why it is one.

    For every copy: the rule that linked it and its threshold, the similarity the worker
    estimated (MinHash), the exact Jaccard and containment of the two texts' word
    5-shingles, and the longest passages they share. Examples:

      corpus show 42

      corpus show https://example.com/2026/harbour-reopens

      corpus show seeds/003_a7f81f6fd957c2d8.txt --json | jq '.copies[].rule'
    """
    with services() as rt:
        with read_scope(rt.engine) as session:
            try:
                article, _ = resolve(session, ref)
            except NotFound as exc:
                raise fail(str(exc), FAILURES) from None
            record = detail(session, article)
    if as_json:
        print(json.dumps(record, ensure_ascii=False))
        raise typer.Exit(OK)
    event = record.get("event")
    print(f"article {record['id']}: {record['title'] or '(no title)'}")
    print(f"  source: {record['source']}  (document {record['canonical_document_id']})")
    if record["metadata"].get("site"):
        print(f"  site: {record['metadata']['site']}")
    if event:
        print(f"  event: {event['id']} ({event['size']} article(s))")
    text = record["text"] or ""
    if not full:
        lines = text.splitlines()
        text = "\n".join(lines[:6]) + (f"\n[... {len(lines) - 6} more line(s); --full for all]" if len(lines) > 6 else "")
    print()
    print(text)
    print()
    print(f"copies: {len(record['copies'])}")
    for copy in record["copies"]:
        print(f"- {copy['source']}  (document {copy['document_id']}{', ' + copy['site'] if copy['site'] else ''})")
        print(f"    rule: {copy['rule']}")
        print(f"    estimated similarity {copy['estimated_similarity']:.2f}; exact Jaccard {copy['exact_jaccard']:.2f}, "
              f"containment {copy['exact_containment']:.2f} ({copy['shingles']['shared']} of "
              f"{copy['shingles']['copy']} shingles shared)")
        for match in copy["matches"]:
            print(f"    matched {match['with']}: {match['kind']} {match['similarity']:.2f}")
        for passage in copy["shared_passages"]:
            print(f"    shared ({passage['words']} words): {passage['text']}")
    raise typer.Exit(OK)


def forget(
    ref: Annotated[str, typer.Argument(metavar="ID|URL|SOURCE", help="An article id, or the URL or source of any of its documents.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"article_id", "documents", "index_removed"}.')] = False,
) -> None:
    """Forget an article for a takedown: its canonical, every copy, their index entries.

    The documents and their raw bytes are deleted, the article leaves its event (which is
    recomputed) and stays only as a tombstone id, and no later document is linked to them.
    Examples:

      corpus forget https://example.com/2026/story --yes

      corpus forget 42 --json
    """
    with services() as rt:
        rt.index  # noqa: B018 - fail here, naming the variable to fix
        if not yes:
            with read_scope(rt.engine) as session:
                try:
                    article, _ = resolve(session, ref)
                except NotFound as exc:
                    raise fail(str(exc), FAILURES) from None
                copies = len(detail(session, article)["copies"])
            if not typer.confirm(f"forget article {article.id} and its {copies} copy(ies) for good?", default=False,
                                 err=True):
                raise fail("not forgotten", FAILURES)
        try:
            done = forget_article(rt, ref)
        except NotFound as exc:
            raise fail(str(exc), FAILURES) from None
    if as_json:
        print(json.dumps(done, ensure_ascii=False))
    else:
        print(f"forgot article {done['article_id']}: {len(done['documents'])} document(s), "
              f"{done['index_removed']} index record(s)")
        for document in done["documents"]:
            print(f"  {document['id']}\t{document['source']}")
    raise typer.Exit(OK)
