"""What every subcommand shares: the consoles, exit codes and the service guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from models.db import StoreUnavailable
from workers.runtime import RedisUnavailable, runtime

OK, FAILURES, UNUSABLE = 0, 1, 2

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = UNUSABLE) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def services() -> Iterator:
    """The runtime, with unreachable services turned into one clear line and exit code 2."""
    try:
        yield runtime()
    except (RedisUnavailable, StoreUnavailable) as exc:
        raise fail(str(exc)) from None
