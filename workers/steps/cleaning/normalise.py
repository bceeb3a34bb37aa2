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


#: Typographic punctuation that is all that keeps most news text from being ASCII (curly
#: quotes, dashes, ellipsis, guillemets, middle dots, no-break space): non-word characters, so
#: :func:`fold` makes each a space either way.
_TYPOGRAPHIC = "’‘“”—–…«»·•\u00a0"
#: ASCII bytes as :func:`fold` leaves them: digits as ``0``, letters kept, the rest a space.
_ASCII_FOLD = bytes(48 if chr(c).isdigit() else c if chr(c).isalnum() else 32 for c in range(128)) + bytes(range(128, 256))
_ZEROS = re.compile(r"00+")
_SPACES = re.compile(r"  +")


def fold(text: str) -> str:
    """Lower case, bracketed asides dropped, digit runs as ``0``, punctuation as one space.

    A line that is ASCII once its typographic punctuation is a space (94 % of the generated
    corpus's paragraphs) is folded by one byte translation instead of the regular expressions,
    about three times faster and with the same result (the definition below is the reference;
    ``tests/steps`` compares the two): folding is most of what hashing a line for the site's
    learned chrome costs.
    """
    s = text.lower()
    if not s.isascii():
        for ch in _TYPOGRAPHIC:
            if ch in s:
                s = s.replace(ch, " ")
        if not s.isascii():
            return fold_reference(text)
    if "[" in s or "(" in s or "{" in s or "<" in s:
        s = _BRACKETED.sub(" ", s)
    s = s.encode().translate(_ASCII_FOLD).decode()
    if "00" in s:
        s = _ZEROS.sub("0", s)
    if "  " in s:  # (one pass in C: splitting into words would make an object per word)
        s = _SPACES.sub(" ", s)
    return s.strip(" ")


def fold_reference(text: str) -> str:
    """:func:`fold` by its definition, for any script."""
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
    s = fold(text)
    if s.count(" ") <= KEY_HEAD + KEY_TAIL:  # folded text is single-spaced: spaces + 1 words
        return s
    return head_words(s, KEY_HEAD) + " … " + tail_words(s, KEY_TAIL)


def head_words(folded: str, n: int) -> str:
    """The first ``n`` words of a folded (single-spaced) text."""
    return " ".join(folded.split(" ", n)[:n])


def tail_words(folded: str, n: int) -> str:
    """The last ``n`` words of a folded (single-spaced) text."""
    return " ".join(folded.rsplit(" ", n)[-n:])
