"""Which site a document comes from, from what it says about itself.

The site keys per-site learning (``corpus learn``) and the events' same-site rule, so a
wrong one does harm: a headline taken for a site makes every page a "site" of one
document. In order of trust: what the caller knows (the record's own ``site``, the inbox
sub-folder), the host of the document's URL (the record's, the WARC target, else the
page's canonical URL), and only then a site name the page declares (trafilatura's
``sitename``: ``og:site_name``, publisher metadata, parts of the page title), and that only
when it is not the headline and looks like a name.

Measured on 400 generated HTML pages of ``bench/corpus.py`` (seed 1), trafilatura's site
name was the page's headline in 49 (12 %, as the issue found with 11.5 % of 1,560): titles
``Headline | Site`` where the site part was not split off.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

#: a site name is a name: "The New York Times", "BBC News", "Der Spiegel", "example.com".
#: Six words and 60 characters are above the names of real publishers (the longest
#: common ones, "The Times of India", "South China Morning Post", are 4-5 words, 24 chars)
#: and far below a headline's usual 8-15 words.
MAX_WORDS = 6
MAX_CHARS = 60
_DOMAIN = re.compile(r"^(?:[\w-]+\.)+[a-z]{2,}$", re.I)
#: sentence punctuation and title separators: a headline, or a title not split into parts
_NOT_A_NAME = re.compile(r"[|»«\"“”?:;,]|\s[-–—]\s")


def site_of_url(url: str | None) -> str | None:
    """``example.com`` for ``https://www.example.com/a``; None without a usable host."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def plausible_site_name(name: str | None, title: str | None = None) -> bool:
    """Whether a page's declared site name can be taken as its site: not its title (nor
    holding the whole title: a site name is often a part of the page title, never the
    reverse), and shaped like a name."""
    if not name or not name.strip():
        return False
    name = name.strip()
    if _DOMAIN.match(name):
        return True
    folded = _folded(name)
    if title:
        headline = _folded(title)
        if headline and headline in folded:
            return False
    return len(name) <= MAX_CHARS and len(name.split()) <= MAX_WORDS and not _NOT_A_NAME.search(name)


def site_for(known: str | None, url: str | None, metadata: dict) -> str | None:
    """The site of a cleaned document: ``known`` (record, folder), else its URL's host, else
    the canonical URL the page gives, else the page's site name when it is plausible."""
    if known:
        return known
    host = site_of_url(url) or site_of_url(metadata.get("url") if isinstance(metadata.get("url"), str) else None)
    if host:
        return host
    name = metadata.get("site")
    if isinstance(name, str) and name.strip().lower().startswith(("http://", "https://")):
        return site_of_url(name.strip())
    if isinstance(name, str) and plausible_site_name(name, metadata.get("title")):
        return name.strip()
    return None
