"""Engine, sessions and schema upgrades for SQLite (embedded default) and PostgreSQL.

One session per unit of work: ``with session_scope(engine) as s: ...`` commits on success
and rolls back on error. On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so
that concurrent writers queue on the busy timeout instead of failing on lock upgrades;
on PostgreSQL the clustering step takes a transaction-scoped advisory lock instead.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CLUSTER_LOCK_KEY = 0x636F72707573  # "corpus"
SQLITE_LOCK_TIMEOUT_S = 60.0  # how long a SQLite writer waits for the write lock


#: Ids per ``WHERE id IN (...)``: each id is one bind parameter, PostgreSQL refuses a statement
#: with more than 65,535 of them and older SQLite more than 999, so no statement may take a
#: list that grows with the corpus (``corpus ingest --wait`` over 70,000 files did).
ID_CHUNK = 900


def chunked(items: Iterable[T], size: int = ID_CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``: one statement each."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class StoreUnavailable(RuntimeError):
    """The database named by CORPUS_DATABASE_URL (or the embedded SQLite file) cannot be used."""


def mask_url(url: str) -> str:
    """The URL with any password replaced, safe to print and log: SQLAlchemy's own rendering
    (``hide_password``), which parses the URL as the driver will, so that a password holding
    ``:``, ``/`` or an escaped ``@`` is hidden whole; a regex only for what it cannot parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: hide what looks like a password
        return re.sub(r"(?<=://)([^:/@]*):([^@/]*)@", r"\1:***@", url)


def redact(message: str, *urls: str | None) -> str:
    """``message`` with the password of each of ``urls`` replaced by ``***``, in the forms a
    driver or a parser may quote it: as written in the URL (``p%40ss``) and decoded (``p@ss``)."""
    for url in urls:
        if not url:
            continue
        secrets = set()
        try:
            secrets.add(urlsplit(url).password or "")
        except ValueError:
            pass
        try:
            password = make_url(url).password
            secrets.update({password or "", quote(password or "", safe="")})
        except Exception:  # noqa: BLE001 - unparsable: the raw form above is all there is
            pass
        for secret in sorted(secrets - {""}, key=len, reverse=True):
            message = message.replace(secret, "***")
    return message


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": SQLITE_LOCK_TIMEOUT_S, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let the begin hook below drive transactions
            _when_unlocked(dbapi_connection, "PRAGMA journal_mode=WAL")
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # A read-only unit of work (``read_scope``) takes no write lock: in WAL mode it reads
            # a snapshot while a writer commits, instead of queueing behind every writer.
            if conn.get_execution_options().get("corpus_read_only"):
                conn.exec_driver_sql("BEGIN")
            else:
                _when_unlocked(conn.connection.driver_connection, "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) owner-only, 0700: the data dir holds every stored
    document. A folder that already exists keeps its mode (it may be a user's own)."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return  # another process made it at the same moment
    os.chmod(path, 0o700)  # whatever the umask


def private_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, 0644 by
    default: every local user could read the store), and take group and other bits off one
    that has them. SQLite gives its -wal and -shm files the database file's mode."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def _when_unlocked(dbapi_connection, sql: str) -> None:
    """Execute ``sql``, trying again every 2 ms at most while SQLite says "database is locked",
    for up to ``SQLITE_LOCK_TIMEOUT_S``.

    For the two statements SQLite's own busy handling serves badly: ``BEGIN IMMEDIATE``, for
    which the handler sleeps 1, 2, 5, 10 ... 100 ms between tries, so that with two workers
    and an ingest taking turns a writer kept sleeping long after the lock was free (polling
    made two workers 25% faster on text: ``bench/throughput.py --corpora text --docs 3000``,
    452 against 355-365 docs/s); and ``PRAGMA journal_mode=WAL``, which on a new database
    opened by several processes at once fails at once, busy timeout or not. Everything else
    waits on the connection's busy timeout."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        deadline = time.monotonic() + SQLITE_LOCK_TIMEOUT_S
        pause = 0.0002
        while True:
            try:
                cursor.execute(sql)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise OperationalError(sql, None, exc) from exc  # as SQLAlchemy raises
            time.sleep(pause)
            pause = min(2 * pause, 0.002)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_LOCK_TIMEOUT_S * 1000)}")
        cursor.close()


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with sessions(engine)() as session, session.begin():
        yield session


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads. On SQLite it starts with a deferred ``BEGIN``: it
    neither waits for nor blocks the writers (``session_scope`` takes the write lock at once).
    Writing in it may fail with "database is locked"; use ``session_scope`` to write."""
    with sessions(engine.execution_options(corpus_read_only=True))() as session, session.begin():
        yield session


def lock_clusters(session: Session) -> None:
    """Serialise the clustering step across every worker on every machine.

    SQLite's ``BEGIN IMMEDIATE`` already holds the write lock; PostgreSQL gets an
    advisory lock that the server releases with the transaction, even if the worker dies.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CLUSTER_LOCK_KEY})


def schema_head() -> str:
    """The newest migration's revision. Revisions are numbered like their files
    (``0003_site_models.py`` is revision ``0003``, each the parent of the next; a test holds
    Alembic to it), so finding it needs no Alembic."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is a ConfigParser: a ``%`` (a URL-encoded password, ``p%40ss``) would be
    # read as interpolation and break every command; doubled, it is read back as written.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine) -> None:
    """Bring an empty or older database to the current schema, once, even when many
    processes start together. Alembic (a quarter of a second of CPU to import) is loaded
    only when there is something to upgrade: every command opens the store."""
    if schema_revision(engine) == schema_head():
        return
    from alembic import command

    config = alembic_config(engine)
    with _migration_lock(engine):
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": CLUSTER_LOCK_KEY + 1})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": CLUSTER_LOCK_KEY + 1})
                connection.commit()
    else:
        path = engine.url.database
        lock_path = Path(f"{path}.migrate.lock") if path and path != ":memory:" else None
        if lock_path is None:
            yield
            return
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(url: str, *, variable: str = "CORPUS_DATABASE_URL") -> Engine:
    """An engine on an upgraded schema, or StoreUnavailable with a message that names the
    variable to fix and never the password."""
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        upgrade(engine)
        return engine
    except (OperationalError, SQLAlchemyError, OSError, ImportError) as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StoreUnavailable(f"cannot use the database at {mask_url(url)} ({variable}): {redact(reason, url)}") from None
