"""The ``corpus`` command line.

Exit codes mean the same in every subcommand: 0 done and all well; 1 done, but some
documents failed (or, for ``status``, the service is degraded); 2 nothing could be done
(bad usage, a missing path, Redis or the database unreachable).
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Annotated

import typer

from ingest.cli import admin, documents, events, export, lookups, ops, probe, services, sites

app = typer.Typer(
    name="corpus",
    help="Ingest news text and HTML, strip site chrome, link duplicate copies, keep one canonical article per story.\n\n"
         "Examples:\n\n  corpus ingest seeds/ --wait\n\n  corpus show 42\n\n  corpus export --out articles.parquet\n\n"
         "Shell completion: corpus --install-completion",
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for room in (documents, export, lookups, events, services, ops, admin, sites, probe):
    room.register(app)


#: the distribution's name on the package index ("corpus" there is an unrelated project);
#: the command and the import packages keep their names
DISTRIBUTION = "newsdedup"


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _show_version(value: bool) -> None:
    if value:
        print(f"corpus {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    _version: Annotated[bool, typer.Option("--version", "-V", callback=_show_version, is_eager=True,
                                           help="Print the version and exit.")] = False,
) -> None:
    """Ingest news text and HTML, strip site chrome, link duplicate copies, keep one canonical article per story."""


_EXAMPLE = re.compile(r"^\s{2,}\S", re.M)


def _unwrap(text: str | None) -> str | None:
    """A docstring's prose paragraphs on one line each (the terminal wraps them to its width),
    its indented example paragraphs as written."""
    if not text:
        return text
    paragraphs = text.split("\n\n")
    # typer dedents the text after the first paragraph by its common indent: an empty markup
    # tag at the start of an example line keeps that at zero, so examples stay indented.
    return "\n\n".join("[dim][/dim]" + p if _EXAMPLE.match(p) else " ".join(line.strip() for line in p.splitlines())
                       for p in paragraphs)


def tidy(command) -> None:
    """Help pages as a reader wants them: prose re-flowed, flags without a ``<bool>`` label."""
    import inspect

    command.help = _unwrap(inspect.cleandoc(command.help)) if command.help else command.help
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    make_help = command.get_help_option

    def help_option(ctx):
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


def cli():
    command = typer.main.get_command(app)
    tidy(command)
    return command


def main() -> None:
    cli()(prog_name="corpus")
