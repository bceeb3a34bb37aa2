"""What every subcommand shares: the consoles, exit codes, progress bars and the service guard."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from models.db import StoreUnavailable, redact
from workers.ops.status import Unreachable, guarded
from workers.runtime import RedisUnavailable, runtime

OK, FAILURES, UNUSABLE = 0, 1, 2

out = Console()
err = Console(stderr=True)

T = TypeVar("T")


def fail(message: str, code: int = UNUSABLE) -> typer.Exit:
    """Print ``message`` as the command's error (never a configured password) and return the exit."""
    message = redact(message, os.environ.get("CORPUS_DATABASE_URL"), os.environ.get("CORPUS_REDIS_URL"))
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def services() -> Iterator:
    """The runtime, with unreachable services turned into one clear line and exit code 2."""
    try:
        yield runtime()
    except (RedisUnavailable, StoreUnavailable) as exc:
        raise fail(str(exc)) from None


def guard(fn: Callable[[], T]) -> T:
    """``fn()``, with any Redis or store failure on the way turned into one line and exit code 2."""
    try:
        return guarded(runtime(), fn)
    except Unreachable as exc:
        raise fail(str(exc)) from None


def progress(**kwargs) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, **kwargs,
    )
