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

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            data_dir=Path(os.environ.get("CORPUS_DATA_DIR") or "./.corpus").expanduser().absolute(),
            redis_url=os.environ.get("CORPUS_REDIS_URL") or None,
            database_url=os.environ.get("CORPUS_DATABASE_URL") or None,
            namespace=os.environ.get("CORPUS_NAMESPACE") or "corpus",
            max_document_bytes=_int("CORPUS_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024),
            dedup_window_days=_float("CORPUS_DEDUP_WINDOW_DAYS", 0.0),
            heartbeat_timeout_ms=_int("CORPUS_HEARTBEAT_TIMEOUT_MS", 15_000),
            batch_size=max(1, _int("CORPUS_BATCH_SIZE", 16)),
            max_retries=max(0, _int("CORPUS_MAX_RETRIES", 8)),
            max_backoff_ms=max(1_000, _int("CORPUS_MAX_BACKOFF_MS", 60_000)),
            stranded_grace_s=max(1.0, _float("CORPUS_STRANDED_GRACE_S", 30.0)),
            api_token=os.environ.get("CORPUS_API_TOKEN") or None,
        )

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'corpus.db'}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_url


def settings() -> Settings:
    return Settings.from_env()
