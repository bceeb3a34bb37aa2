"""A page's site when nothing names it (no URL, no site field, no folder): inferred from its
masthead and footer, the lines every page of a site opens and closes with.

:func:`edge_keys` takes the page's first and last :data:`EDGE_LINES` lines (the name plate and
menu above the headline, the copyright and follow prompts at the foot) as folded keys;
:class:`SiteGuesser` puts a page with the earlier pages it shares at least :data:`MIN_SHARED`
of those keys with, or starts a new group. The headline and the teasers at the foot differ from
page to page and so never join pages; what joins them is the site's own furniture.

Guards against taking two sites for one: one shared key must stand in the head; a key counts only when it is specific (at least
:data:`MIN_KEY_CHARS` characters once folded: "Home", "Menu" or "Share" stand on many sites'
pages), and a page that shares enough keys with two different groups joins neither (a new group
instead): a shared agency footer alone never merges two papers.
"""

from __future__ import annotations

import hashlib

from .normalise import line_key

#: Lines taken from each end of a page: the name plate, menu and a sign-in line above the
#: headline; the copyright, follow prompt and one teaser at the foot (``bench/data/sites`` dev
#: pages open with 2 furniture lines and close with 1 to 3).
EDGE_LINES = 3
#: Keys two pages must share to be one site's: the name plate and the menu, or the menu and the
#: copyright line. One shared line is too little (a syndicated footer, a common menu).
MIN_SHARED = 2
#: A key shorter than this (folded) is too common to tell sites apart ("home", "menu", "share").
MIN_KEY_CHARS = 12
#: Lines longer than this many words are story, not furniture.
MAX_WORDS = 40


def edge_keys(text: str) -> frozenset[str]:
    """The specific folded keys of a page's first lines (``h:`` + key) and last lines (``f:``)."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    keys = set()
    for where, picked in (("h:", lines[:EDGE_LINES]), ("f:", lines[EDGE_LINES:][-EDGE_LINES:])):
        for line in picked:
            if line.count(" ") < MAX_WORDS:
                key = line_key(line)
                if len(key) >= MIN_KEY_CHARS:
                    keys.add(where + key)
    return frozenset(keys)


class SiteGuesser:
    """Groups pages of unnamed sites as they come: ``site(text)`` names the page's group
    (``masthead-<hash of the group's first page's keys>``), stable for the pages of one site.

    A page joins a group when it shares :data:`MIN_SHARED` keys with it, one of them from its
    head: a site is known by its masthead, and foot lines alone (an agency's footer, a
    "more stories" teaser) are shared by other sites too."""

    def __init__(self) -> None:
        self.groups: dict[str, int] = {}  # key -> group
        self.names: list[str] = []

    def site(self, text: str) -> str | None:
        keys = edge_keys(text)
        if len(keys) < MIN_SHARED or not any(k.startswith("h:") for k in keys):
            return None
        votes: dict[int, list[int]] = {}
        for key in keys:
            g = self.groups.get(key)
            if g is not None:
                v = votes.setdefault(g, [0, 0])
                v[0] += 1
                v[1] += key.startswith("h:")
        joined = [g for g, (n, head) in votes.items() if n >= MIN_SHARED and head]
        if len(joined) == 1:
            group = joined[0]
        else:
            group = len(self.names)
            digest = hashlib.blake2b("\n".join(sorted(keys)).encode(), digest_size=5).hexdigest()
            self.names.append(f"masthead-{digest}")
        for key in keys:
            self.groups.setdefault(key, group)
        return self.names[group]
