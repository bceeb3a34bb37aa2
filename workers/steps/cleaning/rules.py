"""The rule families, tried in order on one line (or paragraph) without looking around it.

Each family answers "is this line, on its own, site chrome, and which kind?" with a
:class:`.verdict.Verdict`: the family's rule name plus any metadata worth keeping (author,
date, original URL). Families that need the neighbourhood (related blocks, section labels,
repeated headlines, the page title) live in :mod:`.text` and :mod:`.title`; here a rule only
sees one line.

Structure comes first: every family bounds the length of what it removes, most require the
phrase to *open* the line, and the phrase families skip lines that are quotations or carry
reported speech ("said", "according to"), because that is how a news story talks *about*
cookies, subscriptions or comments rather than showing a banner for them.

The families themselves are grouped by kind: :mod:`.legal` (ads, cookies, copyright,
syndication), :mod:`.credits` (bylines, dates, photo and reporting credits), :mod:`.prompts`
(read more, share, follow, subscribe, comments) and :mod:`.navigation` (menus, breadcrumbs,
buttons, tags). The order of the table is part of the rule set: where two families could
claim a line, the first one names it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from .credits import byline_or_date, credit_line, photo_credit
from .legal import AD_MARKER, advertisement, cookie_button, notice, reproduction, syndication
from .navigation import NAV_MARKER, interface_line, navigation, tag_list, tag_run
from .prompts import (
    READ_MORE_MARKER,
    comments,
    error_report,
    network_prompt,
    prompt,
    related_header,
    share_bar,
    subscription_pitch,
)
from .shape import ends_sentence, normalise_space, strip_decoration, tags_run_together, word_count
from .triage import (
    ASCII_FOOT_NEEDLES,
    ASCII_NEEDLES,
    FOOT_NEEDLES,
    G_ADS,
    G_NAV_LINE,
    G_READ_MORE_ALONE,
    G_SOCIAL_CORE,
    LONG_NEEDLES,
    NEEDLES,
    candidate_families,
    contains_any,
    line_signals,
    opens_like_chrome,
    present_families,
)
from .verdict import ADVERTISEMENT, NAVIGATION, READ_MORE, SOCIAL, TAGS, Verdict

#: A family test: ``(line, low, n, position, fam, needle, bare, sig)`` -> verdict or ``None``.
#: ``low`` is the lower-cased line, ``n`` its :func:`.shape.word_count`, ``fam`` the prefix
#: families it opens like, ``needle`` whether it holds one of the ``NEEDLES``, ``bare`` the line
#: without decoration (when it opens like chrome), ``sig`` its :func:`.triage.line_signals`.
FamilyTest = Callable[[str, str, int, float, frozenset, bool, str, int], Verdict | None]

_ANY_LENGTH: tuple[tuple[str, FamilyTest], ...] = (
    ("advertisement", advertisement),
    ("syndication", syndication),
    ("copyright-or-cookie", notice),
    ("reproduction", reproduction),
    ("photo-credit", photo_credit),
    ("cookie-button", cookie_button),
    ("credit-line", credit_line),
)
#: The families tried, in order, on a line of up to 60 words.
FAMILIES = _ANY_LENGTH + (
    ("byline-or-date", byline_or_date),
    ("related-header", related_header),
    ("prompt", prompt),
    ("error-report", error_report),
    ("network-prompt", network_prompt),
    ("comments", comments),
    ("navigation", navigation),
    ("tag-list", tag_list),
    ("interface", interface_line),
    ("tag-run", tag_run),
)
#: Past 60 words a paragraph is chrome only as a credit, a run of tags or a subscription pitch.
LONG_FAMILIES = _ANY_LENGTH + (
    ("tag-run", tag_run),
    ("subscription-pitch", subscription_pitch),
)
#: Families that only ever claim a line opening with one of their prefix phrases, by the name
#: of that prefix family (:data:`.triage.FAMILY_PHRASES`): a line that opens with none skips them.
_PREFIX_ONLY = {
    advertisement: "ads", syndication: "syn", related_header: "rel", comments: "comm", tag_list: "tags",
    subscription_pitch: "sub",
}
#: The tests a line meets, by the prefix families it opens like: up to 60 words, and past 60.
_TABLES: dict[frozenset[str], tuple[FamilyTest, ...]] = {}
_LONG_TABLES: dict[frozenset[str], tuple[FamilyTest, ...]] = {}


def _table(long: bool, fam: frozenset[str]) -> tuple[FamilyTest, ...]:
    """The tests of :data:`FAMILIES` (:data:`LONG_FAMILIES`) that can claim a line opening like ``fam``."""
    tests = tuple(
        test for _, test in (LONG_FAMILIES if long else FAMILIES) if test not in _PREFIX_ONLY or _PREFIX_ONLY[test] in fam
    )
    (_LONG_TABLES if long else _TABLES)[fam] = tests
    return tests


#: For the lines that open like no chrome (most of them).
_NO_FAMILY: frozenset[str] = frozenset()
_PLAIN = _table(False, _NO_FAMILY)
_PLAIN_LONG = _table(True, _NO_FAMILY)


def classify(text: str, *, position: float = 0.5) -> Verdict | None:
    """Classify one paragraph on its own. ``position`` is its place in the document, 0..1.

    Returns ``None`` for body. One anchored test (:func:`.triage.opens_like_chrome`) says whether
    the line opens like any prefix family; families found *inside* a line only run when one of
    the ``NEEDLES`` occurs in it. A long sentence with neither is body after a handful of cheap
    tests. Other lines get one Aho-Corasick pass (:func:`.triage.line_signals`) that says which
    phrase lists occur in them, and each family's patterns run only when the line can match them
    (:mod:`.triage`). That is what keeps cleaning at thousands of documents per second.
    """
    line = text if "  " not in text and "\n" not in text and "\t" not in text else normalise_space(text)
    return classify_paragraph(line.strip(), position)


#: Paragraphs up to this many characters are remembered (:data:`MEMO_SIZE` of them, least
#: recently used first out). Chrome is short and comes back on every page of its site (on the
#: generated corpus 56 % of paragraphs are repeats, most of them chrome); a long paragraph is
#: body, which the cascade dismisses after a few cheap tests, and is rarely seen twice.
MEMO_CHARS = 300
#: Lines remembered: the chrome of a few hundred sites (20 to 60 lines each) at five zones;
#: at most ~10 MB of keys. Cleared by :func:`forget`.
MEMO_SIZE = 1 << 15


def zone(position: float) -> float:
    """``position`` (0..1) as the representative of its zone: before the middle, the middle to
    0.6, past 0.6 to 0.7, past 0.7. Those are the only cuts the families make
    (:mod:`.credits`, :mod:`.legal`, :mod:`.navigation`, and here), so a verdict depends on the
    line and its zone only, and a line seen before in the same zone is a look-up. A family
    that needs a new cut adds it here."""
    if position < 0.5:
        return 0.25
    if position <= 0.6:
        return 0.55
    return 0.65 if position <= 0.7 else 0.85


def classify_paragraph(line: str, position: float) -> Verdict | None:
    """:func:`classify` for a paragraph already stripped and single-spaced (as
    :func:`.paragraphs.split_paragraphs` returns them). A short line is classified once per
    zone and then looked up (:data:`MEMO_CHARS`): a site's chrome costs a dict look-up."""
    z = zone(position)
    return _remembered(line, z) if len(line) <= MEMO_CHARS else _cascade(line, z)


def forget() -> None:
    """Empty the memory of classified lines (benchmarks measuring a cold process)."""
    _remembered.cache_clear()


def _cascade(line: str, position: float) -> Verdict | None:
    """The families tried in order on one line (what :func:`classify_paragraph` remembers)."""
    if not line:
        return None
    if line[0] == "|" and line[-1] == "|":
        return None  # a table row: content, whatever its cells look like
    n = word_count(line)
    head = line if len(line) <= 120 else line[:120]
    low_head = head.lower()
    pre = opens_like_chrome(low_head)
    if n > 12 and not pre:
        ended = ends_sentence(line)
        if n > 30 or ended:
            # Past 60 words only a cookie banner can hide inside a line.
            ascii_line = line.isascii()
            if not contains_any(line, (ASCII_NEEDLES if ascii_line else NEEDLES) if n <= 60 else LONG_NEEDLES) and not (
                position >= 0.5 and n <= 40 and contains_any(line, ASCII_FOOT_NEEDLES if ascii_line else FOOT_NEEDLES)
            ):
                # Tags run together read as one long "sentence"; prose has several.
                if (position > 0.7 or not ended) and line.count(". ") <= 1:
                    if tags_run_together(line, n):
                        return Verdict(TAGS)
                return None
    low = low_head if head is line else line.lower()
    sig = line_signals(low)
    # Short lines are few: they meet every family, whatever their case.
    needle = n <= 12 or contains_any(line, ASCII_NEEDLES if line.isascii() else NEEDLES) or (
        position >= 0.5 and contains_any(line, ASCII_FOOT_NEEDLES if line.isascii() else FOOT_NEEDLES))
    if pre:
        bare = strip_decoration(line)
        fam = present_families(candidate_families(line, bare), sig)
        tests = (_LONG_TABLES if n > 60 else _TABLES).get(fam) or _table(n > 60, fam)
    else:
        bare, fam = line, _NO_FAMILY
        tests = _PLAIN_LONG if n > 60 else _PLAIN
    for test in tests:
        v = test(line, low, n, position, fam, needle, bare, sig)
        if v is not None:
            return v
    return None


_remembered = lru_cache(maxsize=MEMO_SIZE)(_cascade)


def marker(line: str) -> str | None:
    """The family of a short standalone marker line (advertisement, share bar, bare "Read more",
    navigation word), or ``None``. A cheap subset of :func:`classify` for lines inside wrapped
    paragraphs."""
    if word_count(line) > 8 or line[:1].islower():
        return None
    low = line.lower()
    sig = line_signals(low)
    bare = strip_decoration(line)
    if sig & G_ADS and AD_MARKER.match(bare):
        return ADVERTISEMENT
    if sig & G_READ_MORE_ALONE and READ_MORE_MARKER.match(line):
        return READ_MORE
    if sig & G_NAV_LINE and NAV_MARKER.match(bare):
        return NAVIGATION
    return SOCIAL if sig & G_SOCIAL_CORE and share_bar(low) else None
