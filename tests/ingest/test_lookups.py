"""Failures, retry and show, as a user runs them: real CLI processes, workers, Redis, SQLite."""

from __future__ import annotations

import gzip
import json
import shutil

from tests.conftest import SEEDS
from tests.ingest.test_end_to_end import SEED_003, syndicated_copy_of_003
from workers.steps.evidence import _words

STORY = ("The regional council approved the new tram line on Monday after a two-year debate, and "
         "construction of the first section is to start in the spring, the mayor said. ") * 20


def test_ingest_without_wait_warns_on_stderr_and_summarises_on_stdout(sqlite_corpus, tmp_path):
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    result = sqlite_corpus.run("ingest", str(tmp_path / "a.txt"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("enqueued 1 document(s)")
    assert "no worker is alive" in result.stderr and "no worker" not in result.stdout


def test_failures_then_retry_after_the_cause_is_fixed(sqlite_corpus, tmp_path):
    big = tmp_path / "big.txt.gz"
    big.write_bytes(gzip.compress(STORY.encode()))  # ~200 bytes stored, 3,700 once decompressed
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    sqlite_corpus.extra["CORPUS_MAX_DOCUMENT_BYTES"] = "1000"
    first = sqlite_corpus.run("ingest", str(big), str(bad), "--wait", "--json")
    assert first.returncode == 1, first.stderr

    listed = sqlite_corpus.run("failures", "--json", "--since", "1h")
    assert listed.returncode == 1, listed.stderr
    found = {item["source"]: item for item in map(json.loads, listed.stdout.splitlines())}
    assert set(found) == {str(big), f"{bad}#L1"}
    assert "limit" in found[str(big)]["error"] and found[str(big)]["retryable"]
    assert "invalid JSON" in found[f"{bad}#L1"]["error"] and not found[f"{bad}#L1"]["retryable"]
    plain = sqlite_corpus.run("failures")  # not a terminal: one tab-separated line each
    assert plain.returncode == 1 and len(plain.stdout.splitlines()) == 2 and "\t" in plain.stdout

    del sqlite_corpus.extra["CORPUS_MAX_DOCUMENT_BYTES"]  # the cause fixed
    retried = sqlite_corpus.run("retry", "--all", "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout) == {"retried": 1, "not_retryable": 1, "not_failed": 0}
    again = sqlite_corpus.run("ingest", str(big), "--wait", "--json")  # same bytes: the same document
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["canonical"] == 1
    left = sqlite_corpus.run("failures", "--json")
    assert [json.loads(line)["source"] for line in left.stdout.splitlines()] == [f"{bad}#L1"]


def test_show_by_id_url_or_source_explains_each_copy(sqlite_corpus, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    copy = folder / "lavrov-copy.txt"
    copy.write_text(syndicated_copy_of_003(), encoding="utf-8")
    assert sqlite_corpus.run("ingest", str(folder), "--wait").returncode == 0

    by_copy = sqlite_corpus.run("show", str(copy), "--json")
    assert by_copy.returncode == 0, by_copy.stderr
    article = json.loads(by_copy.stdout)
    assert article["source"] == str(folder / SEED_003.name)
    (evidence,) = article["copies"]
    assert evidence["source"] == str(copy) and evidence["kind"] in ("near", "contained")
    assert evidence["rule"].startswith(evidence["kind"])
    assert 0.5 < evidence["exact_containment"] <= 1.0 and 0 < evidence["exact_jaccard"] <= evidence["exact_containment"]
    assert evidence["shared_passages"] and evidence["shared_passages"][0]["words"] >= 20
    # passages are in the fingerprints' words: case, punctuation and quotes folded
    seed_words = " ".join(_words(SEED_003.read_text(encoding="utf-8")))
    assert evidence["shared_passages"][0]["text"].removesuffix("...") in seed_words

    by_id = sqlite_corpus.run("show", str(article["id"]))
    assert by_id.returncode == 0 and f"article {article['id']}" in by_id.stdout and "rule:" in by_id.stdout
    missing = sqlite_corpus.run("show", "https://nowhere.example/x")
    assert missing.returncode == 1 and "no article" in missing.stderr


def test_forget_removes_the_article_its_copies_and_their_index_entries(corpus, tmp_path):
    """SQLite and PostgreSQL."""
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    copy = folder / "lavrov-copy.txt"
    copy.write_text(syndicated_copy_of_003(), encoding="utf-8")
    assert corpus.run("ingest", str(folder), "--wait").returncode == 0

    refused = corpus.run("forget", str(copy), input="n\n")  # asks first
    assert refused.returncode == 1 and "not forgotten" in refused.stderr
    done = corpus.run("forget", str(copy), "--yes", "--json")
    assert done.returncode == 0, done.stderr
    forgotten = json.loads(done.stdout)
    assert {d["source"] for d in forgotten["documents"]} == {str(copy), str(folder / SEED_003.name)}
    assert forgotten["index_removed"] == 2

    articles = [json.loads(line) for line in corpus.run("export").stdout.splitlines()]
    assert len(articles) == 4 and str(folder / SEED_003.name) not in {a["source"] for a in articles}
    assert corpus.run("show", str(copy)).returncode == 1
    events = [json.loads(line) for line in corpus.run("events", "--json").stdout.splitlines()]
    assert sum(e["size"] for e in events) == 4  # the event lost its member
    verify = corpus.run("verify", "--json")
    assert verify.returncode == 0, verify.stdout  # store and index agree

    # Nothing links to what was forgotten: the copy, ingested again, is an article of its own.
    again = corpus.run("ingest", str(copy), "--wait", "--json")
    assert json.loads(again.stdout)["summary"]["canonical"] == 1


def test_what_can_be_retried():
    from workers.ops.failures import retryable

    assert retryable("text", "could not decode", 10, False)
    assert retryable("html", "3,700 bytes is over the 1,000-byte limit (CORPUS_MAX_DOCUMENT_BYTES)", 200, True)
    assert retryable("text", "3,700 bytes is over the 1,000-byte limit (CORPUS_MAX_DOCUMENT_BYTES)", 3700, False)
    assert not retryable("text", "3,700 bytes is over the 1,000-byte limit (CORPUS_MAX_DOCUMENT_BYTES)", 512, False)
    assert not retryable("text", "9,000 compressed bytes is over the 1,000-byte limit", 512, True)
    assert not retryable("jsonl", "line 1: invalid JSON", 9, False)
