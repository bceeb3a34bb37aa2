"""The index's candidates to verified matches, for one batch.

``verify`` is the pipeline's: each candidate pair is triaged on the fingerprints
(``workers.steps.verification.triage``) and only the pairs the estimate cannot settle are
decided on the exact shingles of the two cleaned bodies (each text shingled once): the batch's
own documents from the texts it has just cleaned, the others read from the store in one query. ``estimate_only`` is the MinHash verdict alone
(``dedup.compare``), kept for the benchmark's side-by-side (``bench/dedup.py labelled``).
"""

from __future__ import annotations

from sqlalchemy import select

from models.db import read_scope
from models.tables import Document
from workers.steps import dedup, verification
from workers.steps.dedup import Fingerprint

Edge = tuple[int, str, float]  # other document id, kind, similarity
Candidates = list[list[tuple[int, Fingerprint]]]


def verify(runtime, indexed: list[tuple[int, Fingerprint]], candidates: Candidates,
           texts: dict[int, str] | None = None) -> list[list[Edge]]:
    """Verified matches of each indexed document against its candidates, in order. ``texts``:
    clean texts the caller already holds, as stored (the store is read for the others only)."""
    matches: list[list[Edge]] = [[] for _ in indexed]
    to_check: list[tuple[int, int, int]] = []  # (position, document id, other id)
    for n, ((doc_id, fingerprint), found) in enumerate(zip(indexed, candidates)):
        for other_id, other in found:
            verdict = verification.triage(fingerprint, other)
            if verdict == verification.CHECK:
                to_check.append((n, doc_id, other_id))
            elif verdict is not None:
                matches[n].append((other_id, verdict.kind, float(verdict.similarity)))
    if to_check:
        sequences = _sequences(runtime, {i for _, a, b in to_check for i in (a, b)}, texts or {})
        for n, doc_id, other_id in to_check:
            if doc_id in sequences and other_id in sequences:
                verdict = verification.decide(sequences[doc_id], sequences[other_id])
                if verdict is not None:
                    matches[n].append((other_id, verdict.kind, float(verdict.similarity)))
    return matches


def estimate_only(runtime, indexed: list[tuple[int, Fingerprint]], candidates: Candidates) -> list[list[Edge]]:
    matches: list[list[Edge]] = []
    for (_, fingerprint), found in zip(indexed, candidates):
        matches.append([(other_id, m.kind, float(m.similarity)) for other_id, other in found
                        if (m := dedup.compare(fingerprint, other)) is not None])
    return matches


def _sequences(runtime, ids: set[int], texts: dict[int, str]) -> dict:
    """Shingle sequences of the clean texts, those not in ``texts`` read from the store (a
    document gone from the store has none: its pairs stay unverified, i.e. no match, as for a
    candidate the index no longer holds)."""
    found = {doc_id: texts[doc_id] for doc_id in ids if doc_id in texts}
    if len(found) < len(ids):
        with read_scope(runtime.engine) as session:
            found.update(session.execute(select(Document.id, Document.text)
                                         .where(Document.id.in_(sorted(ids - found.keys())))).all())
    return {doc_id: dedup.shingle_sequence(text or "") for doc_id, text in found.items()}
