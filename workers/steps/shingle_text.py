"""The text that is shingled: the cleaned body, normalised so that the way a site laid it out
never changes the shingle set.

``workers.steps.dedup.normalise`` already folds what differs between copies character by
character (NFKC, case, typographic quotes and dashes, whitespace runs; ASCII punctuation then
splits tokens, so ``--``, ``–`` and ``—`` all separate words alike). What it cannot see is a
word broken across lines by a hard wrap: ``bankru-\\nptcy`` in a wrapped copy, or
``bankru-ptcy`` once the cleaner has joined its lines, is two tokens where the unwrapped copy
has one, and each such break changes up to ten 5-shingles. Measured on the wrapped copies of
``bench/data/dedup/labelled_A.jsonl`` (wrapped at 60-76 columns, long words hyphenated): one
broken word per 9-12 lines.

So (before ``normalise``) a hyphen between two letters joins them, in every copy alike: ``start-up`` and
``start-\\nup`` both become ``startup``, and ``bankru-ptcy`` becomes ``bankruptcy``. Joining
every letter-hyphen-letter (not only those at a line end) is what makes it work on text the
cleaner has already unwrapped, where the line end is gone; a genuine compound is joined in
every copy, so the sets still agree. Soft hyphens and zero-width characters (invisible, but
distinct code points) are dropped. Hyphens between digits (``2020-21``) and dashes between
words (``costs - and``) are left to split tokens as before.
"""

from __future__ import annotations

_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


def unbreak(text: str) -> str:
    """``text`` with words broken by hyphens rejoined and invisible characters gone (then
    ``dedup.normalise`` does the rest: ``dedup.shingle_text``).

    A hyphen joins when a letter precedes it and a letter follows, directly or after one line
    break (with any indentation). Done by splitting on the hyphens and looking at both sides
    (a text has tens of them): 15-25 us per cleaned text of the labelled corpus, where one
    regular expression with Unicode look-arounds took 480 us, five times the rest of the
    normalisation."""
    if not text.isascii():
        for char in _INVISIBLE:  # str.replace per char: str.translate with a table is 20x slower
            if char in text:
                text = text.replace(char, "")
        # NFKC (inside normalise) would turn U+2010/U+2011 into hyphens after our join: fold first
        text = text.replace("\u2010", "-").replace("\u2011", "-")
    if "-" not in text:
        return text
    parts = text.split("-")
    out = [parts[0]]
    joined = False
    for part in parts[1:]:
        left = out[-1]
        if left and left[-1].isalpha():
            if part[:1].isalpha():
                out[-1] = left + part
                joined = True
                continue
            rest = part.lstrip(" \t")
            if rest.startswith("\r\n"):
                rest = rest[2:]
            elif rest.startswith("\n"):
                rest = rest[1:]
            else:
                rest = ""
            rest = rest.lstrip(" \t")
            if rest[:1].isalpha():
                out[-1] = left + rest
                joined = True
                continue
        out.append(part)
    return "-".join(out) if joined else text  # the same object when nothing changed
