"""HTML to clean text: trafilatura for the main content, then the raw-text chrome rules.

Settings were chosen by measuring on ``../shared/benchmarks/article-extraction`` (see
``bench/clean.py``): ``favor_precision=True`` with comments excluded measured best (F1 0.964
against 0.960 for defaults); ``include_tables=False`` loses body text. trafilatura still leaves
chrome inside what it extracts ("Read more:" and "Related:" lines, subscribe prompts,
"(Reporting by ...)", e-mail lines), which is what the rule pass after it removes. Each line of
trafilatura's text output is one paragraph, so nothing is unwrapped.

Time limit. Signals (``SIGALRM``) only work in the main thread and a dramatiq worker runs
actors in threads, so the limit is enforced differently:

* size caps bound the work up front: pages above ``MAX_HTML_CHARS`` are cut (lxml parses the
  truncated markup; the article is nearly always in the first megabytes);
* trafilatura runs in a short-lived daemon thread and the caller waits at most ``timeout_s``
  (the second pass below gets what the first left of it, and is dropped past that);
  past that, :class:`ExtractionTimeout` is raised so the queue can record or retry the page.
  A Python thread cannot be killed, so the runaway extraction finishes in the background; the
  size cap is what bounds how long that can take.

Two passes, one parse. ``favor_precision`` drops body on some pages (lists, tables, a lone
paragraph between two it kept); trafilatura's default pass keeps those but also more chrome.
Both run on the tree parsed once (:func:`extract_passes`; trafilatura copies an element it is
given, so neither pass sees the other's pruning), and the precision text is the skeleton:
:func:`merge_passes` adds the default pass's extra lines where they are evidence of lost body
(between two lines both passes kept; or, at the edges, paragraphs that read as body and join
the kept text), and the rule pass then judges the result as a whole. The default pass runs in
trafilatura's ``fast`` mode (no readability/justext comparison): its job is only to offer
blocks, the choice of the main block is the precision pass's. It replaced a retry that ran
the default pass only when the precision text was short and took it whole when its clean text
was twice as long: see ``bench/clean_html.py`` for the figures of both.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from difflib import SequenceMatcher
from typing import Any

from workers.steps.sites import plausible_site_name

from .normalise import fold
from .shape import ends_sentence, word_count

MAX_HTML_CHARS = 3_000_000

EXTRACT_OPTIONS: dict[str, Any] = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "with_metadata": True,
    "deduplicate": False,
    # htmldate's extensive search falls back to dateparser, which compiles regexes for some
    # 200 locales on first use: 7-20 s per fresh worker process. The page's own date markup
    # (meta tags, JSON-LD, <time>, URL) is still read.
    "date_extraction_params": {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"},
}


#: The second pass: trafilatura's default (balanced) focus, in ``fast`` mode and without
#: metadata (the precision pass reads it). Measured on the benchmark (181 pages, one core): the
#: precision pass with metadata 23 ms a page, this pass 11 ms (17 ms without ``fast``, for the
#: same merged F1 on the dev pages), the shared parse 2 ms.
DEFAULT_PASS_OPTIONS: dict[str, Any] = {**EXTRACT_OPTIONS, "favor_precision": False, "with_metadata": False, "fast": True}

#: An extra line at the edge of the precision text is adopted only when it reads as a body
#: paragraph: this many words or more, ending a sentence. On the benchmark's dev pages the lines
#: the default pass adds before the kept text are the headline and the standfirst, after it
#: related-story teasers ("- Title blurb"), sign-up prompts and "Explore further"; the body
#: sentences found there have 9+ words and a full stop. 10 and 15 measured the same.
EDGE_MIN_WORDS = 10

#: Precision text shorter than this is "next to nothing" when the default pass chose another
#: block: favor_precision occasionally drops nearly the whole article. (The retry this replaced
#: ran below it, for about one page in ten of the benchmark; on its dev pages, the passes share
#: no line on 2 pages of 96, both with longer precision text, where it stands.)
SHORT_CHARS = 1000

_BULLET = re.compile(r"^\s*(?:[-•*·▪►]\s|\d{1,2}[.)]\s)")
_LETTER = re.compile(r"[^\W\d_]")


class ExtractionTimeout(TimeoutError):
    """trafilatura did not finish within the per-document time limit."""


def _with_deadline(fn, timeout_s: float):
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=run, name="cleaning-html-extract", daemon=True)
    worker.start()
    if not done.wait(timeout_s):
        raise ExtractionTimeout(f"HTML extraction took longer than {timeout_s:.1f}s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _metadata(doc) -> dict:
    meta = {}
    for key, attr in (("title", "title"), ("author", "author"), ("date", "date"), ("site", "sitename"), ("url", "url"), ("description", "description")):
        value = getattr(doc, attr, None)
        if value:
            meta[key] = unicodedata.normalize("NFC", value) if isinstance(value, str) else value
    if "site" in meta and not plausible_site_name(meta["site"], meta.get("title")):
        del meta["site"]  # the headline, or a whole page title: not a site (see workers.steps.sites)
    return meta


def _text(doc) -> str:
    # trafilatura's extract() normalises to NFC; bare_extraction does not. Decomposed accents
    # ("e" + U+0301, as entities may spell them) would otherwise differ from the same text typed
    # composed, for the rules and for duplicate detection alike.
    return unicodedata.normalize("NFC", doc.text or "") if doc is not None else ""


def extract_passes(html: str, *, url: str | None = None, timeout_s: float = 10.0) -> tuple[str, dict, str]:
    """Precision text and metadata, and the default pass's text, from one parse of ``html``.

    The parse and the precision pass have ``timeout_s`` (0 or less: no limit, in the calling
    thread), past which :class:`ExtractionTimeout` is raised; the default pass gets what is
    left of it, and when that runs out its text is ``""``: the page is not failed for a pass
    that can only add to it.
    """
    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]
    limited = bool(timeout_s) and timeout_s > 0
    deadline = time.monotonic() + (timeout_s if limited else 0)

    def precision_pass():
        tree = load_html(html)
        return tree, (bare_extraction(tree, url=url, **EXTRACT_OPTIONS) if tree is not None else None)

    def default_pass():
        # bare_extraction copies an element it is given: the tree is still as parsed
        return bare_extraction(tree, url=url, **DEFAULT_PASS_OPTIONS)

    tree, precise = _with_deadline(precision_pass, timeout_s) if limited else precision_pass()
    default = None
    if tree is not None:
        remaining = deadline - time.monotonic()
        if not limited:
            default = default_pass()
        elif remaining > 0:
            try:
                default = _with_deadline(default_pass, remaining)
            except ExtractionTimeout:
                pass
    return _text(precise), (_metadata(precise) if precise is not None else {}), _text(default)


def extract(html: str, *, url: str | None = None, timeout_s: float = 10.0) -> tuple[str, dict]:
    """The precision pass alone: main text (one paragraph per line) and metadata; ``("", {})``
    if none. What site learning reads (:mod:`workers.sites`); cleaning uses both passes."""
    from trafilatura import bare_extraction

    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]

    def work():
        return bare_extraction(html, url=url, **EXTRACT_OPTIONS)

    doc = _with_deadline(work, timeout_s) if timeout_s and timeout_s > 0 else work()
    return _text(doc), (_metadata(doc) if doc is not None else {})


def _shouting(line: str) -> bool:
    """Mostly capitals: inline promotion links ("CLICK HERE TO GET THE APP", other headlines in
    capitals), not prose."""
    letters = _LETTER.findall(line)
    return len(letters) >= 4 and sum(ch.isupper() for ch in letters) > 0.8 * len(letters)


def _reads_as_paragraph(line: str) -> bool:
    return (word_count(line) >= EDGE_MIN_WORDS and ends_sentence(line.rstrip())
            and not _BULLET.match(line) and not _shouting(line))


def _subheading(line: str) -> bool:
    return word_count(line) <= 12 and not _BULLET.match(line) and not _shouting(line)


def _trailing_body(run: list[str]) -> list[str]:
    """The lines of ``run`` (after the kept text) that continue the body: paragraphs, and a
    subheading (an FAQ's question) when a paragraph follows it."""
    take: list[str] = []
    for i, line in enumerate(run):
        if _reads_as_paragraph(line) or (_subheading(line) and i + 1 < len(run) and _reads_as_paragraph(run[i + 1])):
            take.append(line)
        else:
            break
    return take


def _opens_like(line: str, other: str | None) -> bool:
    """``line`` starts with the first dozen words of ``other`` (a title or description, which
    metadata may cut short)."""
    if not other:
        return False
    a, b = fold(line).split(), fold(other).split()
    n = min(len(a), len(b), 12)
    return n > 0 and a[:n] == b[:n]


def merge_passes(precise: str, default: str, *, title: str | None = None, description: str | None = None) -> tuple[str, list[str]]:
    """The precision text with the default pass's body-like extra lines put back in place, and
    the lines adopted.

    Lines are aligned by their folded text. An extra run of the default pass is adopted:

    * between two lines both passes kept: whole, but for lines in capitals (inline promotion);
      the list items, table rows and paragraphs favor_precision pruned out of the body;
    * before the first or after the last shared line: line by line outwards from the kept text,
      while each reads as a paragraph (:data:`EDGE_MIN_WORDS`, a full stop, no bullet) and is
      not the title or the description (the standfirst, which the metadata holds); after the
      body, a short line too when a paragraph follows it (an FAQ's questions, subheadings);
    * nothing when the passes share no line: they chose different blocks, and the precision
      pass's choice stands, unless it kept next to nothing (under :data:`SHORT_CHARS`, and the
      default text at least twice as long: the old retry's rule, kept for this case alone).

    Chrome inside an adopted run is the rule pass's to remove, as for any extracted line.
    """
    p_lines = [line for line in precise.split("\n") if line.strip()]
    d_lines = [line for line in default.split("\n") if line.strip()]
    if not p_lines:
        return "\n".join(d_lines), d_lines
    matcher = SequenceMatcher(None, [fold(x) for x in p_lines], [fold(x) for x in d_lines], autojunk=False)
    ops = matcher.get_opcodes()
    shared = [j for tag, _, _, j1, j2 in ops if tag == "equal" for j in range(j1, j2)]
    if not shared:
        if len(precise) < SHORT_CHARS and len(default) >= 2 * len(precise):
            return "\n".join(d_lines), d_lines  # the precision pass kept next to nothing
        return precise, []
    first, last = shared[0], shared[-1]
    out: list[str] = []
    adopted: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
        out += p_lines[i1:i2]
        if tag in ("equal", "delete"):
            continue
        kept = " ".join(fold(x) for x in p_lines[i1:i2])
        run = [x for x in d_lines[j1:j2] if fold(x) and fold(x) not in kept]  # a line the replaced ones hold
        if first < j1 and j2 <= last:
            take = [x for x in run if not _shouting(x)]
        elif j2 <= first:
            take = []
            for x in reversed(run):
                if not _reads_as_paragraph(x) or _opens_like(x, title) or _opens_like(x, description):
                    break
                take.insert(0, x)
        else:
            take = _trailing_body(run)
        out += take
        adopted += take
    return "\n".join(out), adopted
