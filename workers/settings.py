"""Configuration, read once from the environment.

Every knob is a ``CORPUS_*`` variable so that the same image runs as a single embedded
process or as one of many workers pointed at a shared Redis and PostgreSQL.

``CORPUS_BATCH_SIZE`` (documents per queue message) defaults to ``BATCH_SIZE``: a message's
documents share one read, one write and one link transaction under the cluster lock (with
its event assignment), so the cost per document falls as the batch grows.
``bench/throughput.py --docs 1000 --corpora text,mixed --workers 2 --batch-size N``, one run
per N on this 2-core machine (11:05-11:24 UTC on 2026-12-07, load 2.6-4.7 from other
benchmarks), documents/s of ``corpus ingest --wait`` with two worker processes, text / mixed:
16: 32.8 / 33.7; 64: 68.1 / 52.8; 128: 65.7 / 61.2; 256: 77.4 / 76.0 (the store and link
stages per document fell from 42 + 58 ms at 16 to 7-8 + 20-23 ms at 256: fewer lock waits and
fewer event passes). Larger batches spread worse over workers on a small ingest (a
message is one worker thread's), and a SIGKILLed worker's redelivery re-runs up to one batch
per thread; 256 x ~3 ms is still under a second.
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


BATCH_SIZE = 256  # documents per queue message, measured best of 16/64/128/256 (module docstring)


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
    max_retries: int = 8
    max_backoff_ms: int = 60_000
    stranded_grace_s: float = 30.0
    api_token: str | None = field(repr=False, default=None)
    data_dir_found_by: str = "CORPUS_DATA_DIR"  # or "nearest .corpus", "per-user default"
    #: the watched inbox claims a file once its size and mtime have not moved for this long
    #: (and no writer holds it open, where inotify tells): see ``ingest.watch``
    inbox_settle_s: float = 2.0
    #: where the duplicate index lives: unset, the queue's Redis; else a Redis, or any node of a
    #: Redis Cluster (detected from the server) over whose masters the index spreads
    index_url: str | None = None

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
            batch_size=max(1, _int("CORPUS_BATCH_SIZE", BATCH_SIZE)),
            max_retries=max(0, _int("CORPUS_MAX_RETRIES", 8)),
            max_backoff_ms=max(1_000, _int("CORPUS_MAX_BACKOFF_MS", 60_000)),
            stranded_grace_s=max(1.0, _float("CORPUS_STRANDED_GRACE_S", 30.0)),
            api_token=os.environ.get("CORPUS_API_TOKEN") or None,
            inbox_settle_s=max(0.0, _float("CORPUS_INBOX_SETTLE_S", 2.0)),
            index_url=os.environ.get("CORPUS_INDEX_URL") or None,
        )

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'corpus.db'}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_url


def settings() -> Settings:
    return Settings.from_env()
