"""The shape of one line, before what it says: length, sentence end, headline form, decoration.

Structure is the first line of evidence for every rule (:mod:`.rules`) and for the title and
context steps (:mod:`.title`, :mod:`.text`): chrome is short, unpunctuated, decorated or made
of links, and a story's own lines are sentences. Quotes and reported speech
(:func:`is_guarded`) are the story talking *about* cookies or subscriptions, never a banner.
"""

from __future__ import annotations

import re

from .normalise import ends_with
from .phrases import ATTRIBUTION, FLAGS
from .triage import G_ATTRIBUTION

_DECOR_L = re.compile(r"^[\s\-–—•·*»›>|#=~_\u25b6\u25ba\u2192\u2014]+")
_DECOR_R = re.compile(r"[\s\-–—•·*«‹<|#=~_:\u25c0\u2190]+$")
_BRACKETED = re.compile(r"^[\[(【{]\s*(.*?)\s*[\])】}]$")
#: First and last characters that :func:`strip_decoration` can take away (besides whitespace).
_DECOR_OPENERS = frozenset("-–—•·*»›>|#=~_\u25b6\u25ba\u2192\u2014" "[(【{")
_DECOR_CLOSERS = frozenset("-–—•·*«‹<|#=~_:\u25c0\u2190")
_WS = re.compile(r"\s+")
URL = re.compile(r"(?:https?://|www\.)\S+", FLAGS)
HAS_DIGIT = re.compile(r"\d")
_QUOTE_START = re.compile(r"^[\"“”„«‘‚‹'\u2018\u201c]")
_ATTRIBUTION = re.compile(r"\b(?:" + ATTRIBUTION + r")\b")
# A sentence ending inside the text ("ok. The"): only ever used as a test. Opens on the
# punctuation (letters checked behind it) so the engine can skip to candidates in C.
INNER_SENTENCE = re.compile(r"[.!?](?<=[a-zа-яё]{2}[.!?]) [A-ZА-ЯЁ]")
_CAMEL = re.compile(r"[a-zа-яё]{2}[A-ZА-ЯЁ][a-zа-яё]")
# Every capital that _CAMEL can match, counted from the capital (overlaps included, so never
# fewer): opening on a character class lets the engine skip to capitals in C.
_CAMEL_CAPITAL = re.compile(r"[A-ZА-ЯЁ](?<=[a-zа-яё]{2}[A-ZА-ЯЁ])(?=[a-zа-яё])")


def normalise_space(text: str) -> str:
    return _WS.sub(" ", text).strip()


def strip_decoration(text: str) -> str:
    """``- Advertisement -`` and ``[ Advertisement ]`` are the same marker as ``Advertisement``."""
    if not text or (text[0] not in _DECOR_OPENERS and text[-1] not in _DECOR_CLOSERS and not text[0].isspace() and not text[-1].isspace()):
        return text  # most lines: nothing to strip, and no regex needs to look
    s = _DECOR_R.sub("", _DECOR_L.sub("", text))
    m = _BRACKETED.match(s)
    return m.group(1) if m else s


def ends_sentence(text: str) -> bool:
    return ends_with(text, ".!?…。")


def is_guarded(text: str, signals: int | None = None) -> bool:
    """Quotes and reported speech are the story talking, not the page. ``signals`` (of
    :func:`.triage.line_signals`, for this text) lets the attribution search be skipped."""
    if _QUOTE_START.match(text):
        return True
    if signals is not None and not signals & G_ATTRIBUTION:
        return False
    return bool(_ATTRIBUTION.search(text.lower()))


def word_count(text: str) -> int:
    """Words, with unspaced scripts (CJK) counted by length so a long sentence is never "short"."""
    return max(text.count(" ") + 1, len(text) // 8) if text else 0


def headline_shaped(text: str, max_words: int = 25) -> bool:
    """Short, starts like a title, and does not end like a sentence (``?`` and ``!`` allowed)."""
    if not text or word_count(text) > max_words or len(text) > 220:
        return False
    first = text.lstrip("\"“”„«‘'([- –—•·*")[:1]
    if not first or not (first.isupper() or first.isdigit() or (first.isalpha() and not first.islower())):
        return False  # a caseless script (Hangul, CJK) can open a title with any letter
    if INNER_SENTENCE.search(text):
        return False
    return not text.rstrip("\"”’»')]").endswith(".") or text.rstrip().endswith("...")


def only_url(text: str) -> bool:
    return bool(URL.fullmatch(text.strip(" <>()[]")))


def find_url(text: str) -> str | None:
    m = URL.search(text)
    return m.group(0).rstrip(".,;)]>") if m else None


def tags_run_together(text: str, n: int) -> bool:
    """Tags with no separators read as one long word chain ("PoliticsWorldEurope"): at least
    three lower-to-upper joins, one per five words."""
    need = max(3, 0.2 * n)
    return len(_CAMEL_CAPITAL.findall(text)) >= need and len(_CAMEL.findall(text)) >= need


_DENSE = re.compile(r"[\u1100-\u11ff\uac00-\ud7a3\u3040-\u30ff\u4e00-\u9fff]")


def dense_script(text: str) -> bool:
    """Mostly Hangul or CJK: a word there carries what two or three do in English, so a sentence
    of five words is a full one (the seeds' Korean and Chinese lines: 25-40 characters)."""
    return not text.isascii() and len(_DENSE.findall(text[:60])) * 2 >= min(len(text), 60)


def quoted(text: str) -> bool:
    """Opens with a quotation mark: a line the story quotes."""
    return bool(_QUOTE_START.match(text))
