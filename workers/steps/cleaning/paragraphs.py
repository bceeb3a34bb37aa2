"""Rebuild paragraphs from raw text: blank-line blocks, with hard-wrapped lines joined back.

Raw news text comes in two shapes. Some sources put one paragraph per line with no blank lines
between them (seeds 001 and 003); there every line is a paragraph and nothing may be joined.
Others were wrapped at a fixed width (70-80 columns, e-mail and wire style), and a paragraph is
several lines that must be joined before any rule can judge it: a rule that sees half a
sentence cannot tell body from chrome.

A document counts as hard-wrapped when most of its non-trivial lines end close to one common
width ``W``. Two lines are then joined when the first is long and the next line's first word
would not have fitted after it (the wrapper broke the line), or, in any document, when the
first line does not end a sentence and the next one starts in lower case.

Short marker lines that sit *inside* a wrapped paragraph (an inline "ADVERTISEMENT" or
"Share this article") are taken out before joining, through the ``marker`` callback, so the two
halves of the paragraph around them are joined back.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Callable

from .normalise import ends_with


_BULLET = re.compile(r"^\s*(?:[-•*·–—»]\s|\d{1,2}[.)]\s)")
_BULLET_MARKS = frozenset("-•*·–—»")
_HYPHEN_BREAK = re.compile(r"[^\W\d_]-$")
# What clean_line folds besides double spaces: any whitespace but the space and the newline
# (tabs, no-break and other Unicode spaces; none lies above U+3000), and the zero-width space.
_ODD_SPACES = tuple(chr(c) for c in range(0x3001) if chr(c).isspace() and chr(c) not in " \n") + ("\u200b",)


@dataclass
class Paragraph:
    """One paragraph: its joined text and the raw lines it came from (for the removed log)."""

    text: str
    lines: list[str] = field(default_factory=list)
    first_line: int = 0


def clean_line(line: str) -> str:
    """Trim, and fold runs of spaces, tabs, no-break and zero-width spaces into one space."""
    s = line.strip()
    if "  " in s or not s.isprintable():
        s = " ".join(s.replace("\u200b", "").split())
    return s


def _ends_clause(line: str) -> bool:
    return ends_with(line, ".!?…:;。")


def wrap_width(lines: list[str]) -> int | None:
    """The column the document was hard-wrapped at, or ``None`` if it was not wrapped."""
    lens = sorted(map(len, lines))
    lens = lens[bisect_left(lens, 20) :]  # lines of 20 characters or more
    if len(lens) < 4:
        return None
    p90 = lens[int(0.9 * (len(lens) - 1))]
    if not 40 <= p90 <= 110:
        return None
    width = lens[bisect_right(lens, p90 + 6) - 1]
    near = bisect_right(lens, width) - bisect_left(lens, width * 0.7)
    if near < 0.5 * len(lens) or near < 3:
        return None
    return width


def _joins(
    prev: str,
    nxt: str,
    width: int | None,
    breaker: Callable[[str], bool] | None,
    marker: Callable[[str], str | None] | None = None,
) -> bool:
    if not prev or not nxt:
        return False
    if width is None and nxt[:1].isupper():
        return False  # unwrapped text: only a lower-case continuation joins
    if (nxt[0] in _BULLET_MARKS or nxt[0].isdigit()) and _BULLET.match(nxt):  # (lines come stripped)
        return False
    ended = _ends_clause(prev)
    if not ended and nxt[:1].islower():
        # "Advertisement" followed by a lower-case line is a marker, not a broken sentence.
        return marker is None or len(prev) > 40 or not marker(prev)
    if width is None or len(prev) < 0.5 * width:
        return False
    first_word = nxt.split(" ", 1)[0]
    if len(prev) + 1 + len(first_word) <= width:
        return False
    # A full-width line that ends a sentence, followed by a line that is chrome on its own: the
    # wrapper did not break here, a footer or prompt starts.
    return not (ended and breaker is not None and breaker(nxt))


def _clean_lines(text: str) -> list[str]:
    """The lines of ``text``, each as :func:`clean_line` gives it (cheaper where it can be)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw = text.split("\n")
    if any(space in text for space in _ODD_SPACES):
        return [clean_line(l) for l in raw]
    if "  " in text:  # only plain spaces: what clean_line does, without its printable test
        return [" ".join(l.split()) if "  " in l else l.strip() for l in raw]
    return [l.strip() for l in raw]


def split_paragraphs(
    text: str,
    marker: Callable[[str], str | None] | None = None,
    breaker: Callable[[str], bool] | None = None,
    unwrap: bool = True,
) -> tuple[list[Paragraph], list[tuple[int, str, str]]]:
    """Split ``text`` into paragraphs.

    ``marker(line)`` may name a rule for a short standalone chrome line; in hard-wrapped text
    such lines are dropped (returned as ``(line_index, line, rule)``) and the paragraph around
    them is
    joined back. With ``unwrap=False`` (extractor output) every line is a paragraph.
    ``breaker(line)`` says a line is chrome on its own, so a full-width sentence end before it
    is a paragraph end, not a wrap. Returns ``(paragraphs, dropped)``.
    """
    lines = _clean_lines(text)
    width = wrap_width(lines) if unwrap else None
    paras: list[Paragraph] = []
    parts: list[list[str]] = []  # text pieces per paragraph, joined once at the end
    dropped: list[tuple[int, str, str]] = []
    cur: Paragraph | None = None
    for i, line in enumerate(lines):
        if not line:
            cur = None
            continue
        if (
            width is not None
            and marker is not None
            and len(line) < 0.7 * width
            and not line[:1].islower()
            and not (cur is not None and not _ends_clause(cur.lines[-1]) and _ends_clause(line))
        ):
            # ("... said in a statement on" + "Facebook." ends a sentence; it is no share button.)
            rule = marker(line)
            if rule:
                dropped.append((i, line, rule))
                continue
        if unwrap and cur is not None and _joins(cur.lines[-1], line, width, breaker, marker):
            pieces = parts[-1]
            if line[:1].islower() and _HYPHEN_BREAK.search(pieces[-1][-2:]):
                pieces.append(line)
            else:
                pieces.append(" ")
                pieces.append(line)
            cur.lines.append(line)
            continue
        cur = Paragraph(line, [line], i)
        paras.append(cur)
        parts.append([line])
    for para, pieces in zip(paras, parts):
        if len(pieces) > 1:
            para.text = "".join(pieces)
    return paras, dropped
