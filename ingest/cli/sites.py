"""Per-site boilerplate commands: learn a site's model from the store, re-clean under it."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from ingest.cli.console import OK, out, services
from workers.queue.messages import enqueue


def register(app: typer.Typer) -> None:
    app.command()(learn)
    app.command()(reclean)


def learn(
    sites: Annotated[Optional[list[str]], typer.Option("--site", "-s", help="Learn only this site (repeatable); default: every site.")] = None,
    min_support: Annotated[int, typer.Option(min=2, help="A line must recur in at least this many of a site's documents (and 2% of them).")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per site.")] = False,
) -> None:
    """Learn each site's boilerplate lines from its stored documents.

    A line that recurs across many documents of one site (a footer every page carries) is
    that site's chrome. Counted per site, never across sites, so a story syndicated to many
    sites is never learned. A new model version is stored only when the lines changed;
    workers pick it up within 30 s, and `corpus reclean --site S` re-cleans the documents
    cleaned before it.

    Examples:

      corpus learn

      corpus learn --site example.com
    """
    from workers.sites import learn as learn_models  # the cleaning rules: this command only
    with services() as rt:
        summaries = learn_models(rt.engine, sites=sites or None, min_support=min_support,
                                 max_bytes=rt.settings.max_document_bytes)
    if as_json:
        for summary in summaries:
            print(json.dumps(summary))
        raise typer.Exit(OK)
    table = Table(title="site models")
    for column in ("site", "documents", "boilerplate lines", "version", ""):
        table.add_column(column)
    for s in summaries:
        table.add_row(s["site"], str(s["documents"]), str(s["lines"]), str(s["version"] or "-"),
                      "new" if s["new_version"] else "")
    out.print(table)


def reclean(
    site: Annotated[str, typer.Option("--site", "-s", help="The site whose documents to re-clean.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"site\", \"version\", \"reopened\"}.")] = False,
) -> None:
    """Re-clean a site's documents cleaned under an older model version than its latest.

    They keep their article while they are re-processed; clusters can merge after a
    re-clean, never split. Follow with `corpus status`.

    Example:

      corpus reclean --site example.com
    """
    from workers.sites import load_latest, outdated, reopen  # the cleaning rules: this command only
    with services() as rt:
        latest = load_latest(rt.engine).get(site)
        ids = outdated(rt.engine, site)
        if ids:
            reopen(rt.engine, ids)
            enqueue(rt.broker, ids, batch_size=rt.settings.batch_size)
    summary = {"site": site, "version": latest[0] if latest else None, "reopened": len(ids)}
    if as_json:
        print(json.dumps(summary))
    elif latest is None:
        out.print(f"{site}: no model yet (run `corpus learn --site {site}`)", highlight=False)
    else:
        out.print(f"{site}: {len(ids)} document(s) sent back for cleaning with model v{latest[0]}", highlight=False)
