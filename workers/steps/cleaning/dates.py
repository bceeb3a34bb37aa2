"""Dates and times in page furniture: "Updated 12 March 2024, 10:32 GMT", "3 min read", "vor 3 Stunden".

A date line is chrome whose every word is a date token or filler ("at", "updated", a time zone),
in any of the five languages; :mod:`.credits` uses the same tokens to cut the date off a byline.
The big token pattern is tried only where a token can start (:func:`.gates.openings`), which
keeps it off most characters of a line.
"""

from __future__ import annotations

import re

from . import phrases
from .gates import literal_heads, openings
from .phrases import FLAGS, alternation

_DATE_PREFIX = re.compile(r"^" + alternation(phrases.DATE_PREFIX) + r"(?!\w)\s*[:：]?\s*", FLAGS)
_DATE_TOKEN_ALTERNATIVES = (
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{4}[./]\d{1,2}[./]\d{1,2}\.?"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?(?:" + phrases.MONTHS + r")\.?(?:,?\s+(?:de\s+)?\d{4}(?:\s*г\.?)?)?"
    r"|(?:" + phrases.MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|(?:" + phrases.MONTHS + r")\.?\s+\d{4}"
    r"|\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?\s?m\.?)?"
    r"|\d{1,2}\s*[ap]\.?m\.?"
    r"|(?:" + phrases.WEEKDAYS + r")\.?"
    r"|" + phrases.RELATIVE_TIME + r"|" + phrases.READ_TIME
)
_DATE_TOKEN = re.compile(r"(?<!\w)(?:" + _DATE_TOKEN_ALTERNATIVES + r")(?!\w)", FLAGS)
_DATE_FILLER = re.compile(
    r"(?<!\w)(?:at|on|um|uhr|à|le|el|a las|a la|de|del|в|г|года|the|gmt|utc|bst|cet|cest|msk|et|est|edt|pt|pst|pdt|ist|"
    r"mez|mesz|hrs?|h|updated|published|posted|aktualisiert|publié|publicado|actualizado|обновлено|опубликовано|"
    r"am|pm|and|und|et|y|и|modified|modifié|modificado|geändert|изменено|입력|수정|최종수정|기사입력|등록|업데이트)(?!\w)"
    r"|[\s,|•·–—\-:/()\[\]]+",
    FLAGS,
)
# Case-sensitive twins for lower-cased input: IGNORECASE alternations are several times slower.
_DATE_TOKEN_L = re.compile(_DATE_TOKEN.pattern.replace("[T ]", "[t ]").replace("(?:Z|", "(?:z|"))
_DATE_FILLER_L = re.compile(_DATE_FILLER.pattern)
TIME_ONLY = re.compile(r"\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?\s?m\.?)?|\d{1,2}\s*[ap]\.?m\.?", FLAGS)
# Two to four capitals standing alone ("GMT"); written to open on a capital so the engine can
# skip to one, with the "not after a word character" test behind it.
_ZONE_ABBR = re.compile(r"[A-Z](?<!\w.)[A-Z]{1,3}(?!\w)")
#: Where a date token can start, for :func:`_date_tokens`.
_date_openings = openings(literal_heads(_DATE_TOKEN_ALTERNATIVES))


def date_only(text: str) -> str | None:
    """The date if the line is nothing but a date/time (with an optional "Updated:"-style prefix).

    A bare time ("4:14 p.m.") is not enough: live blogs use those as in-body stamps.
    """
    body = _DATE_PREFIX.sub("", text, count=1)
    folded = _ZONE_ABBR.sub(" ", body).lower()
    dates = _date_tokens(folded)
    if not dates or (body == text and all(TIME_ONLY.fullmatch(d.group().strip()) for d in dates)):
        return None
    rest = _DATE_FILLER_L.sub("", _replace_spans(folded, dates, " "))
    return body.strip() if not rest else None


def _date_tokens(folded: str) -> list[re.Match[str]]:
    """``_DATE_TOKEN_L.finditer(folded)``, trying the big pattern only where a token can start:
    at a digit or at the opening of a month, weekday or time phrase (found in one pass). The
    plain search tries all its alternatives at every character of a line."""
    found: list[re.Match[str]] = []
    pos = 0
    for start in _date_openings(folded):
        if start < pos:
            continue
        m = _DATE_TOKEN_L.match(folded, start)
        if m:
            found.append(m)
            pos = m.end()
    return found


def _replace_spans(text: str, spans: list[re.Match[str]], by: str) -> str:
    """``text`` with each matched span (found in ``text`` or a same-length twin) replaced."""
    out, last = [], 0
    for m in spans:
        out.append(text[last : m.start()])
        out.append(by)
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def strip_dates(text: str) -> str:
    """``text`` without its date/time tokens, case kept (matched on the lower-cased twin)."""
    low = text.lower()
    if len(low) != len(text):
        return _DATE_TOKEN.sub(" ", text)
    return _replace_spans(text, _date_tokens(low), " ")


#: A dateline: where the story was filed, the place in capitals, maybe a region or country and a
#: date after commas: "PORTREE, Scotland", "МОСКВА, 3 декабря", "LANDSHUT, 9. Dezember"; in
#: Korean, where there are no capitals, a short place name.
DATELINE = re.compile(
    r"^(?:[A-ZÀ-ÖØ-ÞА-ЯЁ]{2}[A-ZÀ-ÖØ-ÞА-ЯЁ'’.\- ]{1,28}|[가-힣]{2,4})(?:,\s*[^,!?]{1,30}){0,2}\s*[—–-]?$"
)  # Korean: the city's name ("부산, 12월 8일")


def dateline(text: str) -> bool:
    return len(text) <= 60 and bool(DATELINE.match(text))
