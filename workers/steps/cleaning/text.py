"""The raw-text cleaning pass: paragraphs, then line rules, then context, then the site model.

Order matters and each step has one job:

1. :func:`paragraphs.split_paragraphs` rebuilds paragraphs (hard wraps joined, inline markers
   dropped);
2. :func:`rules.classify_paragraph` names the chrome family of each paragraph on its own;
3. :func:`title.find_title` takes the headline, page title, section labels and repeats;
4. blocks: a related/recommended header (or a comments header) after the body has started
   takes the teaser items listed under it, up to the first paragraph that reads like body;
5. the site model, when given, removes that site's learned boilerplate (``corpus learn``), and
   the lines learned online from the site's stream (:mod:`.site_stream`) go too; the page's own
   evidence for that learning is gathered on the way;
6. page edges (raw text only): short unpunctuated lines left between the headline and the first
   sentence, or after the last one, are furniture whatever their wording, which is what catches
   chrome no phrase list knows (after the site's lines: a learned footer no longer hides what
   stands above it);
7. what the removed lines say about the article (author, date, original URL, site) goes to
   metadata.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .paragraphs import Paragraph, split_paragraphs
from .result import Cleaned, Removed
from .rules import classify, classify_paragraph, marker
from .credits import signature, signer_title
from .dates import dateline
from .shape import dense_script, ends_sentence, headline_shaped, quoted, word_count
from .site_model import RULE as SITE_RULE
from .site_model import SiteModel
from .site_stream import Evidence, LearnedLines, apply_and_observe
from .title import TitleFinding, body_like, find_title, is_page_title
from .verdict import COMMENTS, NAVIGATION, READ_MORE, RELATED_HEADER, TAGS

_BLOCK_OPENERS = frozenset({RELATED_HEADER, COMMENTS})
_BULLET = re.compile(r"^\s*(?:[-•*·–—»▪►]\s*|\d{1,2}[.)]\s)")
_TRUNCATED = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\])\W*$")
_META_KEYS = ("author", "date", "original_url")


def _breaker(line: str) -> bool:
    return classify(line) is not None


def _item_like(text: str) -> bool:
    """A teaser in a related list: a bullet, a headline, a cut-off blurb, or a byline/date."""
    if _BULLET.match(text) or headline_shaped(text, 25) or _TRUNCATED.search(text):
        return True
    if not ends_sentence(text):
        return True
    return False


def _consume_block(texts: list[str], rules: list[str | None], start: int, rule: str, bullets_only: bool, tail: bool) -> int:
    """Claim the items listed under a block header at ``start``; returns where the block ended.

    At the end of a page (``tail``: at most one body-like paragraph left after the header, which
    is then a teaser, seed 004) everything down to the end is the block. In mid-article only
    teaser shapes are taken (bullets, headlines, cut-off blurbs), and the first body paragraph
    ends it.
    """
    i = start + 1
    for i in range(start + 1, len(texts)):
        if rules[i] is not None:
            continue
        t = texts[i]
        if bullets_only:
            if not _BULLET.match(t) or word_count(t) > 30:
                return i
        elif not tail and not _item_like(t):
            return i
        rules[i] = rule
    return len(texts)


HEADER = "page-header"
FOOTER = "page-footer"
_HEAD_RULES = frozenset({"title", "page-title", "repeated-headline", "subtitle"})


def _page_edges(texts: list[str], rules: list[str | None]) -> None:
    """Short unpunctuated lines between the headline and the first body paragraph, and after the
    last body paragraph, are page furniture whatever they say (``page-header``/``page-footer``):
    an article's own text is sentences, and it starts after its headline and ends with one.
    Bullets at the end are left alone (a story may end on a list), and so are the story's own
    short lines there: a quoted line, and a signature right after the last sentence. A question
    among other furniture lines at the foot is one more headline of a list."""
    n = len(texts)
    first = next((i for i in range(n) if rules[i] is None and _sentence(texts[i])), None)
    if first is None:
        return
    last = next(i for i in range(n - 1, first - 1, -1) if rules[i] is None and _sentence(texts[i])
                and not (i > first and _question_in_list(texts, rules, i)))
    head = [i for i in range(first) if rules[i] in _HEAD_RULES]
    if head:
        for i in range(max(head) + 1, first):
            if rules[i] is None and _furniture(texts[i]):
                rules[i] = HEADER
    signed = last
    for i in range(last + 1, n):
        t = texts[i]
        if rules[i] is not None:
            continue
        if (i == signed + 1 or rules[i - 1] is None and ends_sentence(texts[i - 1])) and signature(t):
            # The story's own sign-off, and the line of the signer's title under it. Two short
            # lines with no role among them ("Hafenzeitung Plus", "Unsere Partner im Netz") are
            # a run of furniture instead.
            nxt = texts[i + 1] if i + 1 < n and rules[i + 1] is None else None
            if nxt is not None and signer_title(nxt):
                signed = i + 1
                continue
            if nxt is None or not (_furniture(nxt) and word_count(nxt) <= 4):
                signed = i
                continue
        if i == signed:
            continue
        if quoted(t) or _BULLET.match(t):
            continue
        if _furniture(t) or _question_in_list(texts, rules, i):
            rules[i] = FOOTER


def _question_in_list(texts: list[str], rules: list[str | None], i: int) -> bool:
    """A headline that asks a question ("Fact check: did the city plant 10,000 trees?") with
    furniture or removed chrome on both sides, or heading two more headlines that no rule took
    (:func:`_opens_headlines`): one more item of a list of headlines."""
    t = texts[i]
    if not (t.endswith("?") and headline_shaped(t)) or quoted(t):
        return False
    near = [j for j in (i - 1, i + 1) if 0 <= j < len(texts)]
    return all(rules[j] is not None or _furniture(texts[j]) or _headline_question(texts[j]) for j in near) or \
        _opens_headlines(texts, rules, i)


def _opens_headlines(texts: list[str], rules: list[str | None], i: int) -> bool:
    """The two lines after ``i`` are headlines no rule took: ``i`` opens an unlabelled list of
    other stories' headlines (a story that ends on a question is followed by its page's footer,
    which the rules take, or by a list under a "Related" header, which they take too)."""
    nxt = range(i + 1, i + 3)
    return i + 2 < len(texts) and all(rules[j] is None and _furniture(texts[j]) and headline_shaped(texts[j])
                                      for j in nxt)


def _headline_question(t: str) -> bool:
    return t.endswith("?") and headline_shaped(t)


_DATELINE_RULES = frozenset({"subtitle", HEADER, "date-line"})


def _keep_dateline(texts: list[str], rules: list[str | None]) -> None:
    """The dateline ("PORTREE, Scotland") right before the story's first sentence is the story's."""
    first = next((i for i in range(len(texts)) if rules[i] is None and _sentence(texts[i])), None)
    if first and rules[first - 1] in _DATELINE_RULES and dateline(texts[first - 1]):
        rules[first - 1] = None


def _furniture(text: str) -> bool:
    return _shape(text)[1]


def _sentence(text: str) -> bool:
    return _shape(text)[0]


@lru_cache(maxsize=1 << 15)
def _shape(text: str) -> tuple[bool, bool]:
    """(reads like a story sentence, reads like a short furniture line): asked of every paragraph
    up to four times a page, and of a site's chrome on every page, so remembered."""
    n = word_count(text)
    if ends_sentence(text):
        return n >= 12 or (n >= 4 and len(text) >= 25 and dense_script(text)), False
    return n >= 45, n <= 12


def clean(text: str, *, site: str | None = None, site_model: SiteModel | None = None, known_title: str | None = None,
          unwrap: bool = True, learned: LearnedLines | None = None, observe: bool = False) -> Cleaned:
    if site_model is not None and site is not None and site_model.site != site:
        raise ValueError(f"site model is for {site_model.site!r}, not {site!r}")
    paras, dropped = split_paragraphs(text, marker=marker, breaker=_breaker, unwrap=unwrap)
    texts = [p.text for p in paras]
    rules, meta = _classify_each(texts)
    found = _take_title(texts, rules, meta, known_title)
    _claim_blocks(texts, rules)
    if site_model is not None:
        for i, t in enumerate(texts):
            if rules[i] is None and site_model.matches(t):
                rules[i] = SITE_RULE
    notes: dict[int, str] = {}
    evidence: Evidence | None = None
    if learned is not None or observe:
        # Before the page edges: once the site's learned footer is gone, what it hid (a list of
        # headlines above it) stands at the page's edge.
        before = list(rules)
        shapes = [_shape(t) for t in texts]
        notes, evidence = apply_and_observe(texts, rules, learned, observe, [s for s, _ in shapes],
                                            [f for _, f in shapes])
    # The page as cleaned without the site's learned lines, when they took some (what the
    # fingerprint is taken from: it must not depend on what the site had taught so far).
    stable = [before] if notes else []
    for r in [rules, *stable]:
        if unwrap:
            # Raw pages only: in extracted HTML the page chrome is gone, and short trailing lines
            # (link lists, sign-offs) are more often the article's own.
            _page_edges(texts, r)
        _keep_dateline(texts, r)
    if stable:
        # The site's lines never make a page keep what the rules alone took: a line whose
        # neighbours the site's lines took no longer stands in its list for the page-edge rules.
        for i, r in enumerate(stable[0]):
            if r is not None and rules[i] is None:
                rules[i] = r
    if site and "site" not in meta:
        meta["site"] = site
    body, removed = _sort_out(paras, dropped, rules, notes)
    kept = "\n\n".join(t for t, r in zip(texts, stable[0]) if r is None) if stable else None
    return Cleaned(title=found.title, text="\n\n".join(body), removed=removed, metadata=meta, evidence=evidence,
                   learned_kept=kept)


def _classify_each(texts: list[str]) -> tuple[list[str | None], dict]:
    """Each paragraph's rule on its own, and the first author, date and original URL they tell."""
    n = len(texts)
    rules: list[str | None] = [None] * n
    meta: dict = {}
    for i, t in enumerate(texts):
        v = classify_paragraph(t, (i + 0.5) / n)
        if v is not None:
            rules[i] = v.rule
            for k, val in v.meta:
                if k in _META_KEYS and val and k not in meta:
                    meta[k] = val
    return rules, meta


def _take_title(texts: list[str], rules: list[str | None], meta: dict, known_title: str | None) -> TitleFinding:
    """Headline, page title, section labels and dek (:func:`title.find_title`) into ``rules`` and ``meta``."""
    for i in range(min(len(texts), 4)):
        # "Headline | World | site.com" has the shape of a breadcrumb; the title step decides.
        if rules[i] in (NAVIGATION, TAGS) and is_page_title(texts[i]):
            rules[i] = None
    found = find_title(texts, [r is not None for r in rules], known_title)
    for i, rule in found.rules.items():
        rules[i] = rule
    if found.title:
        meta["title"] = found.title
    if found.site:
        meta["site"] = found.site
    if found.subtitle:
        meta["subtitle"] = found.subtitle
    return found


def _claim_blocks(texts: list[str], rules: list[str | None]) -> None:
    """Related, comments and read-more headers take the teaser items listed under them."""
    n = len(texts)
    # sentences_after[i]: unclaimed sentence-like paragraphs after i, to tell a block at the end
    # of the page (which runs to the end) from one in mid-article.
    sentences_after = [0] * (n + 1)
    if any(r in _BLOCK_OPENERS for r in rules):
        for i in range(n - 1, -1, -1):
            t = texts[i]
            sentence = rules[i] is None and ends_sentence(t) and word_count(t) >= 8
            sentences_after[i] = sentences_after[i + 1] + sentence
    body_started = False
    i = 0
    while i < n:
        if not body_started and rules[i] is None and body_like(texts[i]):
            body_started = True
        rule = rules[i]
        if rule in _BLOCK_OPENERS and body_started and word_count(texts[i]) <= 8:
            i = max(i + 1, _consume_block(texts, rules, i, rule, False, sentences_after[i + 1] <= 1))
        elif rule == READ_MORE:
            i = max(i + 1, _consume_block(texts, rules, i, rule, True, False))
        else:
            i += 1


def _sort_out(paras: list[Paragraph], dropped: list[tuple[int, str, str]], rules: list[str | None],
              notes: dict[int, str]) -> tuple[list[str], list[Removed]]:
    """Body paragraphs and removed lines, in page order (dropped marker lines among them)."""
    removed: list[Removed] = []
    body: list[str] = []
    events = [(p.first_line, 1, p.text, rules[i], notes.get(i)) for i, p in enumerate(paras)]
    if dropped:  # paragraphs are already in line order; dropped marker lines go between them
        events += [(idx, 0, line, rule, None) for idx, line, rule in dropped]
        events.sort(key=lambda e: (e[0], e[1]))
    for _, _, t, rule, note in events:
        if rule is None:
            body.append(t)
        else:
            removed.append(Removed(t, rule, note))
    return body, removed
