"""What a rule answers about one line: the name of its chrome family, and what it tells.

Every removed line is logged under one of these names (see :mod:`.result`), so a name is a
stable label for one kind of chrome; :mod:`.text` and :mod:`.title` add the names of the
families that need the neighbourhood of a line.
"""

from __future__ import annotations

from dataclasses import dataclass

ADVERTISEMENT = "advertisement"
COOKIE = "cookie-banner"
SYNDICATION = "syndication-footer"
COPYRIGHT = "copyright"
PHOTO = "photo-credit"
REPORTING = "reporting-credit"
BYLINE = "byline"
DATE = "date-line"
READ_MORE = "read-more"
SOCIAL = "social-prompt"
ERROR_REPORT = "error-report"
SUBSCRIBE = "subscribe-prompt"
NEWSLETTER = "newsletter"
COMMENTS = "comments"
NAVIGATION = "navigation"
TAGS = "tag-list"
RELATED_HEADER = "related-block"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A line's family (``rule``) and what it says about the article (author, date, original URL)."""

    rule: str
    meta: tuple[tuple[str, str], ...] = ()
