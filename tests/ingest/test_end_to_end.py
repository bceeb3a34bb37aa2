"""The whole pipeline as a user runs it: real CLI processes, real workers, real Redis,
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from tests.conftest import SEEDS

SEED_003 = SEEDS / "003_a7f81f6fd957c2d8.txt"


def syndicated_copy_of_003() -> str:
    """Seed 003 as another site publishes it: its own chrome, hard-wrapped lines, and the
    last paragraph trimmed (so the original stays the fullest copy)."""
    paragraphs = SEED_003.read_text(encoding="utf-8").split("\n")[:-1]
    body = "\n\n".join(textwrap.fill(p, width=76) for p in paragraphs)
    return (
        "Lavrov in Kyrgyzstan | Politics | eurasia-wire.example\n\n"
        "Home > World > Central Asia\n\n"
        f"{body}\n\n"
        "Share this article: Facebook Twitter Email\n\n"
        "Subscribe to our newsletter for the latest updates.\n\n"
        "Original article: https://eurasia-wire.example/2026/lavrov-kyrgyzstan\n\n"
        "This website uses cookies to improve your experience. Accept Read More\n"
    )


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    (folder / "syndicated").mkdir()
    (folder / "syndicated" / "lavrov-copy.txt").write_text(syndicated_copy_of_003(), encoding="utf-8")
    return folder


def test_seeds_and_a_syndicated_copy_give_five_articles(corpus, inbox):
    result = corpus.run("ingest", str(inbox), "--wait", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    outcome = json.loads(result.stdout)
    assert outcome["summary"]["documents"] == 6
    assert outcome["summary"]["canonical"] == 5
    assert outcome["summary"]["duplicate"] == 1

    exported = corpus.run("export")
    assert exported.returncode == 0, exported.stderr
    articles = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(articles) == 5
    for article in articles:
        assert set(article) >= {"id", "title", "text", "source", "duplicates", "metadata"}
        assert article["text"]
        # Every seed but 003 (which starts straight with its body) opens with its headline.
        assert bool(article["title"]) == (not article["source"].endswith(SEED_003.name))
    sources = {a["source"] for a in articles}
    assert sources == {str(inbox / p.name) for p in SEEDS.iterdir()}
    (lavrov,) = [a for a in articles if a["source"].endswith(SEED_003.name)]
    assert len(lavrov["duplicates"]) == 1
    duplicate = lavrov["duplicates"][0]
    assert duplicate["source"].endswith("syndicated/lavrov-copy.txt")
    assert duplicate["kind"] in {"near", "exact", "contained"}
    assert 0.5 < duplicate["similarity"] <= 1.0
    assert all(not a["duplicates"] for a in articles if a is not lavrov)
    # The chrome of the copy never reached the stored text.
    assert "cookies" not in lavrov["text"] and "Subscribe" not in lavrov["text"]

    status = corpus.run("status", "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["documents"] == {"total": 6, "canonical": 5, "duplicate": 1, "failed": 0, "pending": 0,
                                   "recleaning": 0}
    assert set(report["queues"]["documents"]) >= {"ready", "delayed", "in_flight", "dead", "oldest_age_s"}


def test_ingesting_the_same_files_again_creates_nothing_new(sqlite_corpus, inbox):
    first = sqlite_corpus.run("ingest", str(inbox), "--wait", "--json")
    assert first.returncode == 0, first.stderr
    again = sqlite_corpus.run("ingest", str(inbox), "--wait", "--json")
    assert again.returncode == 0, again.stderr
    summary, before = json.loads(again.stdout)["summary"], json.loads(first.stdout)["summary"]
    assert {k: summary[k] for k in ("documents", "canonical", "duplicate", "failed")} == {
        k: before[k] for k in ("documents", "canonical", "duplicate", "failed")}
    assert summary["already_stored"] == 6 and summary["enqueued"] == 0  # nothing sent again
    assert "no worker alive" not in again.stderr  # nothing to do: no local workers started
    quiet = sqlite_corpus.run("ingest", str(inbox))
    assert quiet.returncode == 0 and "enqueued 0 document(s), 6 already stored" in quiet.stdout  # the summary
    assert "no worker is alive" not in quiet.stderr  # nothing waits for one
    status = sqlite_corpus.run("status", "--json")
    assert status.returncode == 0, status.stdout  # healthy: no message waiting for a worker
    report = json.loads(status.stdout)
    assert report["documents"]["total"] == 6 and report["queues"]["documents"]["ready"] == 0


def test_an_unsupported_file_named_on_the_command_line_is_refused_with_exit_2(sqlite_corpus, tmp_path):
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    result = sqlite_corpus.run("ingest", str(tmp_path / "report.pdf"), str(SEED_003))
    assert result.returncode == 2
    assert "unsupported file type" in result.stderr and "report.pdf" in result.stderr
    report = json.loads(sqlite_corpus.run("status", "--json").stdout)
    assert report["documents"]["total"] == 0  # refused before anything was recorded


def test_bad_files_fail_with_their_reason_and_the_rest_goes_through(sqlite_corpus, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SEED_003, folder / "good.txt")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.html").write_text("<html><body><script>var x = 1;</script></body></html>")
    result = sqlite_corpus.run("ingest", str(folder), "--wait", "--json")
    assert result.returncode == 1
    documents = {d["source"].rsplit("/", 1)[1]: d for d in json.loads(result.stdout)["documents"]}
    assert documents["good.txt"]["status"] == "canonical"
    assert documents["binary.txt"]["status"] == "failed" and "binary" in documents["binary.txt"]["error"]
    assert documents["empty.txt"]["status"] == "failed" and "empty" in documents["empty.txt"]["error"]
    assert documents["blank.html"]["status"] == "failed" and "no article text" in documents["blank.html"]["error"]


def test_missing_path_is_refused_before_anything_is_enqueued(sqlite_corpus, tmp_path):
    result = sqlite_corpus.run("ingest", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_redis_names_the_variable(sqlite_corpus, tmp_path):
    sqlite_corpus.redis_url = "redis://:sekret@127.0.0.1:1/0"
    for command in (["ingest", str(SEED_003)], ["status"]):
        result = sqlite_corpus.run(*command)
        assert result.returncode == 2, command
        assert "CORPUS_REDIS_URL" in result.stderr
        assert "Traceback" not in result.stderr and "sekret" not in result.stderr


def test_unreachable_database_names_the_variable(sqlite_corpus):
    sqlite_corpus.database_url = "postgresql+psycopg://corpus:sekret@127.0.0.1:1/corpus"
    for command in (["ingest", str(SEED_003)], ["export"]):
        result = sqlite_corpus.run(*command)
        assert result.returncode == 2, command
        assert "CORPUS_DATABASE_URL" in result.stderr
        assert "Traceback" not in result.stderr and "sekret" not in result.stderr


def test_clean_reports_unreadable_files_and_goes_on(sqlite_corpus, tmp_path):
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    result = sqlite_corpus.run("clean", "--json", str(binary), str(tmp_path / "gone.txt"), str(SEED_003))
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [set(x) for x in lines[:2]] == [{"source", "error"}, {"source", "error"}]
    assert "binary" in lines[0]["error"]
    cleaned = lines[2]
    assert set(cleaned) == {"source", "title", "text", "removed", "metadata"}
    assert cleaned["removed"] == []


def test_the_embedded_default_runs_the_seeds_and_leaves_nothing_running(tmp_path):
    """`make demo`'s path: no CORPUS_REDIS_URL, no CORPUS_DATABASE_URL."""
    import subprocess
    import time

    from tests.conftest import CorpusEnv

    embedded = CorpusEnv(data_dir=tmp_path / "demo", redis_url=None, database_url=None, namespace="corpus")
    result = embedded.run("ingest", str(SEEDS), "--wait", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["canonical"] == 5
    assert (tmp_path / "demo" / "corpus.db").exists()

    def servers_for_this_dir() -> list[str]:
        listing = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
        return [line for line in listing.splitlines()
                if str(tmp_path / "demo") in line and not line.lstrip().startswith("Z")]

    deadline = time.monotonic() + 20
    while servers_for_this_dir() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert servers_for_this_dir() == []
    # Back-to-back commands find the data again (the embedded Redis persisted, SQLite is there).
    status = embedded.run("status", "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    assert json.loads(status.stdout)["documents"]["canonical"] == 5
