"""Which index the store has been feeding: a generation mark, to notice a lost index.

A Redis without persistence comes back from a restart empty, and a Redis swapped for
another comes back with some other index; the store still holds every fingerprint, and
linking against such an index would store copies as canonical. So every index gets a mark
when it is created (a random id and the time), kept twice: in Redis beside the index
(``<index prefix>generation``, removed with the index by ``LshIndex.clear``) and in the
store (``meta.index_generation``). While the two agree the index is the one the store fed;
when Redis has no mark or another one, and the store holds fingerprints, the index is lost
and must be rebuilt from the store (``workers.index.reindex``) before anything is linked.

Only ``LshIndex``'s public API is used (its client, prefix, ``count``, ``ensure_params``),
and the mark is one plain key, so this holds whatever the index's own key layout.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select

from models.db import read_scope, session_scope
from models.tables import LINKED, Document
from models.meta import get_meta, insert_or_get_meta, set_meta

if TYPE_CHECKING:  # the fingerprint code stays out of the front doors' start-up
    from workers.index.lsh import LshIndex

STORE_KEY = "index_generation"
MARK_NAME = "generation"


def _mark_key(index: LshIndex) -> str:
    return f"{index.prefix}{MARK_NAME}"


def new_mark(*, now: float | None = None) -> str:
    return json.dumps({"id": uuid.uuid4().hex, "created": round(time.time() if now is None else now, 3)})


def index_mark(index: LshIndex) -> str | None:
    return mark_in(index.r, index.prefix)


def mark_in(client, prefix: str) -> str | None:
    """The mark of the index under ``prefix`` (readers that hold no ``LshIndex``: status)."""
    raw = client.get(f"{prefix}{MARK_NAME}")
    return raw.decode() if isinstance(raw, bytes) else raw


def store_mark(engine: Engine) -> str | None:
    with read_scope(engine) as session:
        return get_meta(session, STORE_KEY)


def describe(mark: str | None) -> dict | None:
    """``{"id", "created"}`` of a mark, for the status report."""
    if not mark:
        return None
    try:
        value = json.loads(mark)
        return {"id": str(value["id"]), "created": float(value["created"])}
    except (ValueError, KeyError, TypeError):
        return {"id": mark, "created": None}


def write(engine: Engine, index: LshIndex, mark: str) -> None:
    """Record ``mark`` for a complete index: the store first, Redis last, so a worker never
    sees a matching pair before the index is whole (in between, the pair differs: it waits)."""
    with session_scope(engine) as session:
        set_meta(session, STORE_KEY, mark)
    index.r.set(_mark_key(index), mark)


def current(engine: Engine, index: LshIndex, *, besides: list[int] | tuple = ()) -> str | None:
    """The generation of the index if it may be linked against, else None (lost: rebuild).

    A store that has recorded a mark wants exactly that index, as soon as any document was
    linked (outside ``besides``, the caller's own batch). A store that never recorded one (a
    new corpus, or one from before generation marks) takes the index there is, and marks
    it, unless documents were linked while the index holds nothing. Only linked documents
    count (a store emptied, or nothing linked yet, has nothing to lose), so that
    two workers starting on a new corpus at once do not take each other's first
    fingerprints for a lost index: a document not yet linked inserts itself when its own
    message is processed.
    """
    have = index_mark(index)
    want = store_mark(engine)
    if have is not None and have == want:
        return have
    if want is not None or (have is None and index.count() == 0):
        with read_scope(engine) as session:
            if _linked_outside(session, list(besides)):
                return None  # lost: emptied (no mark), replaced or being rebuilt (another mark)
    index.ensure_params()
    index.r.set(_mark_key(index), new_mark(), nx=True)  # of two starting at once, the first mark wins
    mark = index_mark(index)
    if mark is None:
        return None  # cleared meanwhile (a rebuild started)
    with session_scope(engine) as session:  # processes starting together: one insert wins, all read it
        if want is None:
            stored = insert_or_get_meta(session, STORE_KEY, mark)
        else:  # nothing linked: the old mark guards nothing
            set_meta(session, STORE_KEY, mark)
            stored = mark
    return mark if stored == mark else None


def _linked_outside(session, besides: list[int]) -> bool:
    query = select(Document.id).where(Document.fingerprint.is_not(None), Document.stage == LINKED)
    if besides:
        query = query.where(Document.id.not_in(besides))
    return session.scalar(query.limit(1)) is not None
