"""The size cap applies before anything is stored: a 60 MB text is refused at the door, with
its reason, and only its head is kept (not 60 MB written, then failed by a worker)."""

from __future__ import annotations

import sqlite3
import zlib

from tests.conftest import SEEDS

SIXTY_MB = 60 * 1024 * 1024


def test_a_60_mb_text_is_refused_before_it_is_stored(sqlite_corpus, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    big = folder / "big.txt"
    line = b"The harbour reopened after the storm and the ferries left on schedule. \n"
    with open(big, "wb") as handle:
        for _ in range(SIXTY_MB // len(line) + 1):
            handle.write(line)
    (folder / "seed.txt").write_bytes(next(iter(sorted(SEEDS.glob("*.txt")))).read_bytes())

    result = sqlite_corpus.run("ingest", str(folder), "--json")
    assert result.returncode == 0, (result.stdout, result.stderr)
    with sqlite3.connect(sqlite_corpus.data_dir / "corpus.db") as connection:
        rows = {source.rsplit("/", 1)[-1]: (status, error, raw, size) for source, status, error, raw, size in
                connection.execute("SELECT source, status, error, raw, raw_size FROM documents")}
    status, error, raw, size = rows["big.txt"]
    assert status == "failed"  # at the door: no worker has run
    assert "over the 52,428,800-byte limit (CORPUS_MAX_DOCUMENT_BYTES)" in error
    assert len(zlib.decompress(raw)) <= 64 * 1024 and size <= 64 * 1024
    assert rows["seed.txt"][0] == "pending"  # the rest goes on


def test_the_python_api_refuses_an_oversized_text_at_the_door(sqlite_corpus, monkeypatch):
    sqlite_corpus.extra["CORPUS_MAX_DOCUMENT_BYTES"] = "1000"
    sqlite_corpus.activate(monkeypatch)
    from ingest import Corpus
    from models.db import read_scope
    from models.tables import Document

    corpus = Corpus()
    handle = corpus.enqueue_text("A long story about the harbour. " * 100)
    with read_scope(corpus.runtime.engine) as session:
        document = session.get(Document, handle.document_id)
        assert document.status == "failed" and "over the 1,000-byte limit" in document.error
        assert document.raw_size <= 64 * 1024
