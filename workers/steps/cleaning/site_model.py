"""Per-site learned boilerplate: lines that recur across many documents of one site.

Generic rules cannot know every site's own furniture (a fixed disclaimer, a house slogan, a
"Statement: ..." footer in two template variants). Within one site such a line repeats almost
verbatim in many unrelated articles, while a story's own sentences do not. So a line that occurs
in at least ``min_support`` distinct documents of the *same* site is that site's chrome (rule
``site-boilerplate``).

Counting is per site only: one ``learn_site_model`` call sees one site's documents. A story
syndicated to two sites appears once per site and is never learned, however many sites carry it.
Within a site, re-publications of the same story (an update, a second copy) would otherwise
count twice, so a document whose long paragraphs were mostly seen before adds no support.

This module is pure: building, matching and (de)serialising. Storage and scheduling belong to
the caller.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .normalise import line_key
from .paragraphs import split_paragraphs

#: Bump when the key function or the JSON layout changes; old models are then rejected.
SITE_MODEL_FORMAT = 1
RULE = "site-boilerplate"

_LONG_WORDS = 15


@dataclass(frozen=True)
class SiteModel:
    """Learned chrome of one site: folded line keys and how many documents carried each."""

    site: str
    lines: tuple[tuple[str, int], ...]
    documents: int
    min_support: int
    version: int = SITE_MODEL_FORMAT
    _keys: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", frozenset(k for k, _ in self.lines))

    def __len__(self) -> int:
        return len(self.lines)

    def matches(self, text: str) -> bool:
        """Whether ``text`` (one line or paragraph) is learned boilerplate of this site."""
        return bool(self._keys) and line_key(text) in self._keys

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.version,
                "site": self.site,
                "documents": self.documents,
                "min_support": self.min_support,
                "lines": [[k, n] for k, n in self.lines],
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> "SiteModel":
        obj = json.loads(data)
        if obj.get("format") != SITE_MODEL_FORMAT:
            raise ValueError(f"site model format {obj.get('format')!r}, expected {SITE_MODEL_FORMAT}")
        return cls(
            site=obj["site"],
            lines=tuple((str(k), int(n)) for k, n in obj["lines"]),
            documents=int(obj["documents"]),
            min_support=int(obj["min_support"]),
        )


def learn_site_model(
    site: str,
    documents: Iterable[str],
    *,
    min_support: int = 3,
    min_documents: int = 5,
    min_share: float = 0.02,
) -> SiteModel:
    """Learn the boilerplate lines of ``site`` from its raw documents (text, one per item).

    A line becomes boilerplate when it occurs in at least
    ``max(min_support, ceil(min_share * n))`` distinct documents of ``n`` (default: 3 documents,
    and 2 % of the site's documents once there are more than 150). With fewer than
    ``min_documents`` distinct documents nothing is learned: three articles are not enough to
    tell a house template from a running story.

    Lines are compared folded (case, digits, brackets and punctuation ignored), long lines by
    their opening and closing words, so template variants of one disclaimer meet.
    """
    if min_support < 2:
        raise ValueError("min_support must be at least 2: a line seen once is not boilerplate")
    support: Counter[str] = Counter()
    seen_docs: set[str] = set()
    seen_long: set[str] = set()
    n = 0
    for doc in documents:
        digest = hashlib.blake2b(" ".join(doc.lower().split()).encode(), digest_size=16).hexdigest()
        if digest in seen_docs:
            continue
        seen_docs.add(digest)
        n += 1
        paras, _ = split_paragraphs(doc)
        keys = {line_key(p.text) for p in paras}
        keys.discard("")
        long_keys = {p.text.lower() for p in paras if len(p.text.split()) >= _LONG_WORDS}
        shared = len(long_keys & seen_long)
        republished = shared >= 2 and shared >= 0.5 * len(long_keys)
        seen_long |= long_keys
        if republished:
            continue
        support.update(keys)
    needed = max(min_support, math.ceil(min_share * n))
    lines: tuple[tuple[str, int], ...] = ()
    if n >= min_documents:
        lines = tuple(sorted((k, c) for k, c in support.items() if c >= needed))
    return SiteModel(site=site, lines=lines, documents=n, min_support=needed)
