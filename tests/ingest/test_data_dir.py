"""The data dir is found, not assumed: CORPUS_DATA_DIR, else the nearest .corpus up the tree,
else a per-user default; ``status`` says which store it reads; the store is owner-only."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import SEEDS


def _run(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingest.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_status_from_a_subdirectory_reads_the_nearest_store_and_says_so(sqlite_corpus, tmp_path):
    env = {k: v for k, v in sqlite_corpus.env.items() if k != "CORPUS_DATA_DIR"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    project = tmp_path / "project"
    store = project / ".corpus"
    store.mkdir(parents=True)
    deeper = project / "notes" / "2026"
    deeper.mkdir(parents=True)

    result = _run(env, project, "ingest", str(SEEDS), "--json")
    assert result.returncode == 0, result.stderr
    assert _mode(store / "corpus.db") == 0o600
    seeds = len(list(SEEDS.glob("*.txt")))

    result = _run(env, deeper, "status", "--json")
    report = json.loads(result.stdout)
    assert report["documents"]["total"] == seeds, report
    assert report["store"]["data_dir"] == str(store)
    assert report["store"]["data_dir_found_by"] == "nearest .corpus"
    assert str(store / "corpus.db") in report["store"]["database"]
    shown = _run(env, deeper, "status").stdout
    assert str(store) in " ".join(shown.split()) or str(store) in shown.replace("\n", "")
    assert not (deeper / ".corpus").exists() and not (project / "notes" / ".corpus").exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = json.loads(_run(env, elsewhere, "status", "--json").stdout)
    default = tmp_path / "xdg" / "corpus"
    assert report["store"] == {"database": f"sqlite:///{default / 'corpus.db'}", "data_dir": str(default),
                               "data_dir_found_by": "per-user default"}, report
    assert report["documents"]["total"] == 0
    assert not (elsewhere / ".corpus").exists()
    assert _mode(default) == 0o700 and _mode(default / "corpus.db") == 0o600

    env["CORPUS_DATA_DIR"] = str(store)
    report = json.loads(_run(env, elsewhere, "status", "--json").stdout)
    assert report["store"]["data_dir_found_by"] == "CORPUS_DATA_DIR" and report["documents"]["total"] == seeds


def test_a_new_data_dir_is_0700_and_its_sqlite_file_0600(sqlite_corpus):
    result = sqlite_corpus.run("ingest", str(SEEDS))
    assert result.returncode == 0, result.stderr
    assert _mode(sqlite_corpus.data_dir) == 0o700
    for name in ("corpus.db", "corpus.db-wal"):
        path = sqlite_corpus.data_dir / name
        if path.exists():
            assert _mode(path) == 0o600, name
