"""``corpus export``: canonical articles with their copies, as JSON Lines, Parquet or CSV.

Articles are read in change order ``yield_per`` 500 and written one at a time (Parquet a
row group at a time, ``ingest.formats.export``), so memory stays bounded whatever the
size of the store. A progress bar shows on a terminal (standard error) only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import func, select

from ingest.cli.console import err, fail, progress, services
from ingest.formats import export as formats
from models.articles import article_record, live_articles
from models.db import read_scope
from models.tables import Article


def register(app: typer.Typer) -> None:
    app.command()(export)


def export(
    out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of standard output.")] = None,
    since: Annotated[int, typer.Option(help="Only articles created or changed after this change cursor.")] = 0,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="jsonl, parquet or csv (default: from the --out name, else jsonl).", show_default=False)] = None,
) -> None:
    """Write canonical articles, each with its duplicates, as JSON Lines, Parquet or CSV.

    JSON Lines: {"id", "title", "text", "source", "duplicates": [{"source", "kind",
    "similarity"}], "metadata", "change_seq", "event": {"id", "size"}} a line. Parquet and
    CSV: one row an article with columns id, title, text, source, site, duplicates (a
    list in Parquet, JSON in CSV), metadata (JSON), change_seq, event_id, event_size.
    Pass the largest change_seq you saw as --since to get only what changed after it.
    Examples:

      corpus export --out articles.jsonl

      corpus export --out articles.parquet          # format from the name

      corpus export --since 1200 --format csv > changed.csv
    """
    try:
        chosen = formats.format_for(str(out_file) if out_file else None, fmt)
    except ValueError as exc:
        raise fail(f"--format: {exc}") from None
    with services() as rt:
        engine = rt.engine
        try:
            handle = open(out_file, "wb") if out_file else sys.stdout.buffer
        except OSError as exc:
            raise fail(f"cannot write {out_file}: {exc.strerror or exc}") from None
        written = 0
        try:
            sink = formats.writer(chosen, handle)
            with read_scope(engine) as session, progress(transient=True, disable=not err.is_terminal) as bar:
                total = session.scalar(select(func.count(Article.id)).where(
                    Article.merged_into_id.is_(None), Article.canonical_document_id.is_not(None),
                    Article.change_seq > since))
                task = bar.add_task("exporting", total=total)
                for article in live_articles(session, since=since):
                    sink.write(article_record(session, article))
                    written += 1
                    if written % 100 == 0:
                        bar.update(task, completed=written)
            sink.close()
        except OSError as exc:
            raise fail(f"{exc}") from None
        finally:
            if out_file:
                handle.close()
            else:
                handle.flush()
        if out_file:
            err.print(f"wrote {written} article(s) to {out_file} ({chosen})", highlight=False)
