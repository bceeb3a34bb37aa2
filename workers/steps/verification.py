"""Exact verification of the candidates the MinHash/LSH index proposes.

The index proposes, the estimate triages, and the exact shingle sets decide whatever the
estimate cannot: ``triage(a, b)`` gives a verdict from the two fingerprints alone when it is
safe, or ``CHECK``; ``decide(seq_a, seq_b)`` is the exact verdict over the two texts' shingles
(``dedup.shingle_sequence`` of the cleaned bodies). Both are symmetric in the two documents.

Why: with 128 permutations the Jaccard estimate has a standard error of up to 0.044, and the
containment derived from it is far noisier for small sets, so the estimate-only rules
(``dedup.classify``) need wide margins, and short texts (< ``dedup.MIN_TOKENS`` shingles) get a
near bar of 0.9 that their edited, trimmed and wrapped copies do not reach. Measured on the
development split (``bench/data/dedup/labelled_A.jsonl``, cleaned as the pipeline cleans, all
pairs sharing a shingle; ``bench/dedup.py labelled --pairs``):

* true pairs, exact values: J >= 0.49 and C >= 0.84 for a short brief and its edited copy
  (32 shingles), C >= 0.88 for edited copies, C = 1.0 for trimmed-and-wrapped and exact
  copies, C >= 0.75 for an excerpt against any copy (0.98 against the full original);
  the estimate alone misses 26 of 421 of these pairs (5 of 5 brief edits, 4 trimmed short
  copies, excerpts of short stories);
* different stories (same-event stories, briefs of one site): J <= 0.071, C <= 0.143, at most
  29 shared shingles (two long stories quoting one statement).

So the exact rules (``decide``) sit between, with room on both sides:

* ``EXACT_NEAR = 0.5``: near when the exact Jaccard reaches it (true pairs 0.49 only for a
  32-shingle brief, which containment catches; different stories <= 0.071);
* ``EXACT_CONTAINED = 0.6``: contained when this share of the smaller set is in the larger
  (true pairs >= 0.75, different stories <= 0.143);
* short texts (smaller set < ``dedup.MIN_TOKENS``): size matters more than a share, because
  a block of shared text a cleaner left (a site's boilerplate paragraph) is a large share of
  a short text: four 17-word items inside 60 words of one site's chrome are at exact C 0.80,
  J 0.67 (``tests/steps/test_verification.py``). What tells a copy from a sibling item is the
  *shape* of the difference: a copy differs by scattered words (one changed word = a run of
  ``SHINGLE_SIZE`` shingles of the smaller text missing from the larger; ``as well as`` for
  ``and`` = 7), a sibling item by a whole sentence of its own (17 words = 21). So a short pair
  matches only when, besides C >= 0.6, no run of the smaller text's shingles missing from the
  larger is longer than ``SHORT_MAX_RUN = 2 * SHINGLE_SIZE`` (a changed phrase of up to six
  words), and at least ``SHORT_MIN_SHARED = 15`` shingles are shared (a 48-word brief
  whose edited copy dropped one of its three sentences shares 18; one line of leftover
  chrome, "Share this article: Facebook · X · WhatsApp · Email", is 4, the longest
  newsletter prompt of ``bench/corpus.py``'s sites <= 11).

Triage (``triage``), where the estimate is trusted: an identical normalised text is exact; a
long pair (both >= ``dedup.MIN_TOKENS``) whose estimated Jaccard is at least
``NEAR_SURE = 0.75`` is near without a check (3.4 standard errors above the estimate-only near
bar 0.6, and 5.7 above the exact bar 0.5); a pair whose estimated containment is under
``UNRELATED_C = 0.3`` and whose openings differ (lead Jaccard < ``UNRELATED_LEAD = 0.5``) is
nothing (true pairs are at C >= 0.75, so 0.3 is > 4 standard errors away even at 40 shingles).
Everything else is checked.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from workers.steps import dedup
from workers.steps.dedup import Fingerprint, Match

CHECK: Final = "check"

EXACT_NEAR = 0.5
EXACT_CONTAINED = 0.6
SHORT_MAX_RUN = 2 * dedup.SHINGLE_SIZE
SHORT_MIN_SHARED = 15
NEAR_SURE = 0.75
UNRELATED_C = 0.3
UNRELATED_LEAD = 0.5


def triage(a: Fingerprint, b: Fingerprint) -> Match | None | str:
    """The verdict the fingerprints give safely, or ``CHECK`` when only the texts can tell."""
    if a.text_hash == b.text_hash:
        return Match("exact", 1.0)
    na, nb = a.shingle_count, b.shingle_count
    if na <= 0 or nb <= 0:
        return None
    small, large = min(na, nb), max(na, nb)
    j = dedup.jaccard(a, b)
    if small >= dedup.MIN_TOKENS and j >= NEAR_SURE:
        return Match("near", j)
    if dedup.containment(j, small, large) < UNRELATED_C and dedup.lead_jaccard(a, b) < UNRELATED_LEAD:
        return None
    return CHECK


def _longest_missing_run(sequence: np.ndarray, other: np.ndarray) -> int:
    """Longest run of consecutive shingles of ``sequence`` (text order) not in the set ``other``."""
    missing = ~np.isin(sequence, other, assume_unique=False)
    if not missing.any():
        return 0
    # run lengths of True: positions where the run starts and ends
    padded = np.concatenate(([False], missing, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return int((edges[1::2] - edges[::2]).max())


def decide(seq_a: np.ndarray, seq_b: np.ndarray) -> Match | None:
    """Exact verdict over two texts' shingle sequences (``dedup.shingle_sequence``)."""
    set_a, set_b = np.unique(seq_a), np.unique(seq_b)
    na, nb = len(set_a), len(set_b)
    if na == 0 or nb == 0:
        return None
    shared = len(np.intersect1d(set_a, set_b, assume_unique=True))
    if shared == 0:
        return None
    j = shared / (na + nb - shared)
    small = min(na, nb)
    c = shared / small
    if small < dedup.MIN_TOKENS:
        if c < EXACT_CONTAINED or shared < SHORT_MIN_SHARED:
            return None
        # the smaller text's missing runs (both directions when the sizes tie: symmetric)
        if na == nb:
            run = min(_longest_missing_run(seq_a, set_b), _longest_missing_run(seq_b, set_a))
        else:
            run = _longest_missing_run(seq_a, set_b) if na < nb else _longest_missing_run(seq_b, set_a)
        if run > SHORT_MAX_RUN:
            return None
    elif j < EXACT_NEAR and c < EXACT_CONTAINED:
        return None
    if j >= EXACT_NEAR or small > dedup.CONTAINED_MAX_SIZE_RATIO * max(na, nb):
        return Match("near", round(j, 4))
    return Match("contained", round(c, 4))
