"""The ``corpus`` command line.

Exit codes mean the same in every subcommand: 0 done and all well; 1 done, but some
documents failed (or, for ``status``, the service is degraded); 2 nothing could be done
(bad usage, a missing path, Redis or the database unreachable).
"""

from __future__ import annotations

import typer

from ingest.cli import admin, documents, events, export, lookups, ops, services, sites

app = typer.Typer(
    name="corpus",
    help="Ingest news text and HTML, strip site chrome, link duplicate copies, keep one canonical article per story.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for room in (documents, export, lookups, events, services, ops, admin, sites):
    room.register(app)


def main() -> None:
    app()
