"""The result types of the cleaning step: what was kept, and what was removed by which rule.

Every removed line is kept with the name of the rule that removed it, so that a wrong removal
can be traced to one rule family and a re-clean with a newer ``CLEANER_VERSION`` can be diffed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removed:
    """One removed line (a paragraph after unwrapping) and the named rule that removed it."""

    text: str
    rule: str
    #: Why, when the rule name alone does not say (``site-repeated``: "on 27 of 31 pages of this site").
    note: str | None = None


@dataclass
class Cleaned:
    """The clean article.

    ``text`` is the body, paragraphs separated by a blank line. ``metadata`` holds what was
    taken out of the body because it describes the article rather than being part of it:
    ``title``, ``site``, ``author``, ``date``, ``original_url``, ``subtitle``, ``url``, when found.
    """

    title: str | None
    text: str
    removed: list[Removed] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    #: What this page says about its site's chrome (:class:`.site_stream.Evidence`), when asked for.
    evidence: object = field(default=None, repr=False, compare=False)

    #: The body with the lines learned online from the site's stream left in (``None``: none
    #: were removed): what the document's fingerprint is taken from, so matches do not depend on
    #: what the site had taught when it arrived.
    learned_kept: str | None = field(default=None, repr=False, compare=False)

    @property
    def stable_text(self) -> str:
        return self.text if self.learned_kept is None else self.learned_kept

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n") if self.text else []

    def removed_by(self, rule: str) -> list[str]:
        return [r.text for r in self.removed if r.rule == rule]
