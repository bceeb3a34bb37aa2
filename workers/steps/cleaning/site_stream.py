"""Site chrome learned online, from the stream of one site's pages (rule ``site-repeated``).

A person sees at once that a line printed on 27 pages of one site under 27 different stories is
not part of any of them. This module gives the cleaner the same view without a manual step: each
cleaned page yields :class:`Evidence` (what it says about its site's chrome), a learner folds the
evidence of the site's pages into counts, and the lines it has learned come back to the cleaner as
:class:`LearnedLines`, applied from the next page on. :class:`SiteLearner` is the learner in
memory (``corpus clean FILE...``, the benchmarks); ``workers.sites`` runs the same update
atomically in Redis so every worker shares it. Both follow :func:`update`.

What keeps the story's own text out (each guard has a test in ``tests/steps``):

- **different stories**: a page adds support only when it is a *new story* for the site: fewer
  than half of its body sentences (hashed, :data:`STORY_KEYS` of them) were seen on the site
  before. Copies, updates and re-publications of one story add nothing, so a line shared only by
  copies of one story is never learned.
- **position**: a line gains support only where chrome stands: before the first or after the last
  sentence of the page that is new to the site (its own story), or in a run of short lines. A
  templated sentence the site prints inside every body has story sentences on both sides and is
  never counted. The line right before the first story sentence (the dateline's place) is never
  counted either.
- **support**: a line is learned after it stood at the edge of :data:`MIN_SUPPORT` new stories and
  of at least :data:`MIN_SHARE` of the site's new stories.
- **cap**: on one page the learned lines may remove at most :data:`MAX_SHARE` of the words the
  rules left; past that only the ones at the page's edges go.

Lines are compared by :func:`.normalise.line_key` (case, digits, punctuation folded: "Updated
09:05, 3 March" and "Updated 14:40, 9 March" meet) and stored as short hashes, so learned lines
are a set lookup when cleaning; lines over :data:`MAX_CHARS` characters are the story's, never
hashed (see there).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from .normalise import line_key

RULE = "site-repeated"

#: New stories a line must have stood at the edge of. Three: in the evaluation set
#: (``bench/data/sites``) every chrome line of a site is on every page, so three pages learn it;
#: two would let a pair of stories that share a quoted line teach it.
MIN_SUPPORT = 3
#: ... and this share of the site's new stories, so a big site's rotating lines (a teaser list
#: that changes hourly) need proportionally more support than a small site's.
MIN_SHARE = 0.05
#: A page whose body sentences were at least this share seen before is a copy: it teaches nothing.
NOVEL_BELOW = 0.5
#: Body sentences hashed per page to tell new stories from copies (the first ones).
STORY_KEYS = 8
#: Paragraphs sent from each end of a page: chrome stands at the edges, and a long story's middle
#: costs the store nothing this way.
EDGE_PARAGRAPHS = 15
#: Lines longer than this (in words, or in characters) are never learned (nor looked up): chrome
#: is short (no chrome line of ``bench/data/sites`` and 3 of 936 in the labelled corpus, all
#: captions or run-together teasers the rules take, pass 160 characters), and a story's long
#: sentences are most of a page's lines new to the process, whose hashing was most of what the
#: stream costs (``bench/clean.py``: 9 of the 11 lines a page hashes on ``bench/corpus.py``).
MAX_WORDS = 60
MAX_CHARS = 160
#: The most of a page's remaining words the learned lines may take, edges apart.
MAX_SHARE = 0.5

#: Flags of an evidence line.
SENTENCE = "s"   # reads like a story sentence (can be the page's own story, if new to the site)
RUN = "r"        # in a run of three or more short lines: counted wherever it is
DATELINE = "d"   # the line right before the first sentence: never counted
GAP = "g"        # stands for the page's middle, not sent: story sentences, never counted


def key_hash(key: str) -> str:
    """A line key as 16 hex digits: what the learner stores and the cleaner looks up."""
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Evidence:
    """What one page says about its site's chrome: its story (hashes of its first body sentences)
    and its edge lines in page order, each ``(hash, flags)``."""

    story: tuple[str, ...]
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LearnedLines:
    """A site's learned chrome as the cleaner uses it: line hash -> new stories it stood on,
    out of ``pages`` new stories seen, at ``version``."""

    site: str
    lines: dict = field(default_factory=dict)
    pages: int = 0
    version: int = 0

    def __len__(self) -> int:
        return len(self.lines)

    def support(self, text: str) -> int | None:
        return self.lines.get(edge_hash(text)) if self.lines else None

    def note(self, count: int) -> str:
        return f"on {count} of {self.pages} pages of this site"


#: Lines (hashes) a site's "seen" set holds before its memory turns over: the sets of story
#: sentences and lines seen and the edge counts then become the *previous* generation (still
#: read) and a new one starts; the generation before is dropped. So a site costs at most two
#: generations however long it streams: ~1.2 MB of Redis (``bench/clean_sites.py --memory``:
#: 1.16 MB after 3,000 pages against 2.46 MB unbounded, which grows ~0.8 MB per 1,000 pages,
#: so 80 MB for a site of 100,000), and a line that stood
#: at the edge once, two generations ago, is forgotten. Support is counted over the same window
#: (:data:`MIN_SHARE` of the new stories of the two generations), so a big old site still learns
#: a new footer. A generation is ~130 new pages of 30 lines: chrome on 5 % of a site's pages
#: stands on 6 or more of them.
GENERATION_LINES = 4_000
#: The most lines a site may learn: chrome is tens of lines (at most 40 per site in
#: ``bench/data/sites``); past this a site's model stops growing rather than eat its pages.
MAX_LEARNED = 400
#: Seconds a site's keys live after its last page (Redis EXPIRE, renewed by every page): a site
#: that stopped publishing gives its memory back. 90 days.
SITE_TTL_S = 90 * 24 * 3600
#: When the learned lines count as changed *materially*, so that the site's earlier documents are
#: cleaned again (``workers.pipeline``): when their number reaches (1 + this) times what it was
#: at the last material change (and at least one more). The first lines a site learns are always
#: material; after that re-cleaning is triggered at 1, 2, 3, 5, 8, 12, 18, ... lines, so a site of
#: L chrome lines has its earlier pages re-cleaned about log(L)/log(1.5) times, most of them while
#: it is young and has few pages, and a line learned late adds little to what is already gone.
MATERIAL_GROWTH = 0.5


def material(lines: int, at_last: int) -> bool:
    """Whether a model of ``lines`` learned lines differs materially from the last material one
    (``at_last`` lines): see :data:`MATERIAL_GROWTH`."""
    return lines >= max(at_last + 1, math.ceil(at_last * (1 + MATERIAL_GROWTH)))


def update(state: "SiteState", evidence: Evidence, generation_lines: int = GENERATION_LINES) -> bool:
    """Fold one page's evidence into its site's state; returns whether new lines were learned.

    This is the one definition of learning; ``workers.sites`` runs the same steps in Redis (Lua).
    """
    story = evidence.story
    if not story:
        return False
    seen = sum(1 for h in story if h in state.stories or h in state.old_stories)
    state.stories.update(story)
    if seen >= NOVEL_BELOW * len(story):
        return False
    state.pages += 1
    state.window += 1
    new_sentence = [SENTENCE in f and GAP not in f and h not in state.seen and h not in state.old_seen or GAP in f
                    for h, f in evidence.lines]
    first = next((i for i, x in enumerate(new_sentence) if x), len(new_sentence))
    last = next((i for i in range(len(new_sentence) - 1, -1, -1) if new_sentence[i]), -1)
    need = max(MIN_SUPPORT, math.ceil(MIN_SHARE * (state.window + state.old_window)))
    learned = False
    for i, (h, flags) in enumerate(evidence.lines):
        if GAP in flags:
            continue
        state.seen.add(h)
        if DATELINE in flags or not (i < first or i > last or RUN in flags):
            continue
        state.edges[h] = state.edges.get(h, 0) + 1
        n = state.edges[h] + state.old_edges.get(h, 0)
        known = h in state.learned
        if n >= need and not known and len(state.learned) < MAX_LEARNED:
            learned = known = True
        if known:
            state.learned[h] = n
    if learned:
        state.version += 1
        if material(len(state.learned), state.material_lines):
            state.material_lines = len(state.learned)
            state.material += 1
    if len(state.seen) >= generation_lines:
        state.old_stories, state.old_seen, state.old_edges = state.stories, state.seen, state.edges
        state.stories, state.seen, state.edges = set(), set(), {}
        state.old_window, state.window = state.window, 0
    return learned


@dataclass
class SiteState:
    """One site's learning state: story sentences and lines seen, edge counts (this generation and
    the one before), learned lines, and the versions: ``version`` moves with every line learned,
    ``material`` when the lines changed materially (:func:`material`)."""

    stories: set = field(default_factory=set)
    seen: set = field(default_factory=set)
    edges: dict = field(default_factory=dict)
    learned: dict = field(default_factory=dict)
    pages: int = 0
    version: int = 0
    material: int = 0
    material_lines: int = 0
    old_stories: set = field(default_factory=set)
    old_seen: set = field(default_factory=set)
    old_edges: dict = field(default_factory=dict)
    window: int = 0  # new stories counted in this generation
    old_window: int = 0  # ... and in the one before
    snapshot: "LearnedLines | None" = None


class SiteLearner:
    """Online site chrome for one process: ``observe`` each cleaned page, ``lines`` for the next."""

    def __init__(self, generation_lines: int = GENERATION_LINES) -> None:
        self.sites: dict[str, SiteState] = {}
        self.generation_lines = generation_lines

    def observe(self, site: str | None, evidence: Evidence | None) -> bool:
        if not site or evidence is None:
            return False
        return update(self.sites.setdefault(site, SiteState()), evidence, self.generation_lines)

    def lines(self, site: str | None) -> LearnedLines | None:
        """The site's learned lines as of its latest version (the counts in the notes are those of
        that version, as a worker's cache holds them)."""
        state = self.sites.get(site) if site else None
        if state is None or not state.learned:
            return None
        if state.snapshot is None or state.snapshot.version != state.version:
            state.snapshot = LearnedLines(site=site, lines=dict(state.learned), pages=state.pages, version=state.version)
        return state.snapshot


@lru_cache(maxsize=1 << 15)
def edge_hash(text: str) -> str | None:
    """:func:`key_hash` of the :func:`.normalise.line_key` of a line short enough to be learned
    (:data:`MAX_CHARS`, :data:`MAX_WORDS`), else ``None``: what a page's lines are looked up and
    sent by. Cached: a site's chrome lines come back on every page, and a long line costs its
    length test only."""
    if len(text) > MAX_CHARS or text.count(" ") >= MAX_WORDS:
        return None
    return key_hash(line_key(text))


def story_hash(text: str) -> str:
    """A story sentence's key (what tells a new story from a copy): the hash of the sentence as
    it stands, case folded. Only ever compared with other story keys, so it needs no line key:
    a copy of a story repeats its sentences, and one sentence edited between two copies leaves
    the others (:data:`NOVEL_BELOW`)."""
    return hashlib.blake2b(text.lower().encode(), digest_size=8).hexdigest()


def apply_and_observe(texts: list[str], rules: list, learned: LearnedLines | None, observe: bool,
                      sentence: list[bool], short: list[bool]) -> tuple[dict[int, str], Evidence | None]:
    """Remove ``learned`` lines from one page (into ``rules``) and gather its :class:`Evidence`.

    ``rules`` holds what the rules said of each paragraph (``None``: body so far); ``sentence``
    and ``short`` say of each paragraph whether it reads like a story sentence or like a short
    furniture line. Returns the notes of the lines removed (index -> "on 27 of 31 pages ...") and
    the evidence (when ``observe``).
    """
    n = len(texts)
    known = learned.lines if learned is not None else {}
    if not known and not observe:
        return {}, None
    # Only unclaimed lines are looked up, and only a page that teaches hashes the lines the rules
    # took (its evidence sends them): a hash is a fold of the line, the dearest step here.
    if observe:
        hashes: list[str | None] = [edge_hash(t) for t in texts]
    else:
        hashes = [None if r is not None else edge_hash(t) for t, r in zip(texts, rules)]
    # Story sentences: unclaimed, sentence-shaped, not learned chrome.
    if known:
        is_sentence = [r is None and s and h not in known for r, s, h in zip(rules, sentence, hashes)]
    else:
        is_sentence = [r is None and s for r, s in zip(rules, sentence)]
    first = is_sentence.index(True) if True in is_sentence else n
    last = n - 1 - is_sentence[::-1].index(True) if first < n else -1
    notes: dict[int, str] = {}
    # Runs as the rules left them (before the learned lines are taken): needed for the evidence,
    # and for the cap.
    in_run = _runs(rules, short) if observe else None
    if known:
        hits = [i for i, (r, h) in enumerate(zip(rules, hashes)) if r is None and h in known]
        if hits:
            taken = sum(texts[i].count(" ") + 1 for i in hits)
            if taken > MAX_SHARE * sum(t.count(" ") + 1 for t, r in zip(texts, rules) if r is None):
                in_run = in_run or _runs(rules, short)
                hits = [i for i in hits if i < first or i > last or in_run[i]]
            for i in hits:
                rules[i] = RULE
                notes[i] = learned.note(known[hashes[i]])
    if not observe:
        return notes, None
    story = tuple(islice((story_hash(texts[i]) for i in range(n) if is_sentence[i]), STORY_KEYS))
    dateline = first - 1 if 0 < first < n and texts[first - 1].count(" ") < 8 else -1
    lines: list[tuple[str, str]] = []
    gap = ("", GAP)
    for i in range(n):
        if EDGE_PARAGRAPHS <= i < n - EDGE_PARAGRAPHS:
            if i == EDGE_PARAGRAPHS:
                lines.append(gap)
            continue
        h = hashes[i]
        if h is None:
            if is_sentence[i]:
                lines.append(gap)  # a long story sentence: the story, not a line to learn
            continue
        if is_sentence[i]:
            flags = SENTENCE + RUN if in_run[i] else SENTENCE
        else:
            flags = RUN if in_run[i] else ""
        if i == dateline:
            flags += DATELINE
        lines.append((h, flags))
    return notes, Evidence(story=story, lines=tuple(lines))


def _runs(rules: list, short: list[bool]) -> list[bool]:
    """Whether each paragraph stands in a run of three or more claimed or short lines."""
    n = len(rules)
    in_run = [False] * n
    start = 0
    for i in range(n + 1):
        if i == n or not (rules[i] is not None or short[i]):
            if i - start >= 3:
                for j in range(start, i):
                    in_run[j] = True
            start = i + 1
    return in_run
