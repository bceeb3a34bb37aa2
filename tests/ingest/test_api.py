"""The Python API end to end: ``from ingest import Corpus`` in this process, real
``corpus worker`` processes, Redis, SQLite and PostgreSQL; plus the README example and the
SQL views downstream tools read."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS
from tests.support.inbox import procs, query  # noqa: F401 - procs is a fixture
from tests.support.warc import html_page, write_warc

SEED_003 = SEEDS / "003_a7f81f6fd957c2d8.txt"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(sqlite_corpus, procs):
    procs.worker(sqlite_corpus)
    result = subprocess.run([sys.executable, "-c", readme_example()], env=sqlite_corpus.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == ["canonical 1", "Harbour reopens after storm", "duplicate exact 1.0",
                         "['canonical', 'canonical', 'canonical']"], result.stdout
    assert lines[4].split()[0] == "1" and lines[4].endswith(" https://example.com/harbour") and len(lines) == 8


def test_enqueue_wait_read_and_follow_changes(corpus, procs, monkeypatch, tmp_path):
    corpus.activate(monkeypatch)
    procs.worker(corpus)
    from ingest import Corpus, Handle, Handles

    api = Corpus()
    original = SEED_003.read_text(encoding="utf-8")
    first = api.enqueue_text(original, url="https://www.eurasia.example/lavrov", title="Lavrov in Bishkek",
                             published="2026-11-20", metadata={"desk": "world"})
    outcome = first.wait(timeout=90)
    assert outcome.status == "canonical" and outcome.article_id and outcome.error is None
    article = api.get_article(outcome.article_id)
    assert article["source"] == "https://www.eurasia.example/lavrov"
    assert article["metadata"]["desk"] == "world" and article["metadata"]["site"] == "eurasia.example"

    changes = api.changes(since=0)
    seen = list(changes)
    assert [a["id"] for a in seen] == [outcome.article_id]
    cursor = changes.cursor
    assert cursor == seen[0]["change_seq"] > 0
    assert list(api.changes(since=cursor)) == []

    # The same text again from the same URL is the same document.
    assert api.enqueue_text(original, url="https://www.eurasia.example/lavrov").document_id == first.document_id
    # The same bytes from another URL: a new document, recorded as an exact copy. (Among
    # identical copies the canonical is the one whose source sorts first, whatever the
    # arrival order: workers.linking.completeness; this URL sorts after the original's.)
    copy = api.enqueue_text(original, url="https://www.mirror.example/lavrov").wait(timeout=90)
    assert (copy.status, copy.kind, copy.similarity, copy.article_id) == ("duplicate", "exact", 1.0,
                                                                          outcome.article_id)
    html_copy = api.enqueue_html(html_page("Lavrov in Bishkek", original), url="https://www.other.example/l")
    assert isinstance(html_copy, Handle)
    assert html_copy.wait(timeout=90).article_id == outcome.article_id

    changed = list(api.changes(since=cursor))
    assert [a["id"] for a in changed] == [outcome.article_id]  # a new duplicate changes the article
    assert {d["source"] for d in changed[0]["duplicates"]} == {"https://www.mirror.example/lavrov",
                                                              "https://www.other.example/l"}

    # Records: streamed in batches; a bad one fails alone with its position.
    records = ({"text": f"Bulletin {n}: the river rose {n} centimetres overnight at gauge {n * 3}."}
               for n in range(600))
    handles = api.enqueue_records(records)
    assert isinstance(handles, Handles) and len(handles) == 600
    bad = api.enqueue_records([{"text": "fine and good text for a record"}, {"title": "no body"}, "nope"])
    outcomes = bad.wait(timeout=60)
    assert outcomes[1].status == "failed" and outcomes[1].error.startswith("record 1:")
    assert outcomes[2].status == "failed" and "expected a JSON object" in outcomes[2].error
    assert {o.status for o in handles.wait(timeout=180)} == {"canonical"}

    # Files: one-document files give a Handle, containers give Handles.
    (tmp_path / "story.txt.gz").write_bytes(gzip.compress(b"Market report\n\n" + b"Shares rose on Monday. " * 30))
    assert api.enqueue_file(tmp_path / "story.txt.gz").wait(timeout=90).status == "canonical"
    (tmp_path / "lines.jsonl").write_text(json.dumps({"text": "A short item about the weather today."}) + "\n{oops\n")
    lines = api.enqueue_file(tmp_path / "lines.jsonl")
    assert [o.status for o in lines.wait(timeout=90)] == ["canonical", "failed"]
    write_warc(tmp_path / "crawl.warc.gz", [
        {"url": "https://crawl.example/a", "body": html_page("Crawled", "Crawled body sentence. " * 40).encode()},
        {"type": "request", "url": "https://crawl.example/a"},
    ])
    crawl = api.enqueue_file(tmp_path / "crawl.warc.gz")
    assert len(crawl) == 1 and crawl.skipped == 2  # the warcinfo and request records
    assert crawl.wait(timeout=90)[0].status == "canonical"

    # The views downstream tools read.
    articles = query(corpus, "SELECT * FROM canonical_articles ORDER BY article_id")
    lavrov = next(a for a in articles if a["article_id"] == outcome.article_id)
    assert lavrov["duplicates"] == 2 and lavrov["source"] == "https://www.eurasia.example/lavrov"
    assert lavrov["site"] == "eurasia.example" and lavrov["change_seq"] == changed[0]["change_seq"]
    links = query(corpus, "SELECT * FROM duplicate_links ORDER BY document_id")
    assert {(l["source"], l["article_id"], l["canonical_source"]) for l in links} >= {
        ("https://www.mirror.example/lavrov", outcome.article_id, "https://www.eurasia.example/lavrov")}
    exact = next(l for l in links if l["source"] == "https://www.mirror.example/lavrov")
    assert exact["kind"] == "exact" and exact["similarity"] == 1.0
    assert len(articles) == len(list(api.changes(since=0)))


def test_bad_arguments_and_missing_services_raise_clear_errors(sqlite_corpus, monkeypatch, tmp_path):
    sqlite_corpus.activate(monkeypatch)
    from ingest import Corpus, ReadError, RedisUnavailable

    api = Corpus()
    with pytest.raises(TypeError, match="text must be a str"):
        api.enqueue_text(b"bytes")
    with pytest.raises(ValueError, match="text is empty"):
        api.enqueue_text("  ")
    with pytest.raises(TypeError, match="metadata must be a mapping"):
        api.enqueue_html("<p>x</p>", metadata=["a"])
    with pytest.raises(TypeError, match="records must be an iterable"):
        api.enqueue_records({"text": "one record, not an iterable of them"})
    with pytest.raises(FileNotFoundError):
        api.enqueue_file(tmp_path / "nowhere.txt")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF")
    with pytest.raises(ReadError, match="unsupported file type"):
        api.enqueue_file(tmp_path / "doc.pdf")
    with pytest.raises(ValueError, match="change cursor"):
        api.changes(since=-1)
    assert api.get_article(12345) is None

    sqlite_corpus.redis_url = "redis://:sekret@127.0.0.1:1/0"
    sqlite_corpus.activate(monkeypatch)
    with pytest.raises(RedisUnavailable, match="CORPUS_REDIS_URL") as raised:
        Corpus()
    assert "sekret" not in str(raised.value)
