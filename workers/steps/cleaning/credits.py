"""Who made the article and when: bylines, date lines, author bios, photo and reporting credits.

These lines are chrome, but they say something worth keeping: a byline's names go to
``metadata["author"]`` and a date line's date to ``metadata["date"]``. A byline line is read
as segments ("By Jane Doe | 12 March 2024 · 3 min read"), each of which must be names, a date,
a time, a tag label or an address; one segment of prose keeps the whole line. Photo credits,
captions and agency marks ("AFP/Getty") and reporting credits ("Additional reporting by") only
need to be recognised.

Each family test takes the facts :func:`.rules.classify_paragraph` gathered about the line and
returns a :class:`.verdict.Verdict` or ``None``.
"""

from __future__ import annotations

import re

from . import phrases
from .dates import TIME_ONLY, date_only, strip_dates
from .gates import first_chars
from .navigation import TAGS_LABEL
from .phrases import FLAGS, NAME_CONNECTORS, alternation
from .shape import HAS_DIGIT, is_guarded, normalise_space, word_count
from .triage import FAMILY_BITS, G_AGENCY, G_CONTRIBUTED, G_META_SEP
from .verdict import BYLINE, DATE, PHOTO, REPORTING, Verdict

_WORD = re.compile(r"\w+", FLAGS)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", FLAGS)
_ALPHA = re.compile(r"[^\W\d_]", FLAGS)
_PHOTO = re.compile(r"^[(\[]?" + alternation(phrases.PHOTO_PREFIX) + r"\s*(?:[:：|]|\s[-–—]\s|\s*\(|/)", FLAGS)
AGENCY = re.compile(r"(?<!\w)(?:" + phrases.PHOTO_AGENCIES + r")(?!\w)", FLAGS)
_CAPTION_BARE = re.compile(r"^(?:(?:image|media|video|photo) (?:caption|copyright|source|credit)\b|(?:photo|photograph|image|picture|foto|bild) (?:by|von|de|par) [A-ZÀ-Ý])", FLAGS)
_BIO = re.compile(
    r"^(?:[A-ZÀ-Ý][\w'’.-]+\s){1,3}is (?:a|an|the) (?:[\w-]+ ){0,4}?(?:" + phrases.BYLINE_ROLES + r")\b.{0,40}?\b(?:at|for|with|of) (?:the )?[A-Z]"
)
_BYLINE = re.compile(r"^" + alternation(phrases.BYLINE_PREFIX) + r"\s*[:：]?\s+(.+)$", FLAGS)
_ROLE_TAIL = re.compile(r"^(?:" + phrases.BYLINE_ROLES + r")$", FLAGS)
_ROLE_BYLINE = re.compile(r"^(.{3,60}?),\s*(?:" + phrases.BYLINE_ROLES + r")$", FLAGS)
_REPORTING = re.compile(r"^[(\[]?\s*" + alternation(phrases.REPORTING_CREDIT) + r"\s*[:：]?\s*[\w(]", FLAGS)
_CONTRIBUTED = re.compile(phrases.CONTRIBUTED)
_CONTACT = re.compile(r"(?<!\w)(?:" + phrases.CONTACT + r")")
_CONTACT_LABEL = re.compile(r"^(?:e-?mail|contact|kontakt|почта)\s*:?", FLAGS)
# Splits "By Jane Doe | 12 March 2024 · 3 min read" into its parts. Read as: a spaced dash or bullet,
# a pipe, three or more spaces, or the space before a "by"/"von"/"par"/"por" byline. Every branch
# is written after its first character (a space or a pipe, checked again by a lookbehind), so
# the engine can skip to candidates in C; tests/steps/test_cleaning.py holds the plain form.
META_SPLIT = re.compile(
    r"[\s|](?:(?<=\s)\s*[|•·–—-]\s+|(?<=\|)\s*|(?<=\s)\s*\|\s*|(?<=\s)\s{2,}"
    r"|(?<=[\d.)A-Z]\s)\s*(?=(?:by|von|par|por)\s+[A-ZÀ-ÝА-Я]))"
)
# Where a byline's names end: a comma or slash, or "in"/"for"/"at" a place or paper.
_NAME_CUT = re.compile(r"\s*[,/]\s*|\s+(?:in|for|at|à|en|aus|für|для|из)\s+")
# A trailing ", Reuters" or "| The Courier" after the names.
_NAME_TAIL = re.compile(r"\s*[,|;]\s*(?:[A-Z][\w.&' -]{1,40})?$")
_BYLINE_OPENS = first_chars(phrases.BYLINE_PREFIX)
_TAGS_OPENS = first_chars(phrases.TAGS_PREFIX)
_META_BIT = FAMILY_BITS["meta"]


def photo_credit(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A photo credit ("Photo: Reuters") or a caption label ("Image caption", "Photo by Jane Doe")."""
    if "photo" in fam and n <= 90 and _PHOTO.match(line):
        return Verdict(PHOTO)
    if n <= 90 and line[:1] in "IiMmVvPpFfBb" and _CAPTION_BARE.match(line):
        return Verdict(PHOTO)
    return None


def credit_line(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """An author bio late in the page ("Jane Doe is a senior reporter at The Courier"), an agency
    mark on its own ("AFP/Getty Images", "(Reuters)") or a reporting credit ("Additional
    reporting by …", "… contributed to this report")."""
    if n <= 30 and position > 0.6 and " is " in line and _BIO.match(line):
        return Verdict(BYLINE)
    if n <= 10 and not line.endswith(".") and (line[:1] in "©(" or "/" in line or n <= 4) and sig & G_AGENCY and AGENCY.search(line):
        return Verdict(PHOTO)
    if n <= 60 and (
        ("rep" in fam and _REPORTING.match(line))
        or (needle and sig & G_CONTRIBUTED and _CONTRIBUTED.search(low) and not is_guarded(line, sig))
    ):
        return Verdict(REPORTING)
    return None


def byline_or_date(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A byline, date or e-mail line. Without a comma, pipe or digit it must open like one
    (the "meta" prefix family: "By", "Updated", "Tags" and their kin)."""
    if "@" in line or "http" in low or "www." in low:
        v = _contact(line, low, n)
        if v:
            return v
    if n > 20:
        return None
    if "meta" not in fam and "," not in line and "|" not in line and not HAS_DIGIT.search(line):
        return None
    if sig & G_META_SEP or " by " in line or " von " in line:
        segments = [s for s in META_SPLIT.split(line) if s.strip()]
    else:
        segments = [line]
    prefixes = bool(sig & _META_BIT)
    if len(segments) == 2 and _ROLE_TAIL.match(segments[1].strip()):
        names = byline_names(segments[0])
        if names:
            return Verdict(BYLINE, (("author", names),))
    if 1 <= len(segments) <= 6:
        found = []
        for segment in segments:
            f = _meta_segment(segment, prefixes)
            if f is None:
                return None
            found.append(f)
        meta = tuple((k, v) for k, v in found if k)
        if any(k == "author" for k, _ in meta):
            return Verdict(BYLINE, meta)
        if any(k == "date" for k, _ in meta):
            return Verdict(DATE, meta)
    return None


def _contact(line: str, low: str, n: int) -> Verdict | None:
    """An author's address ("jane@example.com", "Email: Jane Doe jane@…") or a contact line."""
    if "@" in line:
        emails = _EMAIL.findall(line)
        if emails:
            rest = _EMAIL.sub(" ", line)
            if n <= 8 and (not _WORD.search(rest) or byline_names(_CONTACT_LABEL.sub("", rest.strip())) or len(rest.split()) <= 2):
                names = byline_names(rest) if _WORD.search(rest) else None
                return Verdict(BYLINE, (("author", names),) if names else ())
            if n <= 50 and _CONTACT.search(low):
                return Verdict(BYLINE)
    if n <= 45 and ("@" in line or "http" in low or "www." in low) and _CONTACT.search(low):
        return Verdict(BYLINE)
    return None


def byline_names(rest: str) -> str | None:
    """The author names if ``rest`` (what follows "By") is a short run of names."""
    if HAS_DIGIT.search(rest) or len(rest) > 40:
        rest = strip_dates(rest)
    cut = _NAME_CUT.split(rest, maxsplit=1)
    if len(cut) == 2 and word_count(cut[1]) <= 6:
        head = [t for t in cut[0].split() if t]
        if 2 <= len(head) <= 4 and all(t[:1].isupper() or t.lower() in NAME_CONNECTORS for t in head):
            rest = cut[0]
    rest = _NAME_TAIL.sub("", rest.strip()) if rest.count(",") == 1 and word_count(rest) > 4 else rest
    tokens = [t.strip(",.;:()'’") for t in rest.replace("|", " ").split()]
    tokens = [t for t in tokens if t]
    if not tokens or len(tokens) > 9:
        return None
    capitals = 0
    for tok in tokens:
        low = tok.lower()
        if low in NAME_CONNECTORS:
            continue
        if _EMAIL.fullmatch(tok) or tok.startswith("@"):
            continue
        if tok[:1].isupper() and _ALPHA.search(tok):
            capitals += 1
            continue
        return None
    if capitals == 0:
        return None
    return normalise_space(_EMAIL.sub("", rest).strip(" ,|-–—@"))


def _meta_segment(seg: str, prefixes: bool) -> tuple[str, str] | None:
    """What one segment of a byline/date line is. ``prefixes``: the line holds an opening of
    some byline, date or tag prefix (without one, those patterns cannot match)."""
    seg = seg.strip(" ,;")
    if not seg:
        return ("", "")
    # Each pattern below is tried only when the segment can open like it (its first letter),
    # or holds what it needs (a digit, a comma, an "@").
    first = seg[0].lower()
    m = prefixes and (_BYLINE_OPENS is None or first in _BYLINE_OPENS) and _BYLINE.match(seg) or (
        "," in seg and _ROLE_TAIL.match(seg[seg.rfind(",") + 1 :].strip()) and _ROLE_BYLINE.match(seg)
    )
    if m:
        names = byline_names(m.group(1))
        if names:
            return ("author", names)
    digit = HAS_DIGIT.search(seg)
    d = date_only(seg) if digit else None
    if d:
        return ("date", d)
    if prefixes and (_TAGS_OPENS is None or first in _TAGS_OPENS) and TAGS_LABEL.match(seg) and word_count(seg) <= 6:
        return ("", "")
    if digit and TIME_ONLY.fullmatch(seg):
        return ("", "")
    if "@" in seg and _EMAIL.fullmatch(seg):
        return ("", "")
    return None


#: A signature under a story: a person's name alone ("Margaret Ellis", "Анна Соколова"), or a
#: Korean reporter's ("김지은 기자").
_SIGNATURE = re.compile(
    r"^(?:[A-ZÀ-ÖØ-ÞА-ЯЁ][a-zà-öø-ÿа-яё'’\-]+\s){1,2}[A-ZÀ-ÖØ-ÞА-ЯЁ][a-zà-öø-ÿа-яё'’\-]+$|^[가-힣]{2,4}\s?(?:기자|특파원|논설위원)$"
)


def signature(text: str) -> bool:
    return len(text) <= 40 and bool(_SIGNATURE.match(text))


#: The line under a signature that names the signer's role ("Rural affairs correspondent").
_SIGNER_ROLE = re.compile(
    r"(?<!\w)(?:correspondent|reporter|editor|columnist|writer|корреспондент\w*|обозревател\w*|редактор\w*|"
    r"korrespondent\w*|redakteur\w*|reporter\w*|kolumnist\w*|journaliste|correspondant\w*|rédact\w*|chroniqueu\w*|"
    r"periodista|corresponsal|redactor\w*|columnista)(?!\w)|기자|특파원|논설위원",
    FLAGS,
)


def signer_title(text: str) -> bool:
    return len(text) <= 60 and text.count(" ") < 6 and bool(_SIGNER_ROLE.search(text))
