"""Cleaning step: strip site chrome from raw news text or HTML, keep one clean article body.

Pure and queue-agnostic: every function here takes text and returns values, so it can run in a
dramatiq actor, a CLI re-clean or a test alike. Small steps with one job each:

- :mod:`.text` (the raw-text pass: the order the steps run in) and :mod:`.html` (trafilatura
  wrapper: HTML to text for that pass);
- :mod:`.paragraphs` (rebuild paragraphs from wrapped lines);
- :mod:`.rules` (the chrome families tried in order on one line), whose families live by kind in
  :mod:`.legal` (ads, cookies, copyright, syndication), :mod:`.credits` (bylines, credits; their
  dates in :mod:`.dates`), :mod:`.prompts` (read more, share, subscribe, comments) and
  :mod:`.navigation` (menus, breadcrumbs, buttons, tags);
- :mod:`.verdict` (what a rule answers), :mod:`.shape` (what a line looks like), :mod:`.phrases`
  (the families' multilingual vocabulary);
- :mod:`.triage` (which families a line can meet, found in one pass) and :mod:`.gates` (how those
  gates are read off the phrase lists);
- :mod:`.title` (headline and page furniture), :mod:`.site_model` (per-site learned
  boilerplate, learned by ``corpus learn``), :mod:`.site_stream` (site chrome learned online from
  the stream of a site's pages), :mod:`.normalise` (folding for repeats), :mod:`.result` (what comes out).

``CLEANER_VERSION`` names the rule set; bump it whenever a rule changes what is removed, so
stored articles can be re-cleaned.
"""

from __future__ import annotations

from . import html as _html
from . import rules as _rules
from . import site_stream as _site_stream
from .html import ExtractionTimeout
from .text import _shape
from .text import clean as _clean
from .result import Cleaned, Removed
from .site_model import SITE_MODEL_FORMAT, SiteModel, learn_site_model
from .site_stream import Evidence, LearnedLines, SiteLearner

CLEANER_VERSION = "2026.12.07-3"

__all__ = [
    "CLEANER_VERSION",
    "Cleaned",
    "Evidence",
    "ExtractionTimeout",
    "LearnedLines",
    "Removed",
    "SITE_MODEL_FORMAT",
    "SiteLearner",
    "SiteModel",
    "clean_html",
    "clean_text",
    "forget",
    "learn_site_model",
]


def forget() -> None:
    """Empty the process's memory of lines already classified and hashed, as in a fresh process
    (what a benchmark that cleans the same documents in several rounds calls between them)."""
    _rules.forget()
    _site_stream.edge_hash.cache_clear()
    _shape.cache_clear()


def clean_text(text: str, *, site: str | None = None, site_model: SiteModel | None = None,
               learned: LearnedLines | None = None, observe: bool = False) -> Cleaned:
    """Clean one raw-text document (no markup).

    ``site`` is recorded in metadata when no page title names one; ``site_model`` (learned by
    :func:`learn_site_model` for that same site) removes the site's own boilerplate. Passing a
    model learned for another site raises ``ValueError``. ``learned`` (the site's lines learned
    online, :mod:`.site_stream`) removes those too; with ``observe`` the result carries the page's
    :class:`Evidence` for that learning (``Cleaned.evidence``).
    """
    return _clean(text, site=site, site_model=site_model, learned=learned, observe=observe)


def clean_html(
    html: str,
    *,
    url: str | None = None,
    site: str | None = None,
    site_model: SiteModel | None = None,
    timeout_s: float = 10.0,
    learned: LearnedLines | None = None,
    observe: bool = False,
) -> Cleaned:
    """Clean one HTML page: trafilatura main content, then the same chrome rules as raw text.

    The title comes from trafilatura's metadata (and its repeats leave the body). The precision
    pass's text is completed with the body-like blocks only trafilatura's default pass kept,
    both from one parse within one time budget (see :mod:`.html`). Raises
    :class:`ExtractionTimeout` when extraction exceeds ``timeout_s`` (``0`` or less: no limit,
    extraction runs in the calling thread).
    """
    precise, meta, default = _html.extract_passes(html, url=url, timeout_s=timeout_s)
    text, _ = _html.merge_passes(precise, default, title=meta.get("title"), description=meta.get("description"))
    cleaned = _clean(text, known_title=meta.get("title"), site=site, site_model=site_model, unwrap=False,
                     learned=learned, observe=observe)
    for key, value in meta.items():
        if key == "description":
            continue
        cleaned.metadata.setdefault(key, value)
    if url:
        cleaned.metadata.setdefault("url", url)
    if cleaned.title is None and meta.get("title"):
        cleaned.title = meta["title"]
    return cleaned
