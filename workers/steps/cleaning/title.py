"""Find the headline at the top of a raw document, and the page furniture around it.

The headline is the first heading-like paragraph (short, no full stop at the end) before the
body starts. Around it sit three kinds of furniture that only their position identifies:

* a page title ``Headline | Section | site.com``: the headline part becomes the title, the last
  part (a domain or a site name) becomes ``metadata["site"]`` (rule ``page-title``);
* a section label above the headline (``Foreign Affairs``, ``World``): a short heading-like
  line followed by a longer one (rule ``section-label``). The same short line *inside* the body
  is a subheading and stays;
* the headline repeated as a paragraph (rule ``repeated-headline``).

The line right after the headline, when it is heading-like too and the body follows (seed 001's
"The core issues focused on security, military bases, and immigration"), is the dek. It is the
author's summary of the story, not part of its text (schema.org ``articleBody`` and the
extraction benchmark's truth leave it out too), so like the headline it leaves the body and goes
to ``metadata["subtitle"]`` (rule ``subtitle``). It is only taken when it sits directly under the
headline, is heading-shaped (no full stop) and body text follows within three paragraphs.

A document that starts straight with body text (seed 003) has no title: nothing is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalise import fold
from .shape import ends_sentence, headline_shaped, word_count

PAGE_TITLE = "page-title"
TITLE = "title"
SECTION_LABEL = "section-label"
REPEATED_HEADLINE = "repeated-headline"
SUBTITLE = "subtitle"

_TITLE_SPLIT = re.compile(r"\s+(?:\||–|—|::|·|»|-)\s+")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/?$", re.I)
_ZONE = 6
_OPENERS = " \"'“”„«‘’‚‹([{-–—•·*"
#: How many words an on-page repeat of a known title may have beyond the title's own.
_REPEAT_EXTRA_WORDS = 4


@dataclass
class TitleFinding:
    title: str | None = None
    site: str | None = None
    subtitle: str | None = None
    rules: dict[int, str] = field(default_factory=dict)


def body_like(text: str) -> bool:
    return word_count(text) >= 20 and ends_sentence(text) or word_count(text) >= 45


def split_page_title(text: str) -> tuple[str, str] | None:
    """``Headline | World | site.com`` -> (headline, site); ``None`` if not that shape."""
    if "|" not in text and not any(sep in text for sep in (" – ", " — ", " - ", " :: ", " · ")):
        return None
    parts = [p.strip() for p in _TITLE_SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return None
    last = parts[-1]
    domain = bool(_DOMAIN.match(last))
    if not domain and not (text.count(" | ") >= 2 and word_count(last) <= 4):
        return None
    headline = max(parts[:-1], key=len) if not domain else parts[0]
    if word_count(headline) < 3:
        return None
    return headline, last


def is_page_title(text: str) -> bool:
    """``Headline | Section | site.com``: a page title whose last part is a domain."""
    page = split_page_title(text)
    return bool(page) and bool(_DOMAIN.match(page[1]))


def find_title(texts: list[str], chrome: list[bool], known_title: str | None = None) -> TitleFinding:
    """Decide title, page title, section labels and dek among the first paragraphs.

    ``chrome[i]`` says paragraph ``i`` was already claimed by a rule; it is skipped, not counted.
    ``known_title`` (from HTML metadata) replaces detection; only repeats are then removed.
    """
    found = TitleFinding()
    zone = _heading_zone(texts, chrome)
    if known_title:
        found.title = known_title
        _mark_on_page_headline(found, texts, zone, known_title)
    elif zone:
        _detect_headline(found, texts, zone)
    if found.title:
        _mark_repeats(found, texts, chrome, zone, bool(known_title))
        _take_dek(found, texts, chrome, zone)
    return found


def _heading_zone(texts: list[str], chrome: list[bool]) -> list[int]:
    """The unclaimed paragraphs above the body (at most ``_ZONE``): where a headline can be."""
    zone: list[int] = []
    for i, text in enumerate(texts):
        if len(zone) >= _ZONE:
            break
        if chrome[i]:
            continue
        if body_like(text):
            break
        zone.append(i)
    return zone


def _mark_on_page_headline(found: TitleFinding, texts: list[str], zone: list[int], known_title: str) -> None:
    """With a title from metadata: its repeat on the page, and the section labels above that."""
    keys = _title_keys(known_title)
    # A repeat of the headline is about as long as it: a line that starts like the title, or
    # shares its words, but runs on for many more words is the first paragraph telling the
    # story (a lead without a full stop, one that ends in a colon), and stays.
    longest = word_count(known_title) + _REPEAT_EXTRA_WORDS
    for i in zone[:3]:
        if _same_headline(texts[i], keys) and word_count(texts[i]) <= longest:
            found.rules[i] = REPEATED_HEADLINE
            return
    # The on-page headline often words the story differently from <title>; in extracted
    # text it is still the first heading-shaped line of some length above the body.
    heads = [i for i in zone[:3] if headline_shaped(texts[i], 30)]
    full = [i for i in heads if 4 <= word_count(texts[i]) <= min(20, longest) and _shares_words(texts[i], known_title)]
    if full:
        found.rules[full[0]] = REPEATED_HEADLINE
        for i in heads:
            if i < full[0] and word_count(texts[i]) <= 3:
                found.rules[i] = SECTION_LABEL


def _detect_headline(found: TitleFinding, texts: list[str], zone: list[int]) -> None:
    """Without one: a page title or the first headline-shaped line, and the labels above it."""
    page_at = next((i for i in zone[:3] if split_page_title(texts[i])), None)
    if page_at is not None:
        found.title, found.site = split_page_title(texts[page_at])  # type: ignore[misc]
        found.rules[page_at] = PAGE_TITLE
        pick = page_at
    else:
        heads = [i for i in zone if headline_shaped(texts[i], 30)]
        # A headline has a few words; "Jump to navigation" or "Asia" above it are furniture.
        full = [i for i in heads if word_count(texts[i]) >= 4 and len(texts[i]) >= 20]
        pick = full[0] if full else (heads[0] if heads else -1)
        if pick >= 0:
            found.title = texts[pick]
            found.rules[pick] = TITLE
    for i in zone:
        if i >= pick:
            break
        if word_count(texts[i]) <= 5 and not ends_sentence(texts[i]):
            found.rules[i] = SECTION_LABEL


def _mark_repeats(found: TitleFinding, texts: list[str], chrome: list[bool], zone: list[int], known: bool) -> None:
    """Paragraphs that repeat the headline. Extracted HTML (``known`` title) repeats it at the
    top only; an in-body subheading that trafilatura took for the title on a page without one
    must stay."""
    keys = _title_keys(found.title)
    scope = zone if known else range(len(texts))
    lo, hi = len(found.title) // 3, len(found.title) + 40
    firsts = {k[:1] for k in keys}
    for i in scope:
        text = texts[i]
        if i in found.rules or chrome[i] or not lo <= len(text) <= hi:
            continue
        if text.lstrip(_OPENERS)[:1].lower() not in firsts or not headline_shaped(text, 40):
            continue
        if fold(text) in keys:
            found.rules[i] = REPEATED_HEADLINE


def _take_dek(found: TitleFinding, texts: list[str], chrome: list[bool], zone: list[int]) -> None:
    """The dek: the first unclaimed paragraph under the last headline, when it reads as one."""
    heads = [i for i, r in found.rules.items() if r in (TITLE, PAGE_TITLE, REPEATED_HEADLINE) and (not zone or i <= zone[-1])]
    if heads:
        last = max(heads)
        nxt = last + 1
        while nxt < len(texts) and (chrome[nxt] or nxt in found.rules):
            nxt += 1
        if nxt < len(texts) and nxt in zone and _dek(texts, nxt, found.title, chrome):
            found.subtitle = texts[nxt]
            found.rules[nxt] = SUBTITLE


def _title_keys(title: str) -> set[str]:
    """The folded title, and its headline part when it carries a site suffix."""
    keys = {fold(title)}
    page = split_page_title(title)
    if page:
        keys.add(fold(page[0]))
    for sep in (" | ", " - ", " – ", " — "):
        if sep in title:
            head = title.rsplit(sep, 1)[0]
            if word_count(head) >= 3:
                keys.add(fold(head))
    keys.discard("")
    return keys


def _same_headline(text: str, keys: set[str]) -> bool:
    if not headline_shaped(text, 40):
        return False
    f = fold(text)
    return f in keys or any(len(f) >= 20 and (k.startswith(f) or f.startswith(k)) for k in keys if len(k) >= 20)


_CONTENT = re.compile(r"[^\W\d_]{4,}")


def _shares_words(text: str, title: str) -> bool:
    """At least two content words, and 40 % of the line's, also in the title."""
    words = {w.lower() for w in _CONTENT.findall(text)}
    shared = words & {w.lower() for w in _CONTENT.findall(title)}
    return len(shared) >= 2 and len(shared) >= 0.4 * len(words)


def _dek(texts: list[str], i: int, title: str, chrome: list[bool]) -> bool:
    """A heading-like line under the headline, with body following it."""
    cand = texts[i]
    if word_count(cand) > 40 or body_like(cand) or cand.endswith(":") or ends_sentence(cand) and not cand.endswith(("?", "!")):
        return False
    if fold(cand) == fold(title) or not cand[:1].isupper():
        return False
    following = [t for j, t in enumerate(texts[i + 1 :], i + 1) if not chrome[j]][:3]
    return any(body_like(t) for t in following)
