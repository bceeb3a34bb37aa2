"""Where-am-I furniture: menus, breadcrumbs, buttons, "You are here" and tag lists.

None of it is sentences: a row of short capitalised items ("Home > News > World",
"Politics | Business | Sport"), a few words of interface vocabulary ("Skip to content",
"Back to top"), or a label with a list ("Tags: Europe, Energy"). Tags written together
without separators ("PoliticsWorldEurope") are caught by their lower-to-upper joins.

Each family test takes the facts :func:`.rules.classify_paragraph` gathered about the line and
returns a :class:`.verdict.Verdict` or ``None``.
"""

from __future__ import annotations

import re

from . import phrases
from .legal import legal_links
from .phrases import FLAGS, NAV_WORDS, UI_CORE, UI_WORDS, alternation
from .shape import HAS_DIGIT, INNER_SENTENCE, URL, ends_sentence, tags_run_together, word_count
from .triage import G_CRUMB, G_LEGAL, G_NAV_LINE, G_UI_CORE
from .verdict import COPYRIGHT, NAVIGATION, TAGS, Verdict

#: A whole line that is a navigation entry ("Skip to content"), decoration stripped.
NAV_MARKER = re.compile(r"^" + alternation(phrases.NAV_LINE) + r"\W*$", FLAGS)
#: A tag-list label opening a line ("Tags:", "Themen").
TAGS_LABEL = re.compile(r"^" + alternation(phrases.TAGS_PREFIX) + r"\s*(?:[:：]|\s*$)", FLAGS)
_TAGS_BARE = re.compile(r"^(?:posted in|tagged(?: with| as)?|filed under|categories|category|topics|themen|thèmes|temas|темы)\s+[A-ZÀ-ÝА-Я0-9]", FLAGS)
_YOU_ARE_HERE = re.compile(r"^(?:you are here|sie sind hier|vous êtes ici|usted está aquí|estás aquí|вы здесь)\s*:", FLAGS)
# A breadcrumb or menu separator (pipe, bullet, arrow, "::", or a spaced ">" "/" "\\"), written
# after its first character like credits.META_SPLIT; tests/steps/test_cleaning.py holds the plain form.
BREADCRUMB_SPLIT = re.compile(r"[\s|•·»›→:](?:(?<=\s)\s*(?:[|•·»›→]|::)\s*|(?<=[|•·»›→])\s*|(?<=:):\s*|(?<=\s)\s*[>/\\]\s+)")
# A word opening in lower case: the line is not a row of capitalised menu words.
_SPACE_LOWER = re.compile(r" [a-zа-яё]")
_HOME_WORDS = frozenset({"home", "homepage", "startseite", "accueil", "inicio", "portada", "главная", "news"})
_FUNCTION_WORDS = frozenset(
    "a an the to of for on in and & or with by at from your our my this all "
    "le la les des du de à au el los las lo por en da die der das dem den aus zu von im am "
    "на по от в и".split()
)
_NAME_AFTER = frozenset("by on auf sur von par por на".split())


def navigation(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A menu, breadcrumb or legal-link row, or (late in the page) a comma-separated tag list."""
    if "nav" in fam and n <= 6 and sig & G_NAV_LINE and NAV_MARKER.match(bare):
        return Verdict(NAVIGATION)
    separated = "|" in line or "·" in line or "•" in line
    # (a separated line with a needle was already tested by legal.notice)
    if n <= 25 and (not needle if separated else n <= 8) and sig & G_LEGAL and legal_links(low):
        return Verdict(COPYRIGHT)
    if n <= 30 and not ends_sentence(line):
        parts = [p for p in BREADCRUMB_SPLIT.split(line) if p.strip()] if sig & G_CRUMB else [line]
        if len(parts) >= 2 and (parts[0].strip().lower() in _HOME_WORDS or all(NAV_MARKER.match(p.strip()) for p in parts)):
            return Verdict(NAVIGATION)
        if len(parts) >= 3 and all(word_count(p) <= 5 for p in parts) and not URL.search(line):
            return Verdict(NAVIGATION if position < 0.5 else TAGS)
        if 3 <= n <= 20 and "," not in line and not _SPACE_LOWER.search(line):
            words = line.split()
            # capitalised words, or words of a caseless script (Hangul)
            if all(w[:1].isupper() or w == "&" or (w[:1].isalpha() and not w[:1].islower()) for w in words):
                navs = sum(1 for w in words if w.lower().strip("&") in NAV_WORDS)
                if navs >= 0.6 * n:
                    return Verdict(NAVIGATION)
        if position > 0.7 and line.count(",") >= 3 and not URL.search(line):
            items = [p.strip() for p in line.split(",") if p.strip()]
            if len(items) >= 4 and all(word_count(p) <= 4 and p[:1].isupper() for p in items):
                return Verdict(TAGS)
    return None


def tag_list(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A labelled tag list: "Tags: Europe, Energy", "Filed under Politics"."""
    if "tags" in fam and n <= 40 and TAGS_LABEL.match(line) and not INNER_SENTENCE.search(line):
        return Verdict(TAGS)
    if "tags" in fam and n <= 15 and not ends_sentence(line) and _TAGS_BARE.match(line):
        return Verdict(TAGS)
    return None


def interface_line(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A location label ("You are here:") or a button ("Back to top", "Sign in")."""
    if n <= 15 and _YOU_ARE_HERE.match(line):
        return Verdict(NAVIGATION)
    if n <= 7 and sig & G_UI_CORE and (not line.endswith(".") or line.endswith("...")) and ui_line(line):
        return Verdict(NAVIGATION)
    return None


def tag_run(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """Tags run together ("PoliticsWorldEurope"); a long line only late in the page or unpunctuated."""
    if n <= 40 or position > 0.7 or not ends_sentence(line):
        if tags_run_together(line, n):
            return Verdict(TAGS)
    return None


def ui_line(line: str) -> bool:
    """A button or menu entry: a few words, nearly all interface vocabulary (``UI_WORDS``), one of
    them a telling one (``UI_CORE``). Numbers ("30-day", "1€") do not count, and neither do the
    capitalised name after "by"/"on" ("Popular on Harbour Times", "Sponsored by Acme")."""
    raw = [w.strip(".,:;!?()[]|•·–—»«\"'") for w in line.split()]
    if not any(w.lower() in UI_CORE or ("-" in w and any(p in UI_CORE for p in w.lower().split("-"))) for w in raw):
        return False
    raw = [w for w in raw if w]
    words: list[str] = []
    for i, w in enumerate(raw):
        if i > 0 and w[:1].isupper() and (raw[i - 1].lower() in _NAME_AFTER or (words and words[-1] == "")):
            words.append("")  # part of a trailing proper name
            continue
        words.append(w.lower())
    words = [w for w in words if w and not HAS_DIGIT.search(w)]
    if not words:
        return False
    parts = [p for w in words for p in (w.split("-") if w not in UI_WORDS else [w]) if p]
    known = sum(1 for p in parts if p in UI_WORDS)
    core = any(p in UI_CORE for p in parts)
    if not core:
        return False
    if known == len(parts):
        return True
    # One stray word is allowed when at least two telling words carry the line.
    content = sum(1 for p in parts if p in UI_WORDS and p not in _FUNCTION_WORDS)
    return len(parts) - known == 1 and len(parts) >= 3 and content >= 2
