"""Triage: which rule families one line can belong to, found before any of them runs.

Most lines are body, and the ~30 families' patterns are the expensive part of cleaning. So a
line is looked at once, cheaply, and only the families it can meet run (:mod:`.rules`):

- :func:`opens_like_chrome`: one anchored test, per opening letter, of every prefix phrase;
  a line that opens with none skips every prefix family;
- ``NEEDLES``: substrings without which no family can hide *inside* a long line;
- :func:`line_signals`: one Aho-Corasick pass giving, as bits, which gate lists (``G_*``) and
  which prefix families (``FAMILY_BITS``) have a phrase in the lower-cased line;
- :func:`candidate_families` and :func:`present_families`: the prefix families a line's first
  letter allows, narrowed to those whose phrases occur in it.

Every list is read off the phrase lists of :mod:`.phrases` (see :mod:`.gates`), so a gate stays
right when a list changes; ``tests/steps/test_cleaning.py`` checks each against its pattern.
"""

from __future__ import annotations

import re

from . import phrases
from .gates import first_chars, literal_heads, opening, signals
from .phrases import alternation

_GATE_COPYRIGHT = (
    "©", "(c)", "copyright", "rights reserved", "rechte vorbehalten", "droits réservés", "derechos reservados",
    "права защищены", "may not be published", "no part of this", "reproduction", "reproducción", "alle rechte",
    "nachdruck", "перепечатка",
    "материалов",
)
_GATE_COOKIE = ("cookie", "куки")
_GATE_CONTRIBUTED = ("contribut", "trugen zu", "a contribué", "contribuyó")
_GATE_NEWSLETTER = (
    "newsletter", "email", "e-mail", "correo", "почту", "inbox", "mailing list", "alert", "briefing", "digest",
    "updates", "postfach", "infolettre", "lettre d", "boletín", "boletines", "рассылк", "дайджест",
)
# What an error report, a follow prompt naming networks and a reproduction notice cannot lack
# (the openings of :data:`.prompts._MISTAKE`, :data:`.prompts.NETWORKS` but "x", and
# :data:`.legal._REPRODUCTION`): without one, those families are not tried on a line.
_GATE_MISTAKE = (
    "mistake", "error", "typo", "inaccura", "misprint", "опечатк", "ошибк", "неточност", "fehler", "erreur",
    "coquille", "faute", "errat", "오류", "오탈자", "오타",
)
_GATE_NETWORK = (
    "facebook", "instagram", "whatsapp", "telegram", "threads", "youtube", "tiktok", "linkedin", "twitter", "viber",
    "vk", "вконтакте", "вк", "телеграм", "дзен", "одноклассник", "rutube", "카카오", "네이버", "텔레그램", "유튜브", "밴드",
    "인스타그램", "페이스북",
)
_GATE_REPRODUCTION = (
    "reproduc", "republish", "redistribut", "reprint", "перепечат", "воспроизвед", "использование материалов",
    "копирование материалов", "vervielfältig", "nachdruck", "weiterverbreit", "weitergabe", "무단", "전재", "재배포",
)
_GATE_CTA = ("click", "tap here", "klicken", "cliquez", "clic", "pulsa", "нажмите", " app", "скачайте")
_META_SEPARATORS = ("|", " - ", " – ", " — ", "•", "·", "   ")
_BREADCRUMB_MARKS = ("|", "•", "·", "»", "›", "→", "::", " > ", " / ", " \\ ")


def contains_any(haystack: str, needles: tuple[str, ...]) -> bool:
    for needle in needles:
        if needle in haystack:
            return True
    return False


#: Substrings that let a chrome line of some family hide *inside* a long line rather than open
#: it. A long line that opens with no chrome prefix and contains none of these is body. They are
#: matched case-sensitively on the original text, so each leaves out its first letter ("ookie"
#: finds "cookie" and "Cookie") and no document has to be lower-cased for the test.
NEEDLES = (
    "©", "@", "http", "www.", "ookie", "уки", "mail", "ewsletter", "nbox", "riefing", "lick",
    "ights reserved", "ights Reserved", "IGHTS RESERVED", "orbehalten", "éservés", "eservados", "рава защищены", "ay not be published",
    "ontribu", "trugen zu", "ассылк",
)
ASCII_NEEDLES = tuple(needle for needle in NEEDLES if needle.isascii())  # all a pure-ASCII line can hold
#: Needles of the families that stand at the foot of a page only (error reports, reproduction
#: notices: :func:`.prompts.error_report`, :func:`.legal.reproduction`), looked for in a line of
#: 13-40 words in the page's second half only: most long lines of a page need not pay for them
#: (looking in every long line cost 9 % of cleaning time on the seeds).
FOOT_NEEDLES = ("+Ent", "eproduc", "epublish", "achdruck", "ерепечат", "무단", "오류", "오탈자")
ASCII_FOOT_NEEDLES = tuple(needle for needle in FOOT_NEEDLES if needle.isascii())
LONG_NEEDLES = ("ookie", "уки")
PREFIX_PHRASES = (
    phrases.SYNDICATION + phrases.PHOTO_PREFIX + phrases.REPORTING_CREDIT + phrases.SUBSCRIBE_PROMPT
    + phrases.SHARE_PROMPT + phrases.FOLLOW_VERB + phrases.READ_MORE + phrases.RELATED_HEADER + phrases.TAGS_PREFIX
    + phrases.BYLINE_PREFIX + phrases.DATE_PREFIX + phrases.COMMENTS + phrases.COPYRIGHT + phrases.NEWSLETTER_ACTION
    + phrases.ADVERTISEMENT + phrases.NAV_LINE + phrases.READ_MORE_ALONE
    + ("your email address", "you must be", "save my name", "required fields", "ваш адрес", "votre adresse",
       "tu dirección", "ihre e-mail", "this site uses", "statement", "disclaimer", "editor")
)
#: Leading decoration a prefix may follow (at most ``_MAX_DECORATION`` characters of it).
_DECORATION = frozenset("([-–—•·*»›>|#")
_MAX_DECORATION = 3


#: The prefix families, each by the phrases that can open its lines.
FAMILY_PHRASES = {
    "ads": phrases.ADVERTISEMENT, "syn": phrases.SYNDICATION, "copy": phrases.COPYRIGHT[:3],
    "photo": phrases.PHOTO_PREFIX, "rep": phrases.REPORTING_CREDIT, "sub": phrases.SUBSCRIBE_PROMPT,
    "rel": phrases.RELATED_HEADER,
    "rm": phrases.READ_MORE + phrases.READ_MORE_ALONE + phrases.RELATED_HEADER
    + ("read more", "see more", "also read", "read also", "see also", "also on"),
    "share": phrases.SHARE_PROMPT, "follow": phrases.FOLLOW_VERB,
    "comm": phrases.COMMENTS + ("your email", "you must", "save my", "required", "ваш", "votre", "tu dirección", "ihre", "this site"),
    "nav": phrases.NAV_LINE, "tags": phrases.TAGS_PREFIX + ("posted in", "tagged", "filed under", "categories", "category"),
    "meta": phrases.BYLINE_PREFIX + phrases.DATE_PREFIX + phrases.TAGS_PREFIX,
}
_ALWAYS = frozenset(name for name, ph in FAMILY_PHRASES.items() if first_chars(ph) is None)
_DISPATCH: dict[str, frozenset[str]] = {}
for _name, _phrases in FAMILY_PHRASES.items():
    for _c in first_chars(_phrases) or ():
        _DISPATCH[_c] = _DISPATCH.get(_c, _ALWAYS) | {_name}


#: Bits of :func:`line_signals`: which gate lists have a phrase in a lower-cased line.
(G_COPYRIGHT, G_COOKIE, G_CONTRIBUTED, G_NEWSLETTER, G_CTA, G_META_SEP, G_CRUMB, G_PRIVACY, G_LEGAL, G_AGENCY,
 G_ATTRIBUTION, G_UI_CORE, G_SOCIAL_CORE, G_ADS, G_READ_MORE_ALONE, G_NAV_LINE,
 G_MISTAKE, G_NETWORK, G_REPRODUCTION) = (1 << i for i in range(19))
#: One more bit per prefix family: some opening of its phrases occurs in the line.
FAMILY_BITS = {name: 1 << (19 + i) for i, name in enumerate(FAMILY_PHRASES)}
_FAMILY_MASK = sum(FAMILY_BITS.values())
line_signals = signals((
    (G_COPYRIGHT, _GATE_COPYRIGHT), (G_COOKIE, _GATE_COOKIE), (G_CONTRIBUTED, _GATE_CONTRIBUTED),
    (G_NEWSLETTER, _GATE_NEWSLETTER), (G_CTA, _GATE_CTA), (G_META_SEP, _META_SEPARATORS),
    (G_CRUMB, _BREADCRUMB_MARKS), (G_PRIVACY, ("priv", "конфиденц")),
    (G_LEGAL, literal_heads(phrases.LEGAL_WORDS, anywhere=True)),
    (G_AGENCY, literal_heads(phrases.PHOTO_AGENCIES, anywhere=True)),
    (G_ATTRIBUTION, literal_heads(phrases.ATTRIBUTION, anywhere=True)),
    (G_UI_CORE, phrases.UI_CORE), (G_SOCIAL_CORE, phrases.SOCIAL_CORE),
    (G_ADS, literal_heads(alternation(phrases.ADVERTISEMENT), anywhere=True)),
    (G_READ_MORE_ALONE, literal_heads(alternation(phrases.READ_MORE_ALONE), anywhere=True)),
    (G_NAV_LINE, literal_heads(alternation(phrases.NAV_LINE), anywhere=True)),
    (G_MISTAKE, _GATE_MISTAKE), (G_NETWORK, _GATE_NETWORK), (G_REPRODUCTION, _GATE_REPRODUCTION),
    *((bit, literal_heads(alternation(FAMILY_PHRASES[name]), anywhere=True)) for name, bit in FAMILY_BITS.items()),
))
_NARROWED: dict[tuple[frozenset[str], int], frozenset[str]] = {}


def present_families(fams: frozenset[str], sig: int) -> frozenset[str]:
    """Of the families a line's first letter allows, those whose phrases' openings occur in it."""
    key = (fams, sig & _FAMILY_MASK)
    got = _NARROWED.get(key)
    if got is None:
        got = _NARROWED[key] = frozenset(name for name in fams if sig & FAMILY_BITS[name])
    return got


# One alternation per opening character: a line meets only the phrases that can start with its
# first letter, instead of all ~700 of them. A phrase whose opening cannot be read off its
# pattern joins every group (and the group for any other character).
_PREFIX_OPENINGS = {p: opening(p) for p in PREFIX_PHRASES}
_PREFIX_UNREAD = tuple(p for p, chars in _PREFIX_OPENINGS.items() if chars is None)
_PREFIX_BY_CHAR: dict[str, re.Pattern[str]] = {
    _c: re.compile(alternation(tuple(p for p, chars in _PREFIX_OPENINGS.items() if chars and _c in chars) + _PREFIX_UNREAD))
    for _c in sorted(set().union(*(chars for chars in _PREFIX_OPENINGS.values() if chars)))
}
_PREFIX_OTHER = re.compile(alternation(_PREFIX_UNREAD)) if _PREFIX_UNREAD else None


def opens_like_chrome(low: str) -> bool:
    """Whether a lower-cased line opens (after up to three decoration characters) with any
    prefix-family phrase: the one anchored test that decides whether the prefix families run."""
    if not low:
        return False
    ch = low[0]
    if ch not in _DECORATION and not ch.isspace():  # most lines: no decoration to walk
        pattern = _PREFIX_BY_CHAR.get(ch, _PREFIX_OTHER)
        return pattern is not None and pattern.match(low) is not None
    for j in range(min(len(low), _MAX_DECORATION + 1)):
        ch = low[j]
        pattern = _PREFIX_BY_CHAR.get(ch, _PREFIX_OTHER)
        if pattern is not None and pattern.match(low, j):
            return True
        if ch not in _DECORATION and not ch.isspace():
            return False
    return False


def candidate_families(line: str, bare: str) -> frozenset[str]:
    """Prefix families a line can belong to, by its first character (and its undecorated one)."""
    a = line.lstrip("([ ")[:1].lower()
    b = bare[:1].lower()
    fams = _DISPATCH.get(a, _ALWAYS)
    return fams if a == b else fams | _DISPATCH.get(b, _ALWAYS)
