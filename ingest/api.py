"""The Python API: enqueue documents and read articles from your own code.

    from ingest import Corpus

    corpus = Corpus()                      # same configuration as the CLI (CORPUS_* variables)
    handle = corpus.enqueue_text(text, url="https://example.com/story", site="example.com")
    outcome = handle.wait(timeout=60)      # Outcome(status="canonical", article_id=1, ...)
    article = corpus.get_article(outcome.article_id)
    for article in corpus.changes(since=0):
        ...                                # article["change_seq"] is the next cursor

Documents are processed by workers (``corpus worker``); ``wait`` only watches the store.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.db import session_scope
from models.store import NewDocument, article_record, live_articles, record
from models.tables import PENDING, Article, Document
from ingest import readers

BATCH = 500


@dataclass(frozen=True)
class Outcome:
    """Where a document ended: ``status`` is canonical, duplicate, failed or pending."""

    document_id: int
    status: str
    article_id: int | None = None
    kind: str | None = None
    similarity: float | None = None
    error: str | None = None


class Handle:
    """One enqueued document."""

    def __init__(self, corpus: "Corpus", document_id: int) -> None:
        self.corpus = corpus
        self.document_id = document_id

    def outcome(self) -> Outcome:
        with session_scope(self.corpus.runtime.engine) as session:
            d = session.get(Document, self.document_id)
            return Outcome(d.id, d.status, d.article_id, d.kind, d.similarity, d.error)

    def wait(self, timeout: float | None = None, *, interval: float = 0.1) -> Outcome:
        """Block until the document is settled; ``TimeoutError`` if ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            outcome = self.outcome()
            if outcome.status != PENDING:
                return outcome
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"document {self.document_id} still pending after {timeout}s (is a worker running?)")
            time.sleep(interval)

    def __repr__(self) -> str:
        return f"Handle(document_id={self.document_id})"


class Corpus:
    """Entry point for Python callers; configured like the CLI, from CORPUS_* variables."""

    def __init__(self, runtime=None) -> None:
        from workers.runtime import runtime as current

        self.runtime = runtime or current()
        self.runtime.engine, self.runtime.redis  # fail now, with the variable to fix

    # -- enqueue

    def enqueue_text(self, text: str, *, url: str | None = None, title: str | None = None, site: str | None = None,
                     published: str | None = None, metadata: Mapping[str, Any] | None = None) -> Handle:
        return self._enqueue([self._document("text", text, url, title, site, published, metadata)])[0]

    def enqueue_html(self, html: str, *, url: str | None = None, title: str | None = None, site: str | None = None,
                     published: str | None = None, metadata: Mapping[str, Any] | None = None) -> Handle:
        return self._enqueue([self._document("html", html, url, title, site, published, metadata)])[0]

    def enqueue_file(self, path: str | Path, *, site: str | None = None) -> Handle:
        return self._enqueue([readers.read(Path(path), site=site)])[0]

    def enqueue_records(self, records: Iterable[Mapping[str, Any]]) -> Iterator[Handle]:
        """Enqueue records ({"text" or "html", "url", "title", "site", "published",
        "metadata"}) in batches; yields one handle per record, lazily, so millions fit."""
        batch: list[NewDocument] = []
        for position, item in enumerate(records):
            if not isinstance(item, Mapping):
                raise TypeError(f"record {position}: expected a mapping, got {type(item).__name__}")
            if ("text" in item) == ("html" in item):
                raise ValueError(f"record {position}: needs exactly one of 'text' or 'html'")
            kind = "text" if "text" in item else "html"
            batch.append(self._document(kind, item[kind], item.get("url"), item.get("title"), item.get("site"),
                                        item.get("published"), item.get("metadata")))
            if len(batch) >= BATCH:
                yield from self._enqueue(batch)
                batch = []
        if batch:
            yield from self._enqueue(batch)

    def _document(self, kind, body, url, title, site, published, metadata) -> NewDocument:
        if not isinstance(body, str):
            raise TypeError(f"{kind} must be a str, got {type(body).__name__}")
        data = body.encode("utf-8")
        hints = {k: v for k, v in (("title", title), ("published", published), ("url", url)) if v}
        if metadata:
            hints["metadata"] = dict(metadata)
        source = url or f"api:{hashlib.sha256(data).hexdigest()[:16]}"
        return NewDocument(source=source, data=data, format=kind, url=url, site=site, hints=hints)

    def _enqueue(self, documents: list[NewDocument]) -> list[Handle]:
        from workers.actors import enqueue

        with session_scope(self.runtime.engine) as session:
            recorded = record(session, documents)
        enqueue(doc_id for doc_id, _ in recorded)
        return [Handle(self, doc_id) for doc_id, _ in recorded]

    # -- read

    def get_article(self, article_id: int) -> dict[str, Any] | None:
        """An article (``corpus export``'s shape), following merges to the surviving one."""
        with session_scope(self.runtime.engine) as session:
            article = session.get(Article, article_id)
            while article is not None and article.merged_into_id is not None:
                article = session.get(Article, article.merged_into_id)
            if article is None or article.canonical_document_id is None:
                return None
            return article_record(session, article)

    def changes(self, since: int = 0) -> Iterator[dict[str, Any]]:
        """Every article created or changed after cursor ``since``, in change order; each
        carries ``change_seq``, the cursor to pass next time."""
        with session_scope(self.runtime.engine) as session:
            for article in live_articles(session, since=since):
                yield article_record(session, article)
