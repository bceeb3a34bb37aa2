"""Small key/value facts about the store (``meta`` table), such as the dedup parameters
every worker must share."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.tables import Meta


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(Meta(key=key, value=value))


def insert_or_get_meta(session: Session, key: str, value: str) -> str:
    """Record ``value`` under ``key`` unless a value is already there, and return the one the
    store holds, for the caller to compare with its own.

    One ``INSERT ... ON CONFLICT DO NOTHING`` then a read, so that any number of processes
    starting together on an empty database all succeed: a read-then-insert (as ``merge``
    does) let two of them insert the same key, and the second failed on the primary key
    (4 of 12 workers started at once on PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - corpus runs on SQLite and PostgreSQL only
        dialect_insert = None
    if dialect_insert is not None:
        session.execute(dialect_insert(Meta).values(key=key, value=value).on_conflict_do_nothing(index_elements=["key"]))
    elif get_meta(session, key) is None:
        session.execute(insert(Meta).values(key=key, value=value))
    return session.execute(select(Meta.value).where(Meta.key == key)).scalar_one()
