"""Writers on the embedded SQLite store take turns at its single write lock: a unit of work
that finds the lock taken waits for it (up to ``SQLITE_LOCK_TIMEOUT_S``) instead of failing,
and readers never wait for writers."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from models import db
from models.db import read_scope, session_scope
from models.documents import NewDocument, record
from models.tables import Document


@pytest.fixture
def engine(tmp_path):
    engine = db.open_store(f"sqlite:///{tmp_path / 'corpus.db'}")
    yield engine
    engine.dispose()


def _doc(i: int) -> NewDocument:
    return NewDocument(source=f"/in/{i}.txt", data=f"story number {i}".encode(), format="text")


def _hold_write_lock(engine, held: threading.Event, release: threading.Event, *, hold_s: float = 30.0) -> threading.Thread:
    """A writer that takes the write lock, says so, and commits once released (or after ``hold_s``)."""
    def hold() -> None:
        with session_scope(engine) as session:
            record(session, [_doc(0)])
            held.set()
            release.wait(hold_s)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30), "the holder never took the write lock"
    return thread


def test_a_writer_waits_for_the_lock_and_then_writes(engine):
    held, release, wrote = threading.Event(), threading.Event(), threading.Event()
    holder = _hold_write_lock(engine, held, release)

    def write() -> None:
        with session_scope(engine) as session:
            record(session, [_doc(1)])
        wrote.set()

    writer = threading.Thread(target=write)
    try:
        # A reader does not wait for the writer: it sees the last commit (no document yet)
        # while the holder still holds the lock. Had it waited, it would count the holder's.
        with read_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(Document)) == 0
        writer.start()
        assert not wrote.wait(0.5)  # it cannot have written while the lock is held ...
    finally:
        release.set()
        holder.join()
        writer.join(60)
    assert wrote.is_set()  # ... and wrote once it was free: both units of work are stored
    with read_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 2


def test_a_writer_gives_up_after_the_lock_timeout(engine, monkeypatch):
    monkeypatch.setattr(db, "SQLITE_LOCK_TIMEOUT_S", 0.2)
    held, release = threading.Event(), threading.Event()
    holder = _hold_write_lock(engine, held, release)
    try:
        with pytest.raises(OperationalError, match="locked"):
            with session_scope(engine) as session:
                record(session, [_doc(1)])
    finally:
        release.set()
        holder.join()
    with session_scope(engine) as session:  # the connection is usable again afterwards
        record(session, [_doc(2)])
        assert session.scalar(select(func.count()).select_from(Document)) == 2


def _open_and_write(url: str, results) -> None:
    try:
        engine = db.open_store(url)
        with session_scope(engine) as session:
            record(session, [_doc(os.getpid())])
        results.put("ok")
    except Exception as exc:  # reported to the test, which names it
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_store_at_once_all_get_in(tmp_path):
    """A worker and an ingest started together on a fresh data dir both open the store:
    switching a new database to WAL fails at once for all but one of them unless retried."""
    context = multiprocessing.get_context("fork")
    outcomes = []
    for round_ in range(40):
        url = f"sqlite:///{tmp_path / f'round-{round_}' / 'corpus.db'}"
        results = context.Queue()
        processes = [context.Process(target=_open_and_write, args=(url, results)) for _ in range(6)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(120)
        outcomes += [results.get(timeout=10) for _ in processes]
    assert [o for o in outcomes if o != "ok"] == []
