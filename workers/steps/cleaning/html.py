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
* trafilatura runs in a short-lived daemon thread (both passes, when the recall retry below
  runs, share one budget) and the caller waits at most ``timeout_s``;
  past that, :class:`ExtractionTimeout` is raised so the queue can record or retry the page.
  A Python thread cannot be killed, so the runaway extraction finishes in the background; the
  size cap is what bounds how long that can take.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

from workers.steps.sites import plausible_site_name

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


#: When the precision pass keeps less than this many characters, the page is extracted again
#: with trafilatura's default (recall-leaning) settings and the longer clean result is used if it
#: is at least twice as long. favor_precision occasionally drops nearly the whole article; on the
#: benchmark this retry runs for about one page in ten.
RETRY_BELOW_CHARS = 1000
RETRY_OPTIONS: dict[str, Any] = {**EXTRACT_OPTIONS, "favor_precision": False}


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


def extract(
    html: str, *, url: str | None = None, timeout_s: float = 10.0, options: dict[str, Any] | None = None
) -> tuple[str, dict]:
    """Main text (one paragraph per line) and metadata of an HTML page; ``("", {})`` if none."""
    from trafilatura import bare_extraction

    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]

    def work():
        return bare_extraction(html, url=url, **(options or EXTRACT_OPTIONS))

    doc = _with_deadline(work, timeout_s) if timeout_s and timeout_s > 0 else work()
    if doc is None:
        return "", {}
    meta = {}
    for key, attr in (("title", "title"), ("author", "author"), ("date", "date"), ("site", "sitename"), ("url", "url"), ("description", "description")):
        value = getattr(doc, attr, None)
        if value:
            meta[key] = unicodedata.normalize("NFC", value) if isinstance(value, str) else value
    if "site" in meta and not plausible_site_name(meta["site"], meta.get("title")):
        del meta["site"]  # the headline, or a whole page title: not a site (see workers.steps.sites)
    # trafilatura's extract() normalises to NFC; bare_extraction does not. Decomposed accents
    # ("e" + U+0301, as entities may spell them) would otherwise differ from the same text typed
    # composed, for the rules and for duplicate detection alike.
    return unicodedata.normalize("NFC", doc.text or ""), meta
