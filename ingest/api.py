"""The Python API: enqueue documents and read articles from your own code.

    from ingest import Corpus

    corpus = Corpus()                      # same configuration as the CLI (CORPUS_* variables)
    handle = corpus.enqueue_text(text, url="https://example.com/story", site="example.com")
    outcome = handle.wait(timeout=60)      # Outcome(status="canonical", article_id=1, ...)
    article = corpus.get_article(outcome.article_id)
    changes = corpus.changes(since=0)
    for article in changes:                # every article created or changed after the cursor
        ...
    cursor = changes.cursor                # pass it as ``since`` next time

Documents are processed by workers (``corpus worker``); ``wait`` only watches the store.
Enqueueing is idempotent: the same input from the same source is one document, so after
an error it is safe to call again. Errors: ``RedisUnavailable`` / ``StoreUnavailable``
(what to fix is in the message), ``TypeError`` / ``ValueError`` for bad arguments,
``FileNotFoundError`` / ``ReadError`` for files, ``TimeoutError`` from ``wait``.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, overload

import dramatiq.errors
import redis
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from ingest import readers
from ingest.formats.records import BadRecord, failed, to_document
from ingest.intake import Intake
from models.articles import article_record
from models.events import event_detail, list_events
from models.db import StoreUnavailable, mask_url, read_scope, redact
from models.documents import NewDocument
from models.tables import PENDING, Article, Document
from workers.runtime import RedisUnavailable, runtime as current_runtime

__all__ = ["Changes", "Corpus", "Handle", "Handles", "Outcome", "RedisUnavailable", "StoreUnavailable"]

BATCH = 500  # documents per store transaction
_CHUNK = 900  # ids per IN (...) query
_PAGE = 500  # articles per read transaction in ``changes``


@dataclass(frozen=True)
class Outcome:
    """Where a document ended.

    ``status`` is ``canonical`` (it is its article's canonical copy), ``duplicate``
    (``kind`` exact, near or contained, with ``similarity``, of article ``article_id``),
    ``failed`` (``error`` says why) or ``pending``.
    """

    document_id: int
    status: str
    article_id: int | None = None
    kind: str | None = None
    similarity: float | None = None
    error: str | None = None

    @property
    def settled(self) -> bool:
        return self.status != PENDING


def _outcomes(corpus: "Corpus", ids: Sequence[int]) -> dict[int, Outcome]:
    found: dict[int, Outcome] = {}
    with corpus._store():
        with read_scope(corpus.runtime.engine) as session:
            for start in range(0, len(ids), _CHUNK):
                rows = session.execute(
                    select(Document.id, Document.status, Document.article_id, Document.kind, Document.similarity,
                           Document.error).where(Document.id.in_(list(ids[start : start + _CHUNK])))
                )
                found.update({row.id: Outcome(row.id, row.status, row.article_id, row.kind, row.similarity, row.error)
                              for row in rows})
    return found


class Handle:
    """One enqueued document."""

    def __init__(self, corpus: "Corpus", document_id: int) -> None:
        self.corpus = corpus
        self.document_id = document_id

    def outcome(self) -> Outcome:
        """The document's outcome now (``status`` may still be ``pending``)."""
        return _outcomes(self.corpus, [self.document_id])[self.document_id]

    def wait(self, timeout: float | None = None, *, interval: float = 0.1) -> Outcome:
        """Block until the document is settled; ``TimeoutError`` if ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            outcome = self.outcome()
            if outcome.settled:
                return outcome
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"document {self.document_id} still pending after {timeout}s (is a worker running?)")
            time.sleep(interval)

    def __repr__(self) -> str:
        return f"Handle(document_id={self.document_id})"


class Handles(Sequence[Handle]):
    """Many enqueued documents (``enqueue_records``, a ``.jsonl`` or ``.warc`` file), in
    input order; ids only, so millions fit. ``skipped`` counts records that were not
    documents (WARC requests, metadata, images)."""

    def __init__(self, corpus: "Corpus", ids: Iterable[int] = (), *, skipped: int = 0) -> None:
        self.corpus = corpus
        self.ids = array("q", ids)
        self.skipped = skipped

    @property
    def document_ids(self) -> list[int]:
        return list(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Handle: ...
    @overload
    def __getitem__(self, index: slice) -> list[Handle]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [Handle(self.corpus, doc_id) for doc_id in self.ids[index]]
        return Handle(self.corpus, self.ids[index])

    def outcomes(self) -> list[Outcome]:
        """Every document's outcome now, in input order."""
        unique = sorted(set(self.ids))
        found = _outcomes(self.corpus, unique)
        return [found[doc_id] for doc_id in self.ids]

    def wait(self, timeout: float | None = None, *, interval: float = 0.2) -> list[Outcome]:
        """Block until every document is settled and return the outcomes in input order;
        ``TimeoutError`` (saying how many are pending) if ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        waiting = sorted(set(self.ids))
        while waiting:
            found = _outcomes(self.corpus, waiting[:20 * _CHUNK])
            settled = {doc_id for doc_id, outcome in found.items() if outcome.settled}
            waiting = [doc_id for doc_id in waiting if doc_id not in settled]
            if not waiting:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{len(waiting)} of {len(self.ids)} document(s) still pending after {timeout}s "
                                   "(is a worker running?)")
            if not settled:
                time.sleep(interval)
        return self.outcomes()

    def __repr__(self) -> str:
        return f"Handles({len(self.ids)} documents, skipped={self.skipped})"


class Changes(Iterator[dict[str, Any]]):
    """Articles created or changed after a cursor, in change order (the export's shape,
    each with its ``change_seq``). ``cursor`` is the cursor to pass next time: once the
    iteration is complete, every change up to it has been seen."""

    def __init__(self, corpus: "Corpus", since: int) -> None:
        self.corpus = corpus
        self.cursor = since
        self._after: tuple[int, int | None] = (since, None)  # (change_seq, id) of the last article read
        self._page: list[dict[str, Any]] = []
        self._done = False

    def __iter__(self) -> "Changes":
        return self

    def __next__(self) -> dict[str, Any]:
        if not self._page and not self._done:
            self._fetch()
        if not self._page:
            raise StopIteration
        article = self._page.pop(0)
        self.cursor = max(self.cursor, article["change_seq"])
        return article

    def _fetch(self) -> None:
        # Short transactions page by (change_seq, id): never a long read holding SQLite's
        # write lock while the caller works through millions of articles.
        seq, last_id = self._after
        after = Article.change_seq > seq if last_id is None else or_(
            Article.change_seq > seq, and_(Article.change_seq == seq, Article.id > last_id))
        with self.corpus._store():
            with read_scope(self.corpus.runtime.engine) as session:
                articles = session.scalars(
                    select(Article)
                    .where(Article.merged_into_id.is_(None), Article.canonical_document_id.is_not(None),
                           after)
                    .order_by(Article.change_seq, Article.id)
                    .limit(_PAGE)
                ).all()
                self._page = [article_record(session, article) for article in articles]
        if len(articles) < _PAGE:
            self._done = True
        if articles:
            self._after = (articles[-1].change_seq, articles[-1].id)


class Corpus:
    """Entry point for Python callers; configured like the CLI, from CORPUS_* variables
    (or pass a ``workers.runtime.Runtime``). Raises ``RedisUnavailable`` or
    ``StoreUnavailable`` at once when a service cannot be reached."""

    def __init__(self, runtime=None) -> None:
        self.runtime = runtime or current_runtime()
        self.runtime.engine, self.runtime.redis  # noqa: B018 - fail now, with the variable to fix

    # ---------------------------------------------------------------- enqueue

    def enqueue_text(self, text: str, *, url: str | None = None, title: str | None = None, site: str | None = None,
                     published: str | datetime | date | None = None,
                     metadata: Mapping[str, Any] | None = None) -> Handle:
        """Enqueue plain text (chrome lines are removed by the text cleaner)."""
        return self._enqueue_one("text", text, url, title, site, published, metadata)

    def enqueue_html(self, html: str, *, url: str | None = None, title: str | None = None, site: str | None = None,
                     published: str | datetime | date | None = None,
                     metadata: Mapping[str, Any] | None = None) -> Handle:
        """Enqueue an HTML page (the article is extracted, the chrome dropped)."""
        return self._enqueue_one("html", html, url, title, site, published, metadata)

    def enqueue_file(self, path: str | Path, *, site: str | None = None) -> Handle | Handles:
        """Enqueue a file in any format ``corpus ingest`` reads: a ``Handle`` for a
        single-document file (.txt .md .html .htm .json, and .gz), ``Handles`` for a
        container (.jsonl .warc .warc.gz). ``FileNotFoundError`` when it does not
        exist, ``ReadError`` when it cannot be read or its type is not supported."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        found = readers.format_of(path)
        if found is None:
            raise readers.ReadError(f"{path}: unsupported file type (supported: {', '.join(readers.SUPPORTED)})")
        stats = readers.ReadStats()
        documents = readers.documents(path, source=str(path.absolute()), site=site, stats=stats)
        handles = self._enqueue_stream(documents)
        handles.skipped = stats.skipped
        if not found.container:
            return handles[0]
        return handles

    def enqueue_records(self, records: Iterable[Mapping[str, Any]]) -> Handles:
        """Enqueue records — mappings with ``text`` or ``html`` and optionally ``url``,
        ``title``, ``published``, ``site``, ``metadata`` — in batches, streaming the
        iterable (millions fit). A record that cannot be a document (no body, a wrong
        type) is recorded as failed with its position and reason, like a bad line of a
        JSONL file; the others go on. Returns the handles in input order."""
        if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
            raise TypeError(f"records must be an iterable of mappings, got {type(records).__name__}")

        def documents() -> Iterator[NewDocument]:
            for position, item in enumerate(records):
                try:
                    yield to_document(item, source=_api_source(item))
                except BadRecord as exc:
                    yield failed(f"api:record:{position}", repr(item)[:1024].encode("utf-8", "replace"),
                                 f"record {position}: {exc}", "record")

        return self._enqueue_stream(documents())

    def _enqueue_one(self, kind, body, url, title, site, published, metadata) -> Handle:
        if not isinstance(body, str):
            raise TypeError(f"{kind} must be a str, got {type(body).__name__}")
        if not body.strip():
            raise ValueError(f"{kind} is empty")
        for name, value in (("url", url), ("title", title), ("site", site)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a mapping or None, got {type(metadata).__name__}")
        item = {kind: body, "url": url, "title": title, "site": site, "published": published,
                "metadata": dict(metadata) if metadata else None}
        try:
            document = to_document(item, source=_api_source(item))
        except BadRecord as exc:
            raise ValueError(str(exc)) from None
        return self._enqueue_stream(iter([document]))[0]

    def _enqueue_stream(self, documents: Iterator[NewDocument]) -> Handles:
        handles = Handles(self)
        intake = Intake(self.runtime, first=BATCH, most=BATCH, store_guard=self._store, queue_guard=self._redis,
                        on_recorded=lambda recorded: handles.ids.extend(r.id for r in recorded))
        intake.add_all(documents)
        intake.flush()
        return handles

    # ------------------------------------------------------------------- read

    def get_article(self, article_id: int) -> dict[str, Any] | None:
        """An article (``corpus export``'s shape), following merges to the surviving one;
        None when there is no such article."""
        if isinstance(article_id, bool) or not isinstance(article_id, int):
            raise TypeError(f"article_id must be an int, got {type(article_id).__name__}")
        with self._store():
            with read_scope(self.runtime.engine) as session:
                article = session.get(Article, article_id)
                while article is not None and article.merged_into_id is not None:
                    article = session.get(Article, article.merged_into_id)
                if article is None or article.canonical_document_id is None:
                    return None
                return article_record(session, article)

    def events(self, *, since: datetime | float | None = None, min_size: int = 1,
               limit: int | None = None) -> list[dict[str, Any]]:
        """Live events, largest first: ``{"id", "size", "sites", "first", "last", "articles":
        [{"id", "title", "source", "site", "at"}]}``. ``since`` (a datetime or epoch seconds):
        only events with an article at or after it. An article's own event is
        ``get_article(id)["event"]`` (``{"id", "size"}``)."""
        if isinstance(since, datetime):
            since = since.timestamp()
        elif since is not None and (isinstance(since, bool) or not isinstance(since, (int, float))):
            raise TypeError(f"since must be a datetime or epoch seconds, got {type(since).__name__}")
        if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
            raise ValueError(f"min_size must be an int >= 1, got {min_size!r}")
        with self._store():
            with read_scope(self.runtime.engine) as session:
                return list_events(session, since=since, min_size=min_size, limit=limit)

    def event(self, event_id: int) -> dict[str, Any] | None:
        """One event with why each article is in it (``corpus events show``), following
        merges; None when there is no such event."""
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise TypeError(f"event_id must be an int, got {type(event_id).__name__}")
        with self._store():
            with read_scope(self.runtime.engine) as session:
                return event_detail(session, event_id)

    def changes(self, since: int = 0) -> Changes:
        """Every article created or changed (a new duplicate, a promoted canonical) after
        cursor ``since``, in change order; the returned iterator's ``cursor`` is the one
        to pass next time."""
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            raise ValueError(f"since must be a change cursor (an int >= 0), got {since!r}")
        return Changes(self, since)

    # ----------------------------------------------------------------- errors

    def _store(self):
        return _Translate(StoreUnavailable, SQLAlchemyError, self._store_message)

    def _redis(self):
        return _Translate(RedisUnavailable, (redis.RedisError, ConnectionError, OSError), self._redis_message)

    def _store_message(self, exc: BaseException) -> str:
        settings = self.runtime.settings
        variable = "CORPUS_DATABASE_URL" if settings.database_url else "CORPUS_DATA_DIR"
        reason = redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], settings.database_url)
        return f"cannot use the database at {mask_url(settings.effective_database_url)} ({variable}): {reason}"

    def _redis_message(self, exc: BaseException) -> str:
        settings = self.runtime.settings
        where = f"{mask_url(settings.redis_url)} (CORPUS_REDIS_URL)" if settings.redis_url else "the embedded Redis"
        return f"cannot reach Redis at {where}: {exc}; the documents are recorded, enqueue them again"


class _Translate:
    """Turn a driver error into the API's exception naming what to fix."""

    def __init__(self, target, caught, message) -> None:
        self.target, self.caught, self.message = target, caught, message

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (RedisUnavailable, StoreUnavailable)):
            return False
        if isinstance(exc, self.caught) or isinstance(exc, dramatiq.errors.ConnectionError):
            raise self.target(self.message(exc)) from exc
        return False


def _api_source(item: Any) -> str:
    """A stable source for an API input without a URL: the same body is the same source."""
    if isinstance(item, Mapping):
        body = item.get("html") if item.get("html") not in (None, "") else item.get("text")
        if isinstance(body, str):
            return f"api:{hashlib.sha256(body.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
    return "api:record"
