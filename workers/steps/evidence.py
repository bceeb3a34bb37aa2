"""Why a copy is a copy: the evidence ``corpus show`` prints for each duplicate.

The workers link documents on MinHash estimates (``workers.steps.dedup``); this module
recomputes, for one pair of clean texts, what a reader checks by eye: the exact Jaccard
similarity and containment of their word 5-shingle sets (the same tokens and shingles as the
fingerprints, without the sketch), the passages they share (the longest runs of the copy's
words whose shingles are all in the canonical text), and the rule that linked them, with
its threshold. Pure: two texts in, numbers and passages out.
"""

from __future__ import annotations

from workers.steps import dedup

#: passages reported per copy, longest first: enough to see where the copy comes from
PASSAGES = 3
#: a passage is shown up to this many characters (the start, then "...")
PASSAGE_CHARS = 240


def _words(text: str) -> list[str]:
    return [t.decode("utf-8", "replace") for t in dedup._tokens(dedup.normalise(text))]


def _shingles(words: list[str]) -> list[tuple[str, ...]]:
    k = min(dedup.SHINGLE_SIZE, len(words))
    return [tuple(words[i:i + k]) for i in range(len(words) - k + 1)] if words else []


def compare_texts(canonical: str, copy: str) -> dict:
    """Exact Jaccard and containment of the shingle sets, and the shared passages."""
    a_words, b_words = _words(canonical), _words(copy)
    a_list, b_list = _shingles(a_words), _shingles(b_words)
    a, b = set(a_list), set(b_list)
    shared = a & b
    union = a | b
    small = min(len(a), len(b))
    passages: list[tuple[int, int]] = []  # (start word, end word) in the copy
    start = None
    for i, shingle in enumerate(b_list + [None]):
        inside = shingle is not None and shingle in a
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            passages.append((start, i - 1 + len(b_list[i - 1])))
            start = None
    passages.sort(key=lambda p: (p[0] - p[1], p[0]))
    shown = []
    for begin, end in passages[:PASSAGES]:
        text = " ".join(b_words[begin:end])
        shown.append({"words": end - begin, "text": text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS] + "..."})
    return {
        "jaccard": round(len(shared) / len(union), 4) if union else 1.0,
        "containment": round(len(shared) / small, 4) if small else 0.0,
        "shingles": {"canonical": len(a), "copy": len(b), "shared": len(shared)},
        "passages": shown,
    }


def rule(kind: str | None, similarity: float | None, shingles: int) -> str:
    """The linking rule, in words, with its threshold."""
    s = similarity or 0.0
    if kind == "exact":
        return "exact: the same text once normalised (case, whitespace, quotes and dashes)"
    if kind == "near":
        bar = dedup.SHORT_NEAR_THRESHOLD if shingles < dedup.MIN_TOKENS else dedup.NEAR_THRESHOLD
        return f"near: estimated Jaccard {s:.2f} >= {bar}"
    if kind == "contained":
        return (f"contained: estimated containment {s:.2f} >= {dedup.CONTAINED_THRESHOLD} (or >= "
                f"{dedup.LEAD_CONTAINED_THRESHOLD} with the same opening, for a text at most "
                f"{dedup.LEAD_MAX_SIZE_RATIO}x the other)")
    return f"{kind or 'unknown'}: similarity {s:.2f}"
