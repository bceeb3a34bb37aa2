"""Small key/value facts about the store (``meta`` table), such as the dedup parameters
every worker must share."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.tables import Meta


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(Meta(key=key, value=value))
