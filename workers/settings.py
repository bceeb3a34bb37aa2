"""Configuration, read once from the environment.

Every knob is a ``CORPUS_*`` variable so that the same image runs as a single embedded
process or as one of many workers pointed at a shared Redis and PostgreSQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


DATA_DIR_NAME = ".corpus"


def find_data_dir(environ: dict | None = None, cwd: Path | None = None) -> tuple[Path, str]:
    """The data dir and how it was found: ``CORPUS_DATA_DIR``; else the nearest ``.corpus``
    directory in the current directory or above it (as git finds ``.git``), so that a command
    run from a sub-folder reads the same store; else the per-user default
    (``$XDG_DATA_HOME/corpus``, ``~/.local/share/corpus``). Never a new ``./.corpus`` that
    silently shadows the real store."""
    environ = os.environ if environ is None else environ
    if environ.get("CORPUS_DATA_DIR"):
        return Path(environ["CORPUS_DATA_DIR"]).expanduser().absolute(), "CORPUS_DATA_DIR"
    here = (cwd or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        candidate = folder / DATA_DIR_NAME
        if candidate.is_dir():
            return candidate, f"nearest {DATA_DIR_NAME}"
    base = Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share").expanduser()
    return base.absolute() / "corpus", "per-user default"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    redis_url: str | None
    database_url: str | None
    namespace: str
    max_document_bytes: int
    dedup_window_days: float
    heartbeat_timeout_ms: int
    batch_size: int
    api_token: str | None = field(repr=False, default=None)
    data_dir_found_by: str = "CORPUS_DATA_DIR"  # or "nearest .corpus", "per-user default"
    #: the watched inbox claims a file once its size and mtime have not moved for this long
    #: (and no writer holds it open, where inotify tells): see ``ingest.watch``
    inbox_settle_s: float = 2.0

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir, found_by = find_data_dir()
        return cls(
            data_dir=data_dir,
            data_dir_found_by=found_by,
            redis_url=os.environ.get("CORPUS_REDIS_URL") or None,
            database_url=os.environ.get("CORPUS_DATABASE_URL") or None,
            namespace=os.environ.get("CORPUS_NAMESPACE") or "corpus",
            max_document_bytes=_int("CORPUS_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024),
            dedup_window_days=_float("CORPUS_DEDUP_WINDOW_DAYS", 0.0),
            heartbeat_timeout_ms=_int("CORPUS_HEARTBEAT_TIMEOUT_MS", 15_000),
            batch_size=max(1, _int("CORPUS_BATCH_SIZE", 16)),
            api_token=os.environ.get("CORPUS_API_TOKEN") or None,
            inbox_settle_s=max(0.0, _float("CORPUS_INBOX_SETTLE_S", 2.0)),
        )

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'corpus.db'}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_url


def settings() -> Settings:
    return Settings.from_env()
