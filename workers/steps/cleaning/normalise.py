"""Line-level text helpers: sentence ends, and the folding shared by repetition checks and the
per-site model.

Two renderings of the same chrome line differ in case, numbers (``Comments (14)`` vs
``Comments (3)``), bracket styles (``[top/vote]`` vs ``【up/down】``) and punctuation. Folding
removes exactly those differences and nothing else, so a folded line is still specific enough
to name one piece of chrome.
"""

from __future__ import annotations

import re

_BRACKETED = re.compile(r"[\[【(（{<〔「『][^\]】)）}>〕」』]{0,40}[\]】)）}>〕」』]")
_DIGITS = re.compile(r"\d+")
_NONWORD = re.compile(r"[\W_]+", re.UNICODE)

_CLOSERS = "\"”’»')]"


def ends_with(text: str, terminals: str) -> bool:
    """Whether ``text`` ends in one of ``terminals``, closing quotes and brackets after it
    allowed, within its last 8 characters."""
    tail = text[-8:].rstrip(_CLOSERS)
    return tail != "" and tail[-1] in terminals


#: Lines longer than this many folded tokens are keyed by their head and tail only.
KEY_HEAD = 8
KEY_TAIL = 3


def fold(text: str) -> str:
    """Lower case, bracketed asides dropped, digit runs as ``0``, punctuation as one space."""
    s = _BRACKETED.sub(" ", text.lower())
    s = _DIGITS.sub("0", s)
    return _NONWORD.sub(" ", s).strip()


def line_key(text: str) -> str:
    """A key under which wording variants of one chrome line meet.

    Short lines are keyed by their whole folded text. Long ones by their first
    ``KEY_HEAD`` and last ``KEY_TAIL`` tokens: a disclaimer whose middle varies between
    templates ("... by clicking on the [top/vote] buttons below" against "... in the
    【up/down】 buttons below") keeps its opening and its close.
    """
    toks = fold(text).split()
    if len(toks) <= KEY_HEAD + KEY_TAIL + 1:
        return " ".join(toks)
    return " ".join(toks[:KEY_HEAD]) + " … " + " ".join(toks[-KEY_TAIL:])
