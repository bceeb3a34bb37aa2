"""Event commands: ``corpus events`` (list), ``corpus events show ID`` (why each article is
there), ``corpus events rebuild`` (assign events to articles stored before events existed)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Annotated, Optional

import typer
from rich.table import Table
from sqlalchemy import or_, select, update

from ingest.cli.console import OK, fail, out, services
from models.db import read_scope, session_scope
from models.events import event_detail, event_failures, events_assigned, list_events, pending_mark
from models.tables import Article, EventMember, EventOutbox

events_app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str | None, *, now: float | None = None) -> float | None:
    """``72h``, ``7d``, ``30m`` (before now) or a date/time (``2026-01-20``, ISO 8601) -> epoch seconds."""
    if value is None:
        return None
    match = _DURATION.match(value.strip())
    if match:
        return (time.time() if now is None else now) - float(match.group(1)) * _UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"expected a duration (72h, 7d) or a date (2026-01-20), got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


@events_app.callback()
def events(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event.")] = False,
    since: Annotated[Optional[str], typer.Option(help="Only events with an article at or after this: a duration (72h, 7d) or a date (2026-01-20).")] = None,
    min_size: Annotated[int, typer.Option("--min-size", min=1, help="Only events of at least this many articles.")] = 1,
    limit: Annotated[Optional[int], typer.Option(min=1, help="At most this many events (largest first).")] = None,
) -> None:
    """List events, largest first: their articles, sites and time span.

    An event is the set of canonical articles about one happening (copies are duplicates of
    their article, not members). Times are the articles' published dates, else their arrival.
    Examples:

      corpus events --since 72h --min-size 2

      corpus events --json | jq '.articles[].title'

      corpus events show 42
    """
    if ctx.invoked_subcommand is not None:
        return
    cutoff = parse_since(since)
    with services() as rt:
        with read_scope(rt.engine) as session:
            found = list_events(session, since=cutoff, min_size=min_size, limit=limit)
    if as_json:
        for event in found:
            print(json.dumps(event, ensure_ascii=False))
        raise typer.Exit(OK)
    table = Table(title=f"corpus events ({len(found)})")
    for column in ("event", "articles", "sites", "first", "last", "headlines"):
        table.add_column(column, justify="right" if column in ("event", "articles", "sites") else "left")
    for event in found:
        titles = "; ".join((a["title"] or a["source"] or "")[:60] for a in event["articles"][:3])
        more = f" (+{len(event['articles']) - 3})" if len(event["articles"]) > 3 else ""
        table.add_row(str(event["id"]), str(event["size"]), str(len(event["sites"])), (event["first"] or "")[:16],
                      (event["last"] or "")[:16], titles + more)
    out.print(table)


@events_app.command()
def show(
    event_id: Annotated[int, typer.Argument(help="An event id (an id merged into another event shows that one).")],
    as_json: Annotated[bool, typer.Option("--json", help="The event as one JSON object.")] = False,
) -> None:
    """Why each article is in the event: the article it was linked to, the score and the
    names, numbers and rare words they share. Examples:

      corpus events show 42

      corpus events show 42 --json | jq -r '.articles[].title'
    """
    with services() as rt:
        with read_scope(rt.engine) as session:
            detail = event_detail(session, event_id)
    if detail is None:
        raise fail(f"no event {event_id}", code=1)
    if as_json:
        print(json.dumps(detail, ensure_ascii=False))
        raise typer.Exit(OK)
    if detail.get("requested"):
        out.print(f"event {detail['requested']} was merged into event {detail['id']}", highlight=False)
    out.print(f"[bold]event {detail['id']}[/]: {detail['size']} article(s), {len(detail['sites'])} site(s), "
              f"{detail['first']} – {detail['last']}", highlight=False)
    for article in detail["articles"]:
        why = article.get("why", {})
        out.print(f"\n[bold]{article['id']}[/] {article['title'] or ''}  [dim]{article['site'] or ''} {article['at']}[/]",
                  highlight=False)
        out.print(f"   {article['source']}", highlight=False, markup=False)
        line = why.get("joined", "")
        if "score" in why:
            line += f": score {why['score']:.2f}; shared: {', '.join(why['shared'])}"
        out.print(f"   [yellow]{line}[/]", highlight=False)


@events_app.command()
def rebuild(
    batch: Annotated[int, typer.Option(min=1, help="Articles per transaction.")] = 500,
) -> None:
    """Assign events to every live article that has none (a store from before events, or
    after the event rule's version changed), and try again the articles whose assignment
    failed (``corpus status`` counts them). Safe to run while workers run: it goes through
    their event outbox, a batch at a time. Example:

      corpus events rebuild
    """
    from workers.events import drain, record_pending
    from workers.steps import events as rule

    with services() as rt:
        with session_scope(rt.engine) as session:  # the failed ones back into the outbox's queue
            retried, _ = event_failures(session)
            session.execute(update(EventOutbox).where(EventOutbox.error.is_not(None)).values(error=None))
        done, last = 0, 0
        while True:  # through the outbox, as the workers do: a failing article is set aside with its reason
            with session_scope(rt.engine) as session:
                ids = list(session.scalars(
                    select(Article.id).outerjoin(EventMember, EventMember.article_id == Article.id)
                    .where(Article.merged_into_id.is_(None), Article.canonical_document_id.is_not(None),
                           or_(EventMember.article_id.is_(None), EventMember.version != rule.VERSION),
                           Article.id > last).order_by(Article.id).limit(batch)))
                record_pending(session, ids)
                mark = pending_mark(session)
            while True:
                drain(rt.engine)
                with read_scope(rt.engine) as session:
                    if events_assigned(session, mark):
                        break
                time.sleep(0.2)  # another process drains: its commit comes
            if not ids:
                break
            done += len(ids)
            last = ids[-1]
        with read_scope(rt.engine) as session:
            failed, reason = event_failures(session)
        out.print(f"judged the events of {done} article(s)"
                  + (f"; retried {retried} that had failed" if retried else ""), highlight=False)
        if failed:
            raise fail(f"{failed} article(s) still could not be given an event: {reason}", code=1)
