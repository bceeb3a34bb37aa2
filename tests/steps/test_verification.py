"""Exact verification (``workers.steps.verification``) and the shingle text: a short story's
edited, trimmed-and-wrapped copies and its excerpt are matched on the exact shingles where
the MinHash estimate alone misses them, while different short items under one site's
chrome, briefs of one site and the five seeds (one event, five stories) never are."""

from __future__ import annotations

import itertools

import pytest

from bench.dedup_corpus import edit, excerpt, hard_wrap
from tests.conftest import SEEDS
from tests.support import stories
from workers.steps import dedup
from workers.steps.dedup import compare, fingerprint, shingle_sequence
from workers.steps.verification import CHECK, decide, triage


def short_story() -> list[str]:
    """A short English story of the development split: 5 paragraphs, 149 words."""
    story = next(s for e in stories.events("A") for s in e["stories"] if s["story_id"] == "A17-2")
    return story["paragraphs"]


def verdict(a: str, b: str):
    fa, fb = fingerprint(a), fingerprint(b)
    first = triage(fa, fb)
    if first == CHECK:
        first = decide(shingle_sequence(a), shingle_sequence(b))
        assert decide(shingle_sequence(b), shingle_sequence(a)) == first  # symmetric
    return first


def test_wrapping_and_hyphenation_do_not_change_the_shingles():
    paragraphs = short_story()
    flat = "\n\n".join(paragraphs)
    wrapped = "\n\n".join(hard_wrap(p, 40) for p in paragraphs)
    assert "-\n" in wrapped  # long words were broken across lines
    assert set(shingle_sequence(wrapped).tolist()) == set(shingle_sequence(flat).tolist())
    assert dedup.shingle_text("bank-\nruptcy start-up \u00adx\u200b") == dedup.shingle_text("bankruptcy startup x")


@pytest.mark.parametrize("variant", ["edited", "trimmed-wrapped", "excerpt"])
def test_a_short_storys_copies_are_matched(variant):
    import random

    paragraphs = short_story()
    full = "\n\n".join(paragraphs)
    copy = {
        "edited": lambda: "\n\n".join(edit(paragraphs, random.Random(3))),
        "trimmed-wrapped": lambda: "\n\n".join(hard_wrap(p, 62) for p in paragraphs[:-1]),
        "excerpt": lambda: "\n\n".join(excerpt(paragraphs)) + "\n\nContinue reading at example.com",
    }[variant]()
    assert verdict(full, copy) is not None


def test_the_estimate_alone_misses_short_copies_that_verification_finds():
    """Why verification exists: over the development split's short briefs and their edited
    copies, the estimate-only rules miss some; the exact check misses none."""
    import random

    misses_estimate = misses_exact = 0
    for n, brief in enumerate(stories.briefs("A")):
        text = "\n\n".join(brief["paragraphs"])
        copy = "\n\n".join(edit(brief["paragraphs"], random.Random(n)))
        misses_estimate += compare(fingerprint(text), fingerprint(copy)) is None
        misses_exact += verdict(text, copy) is None
    assert misses_exact == 0
    assert misses_estimate > 0


def test_short_items_under_one_chrome_stay_apart():
    pages = stories.short_items_under_one_chrome()
    for a, b in itertools.combinations(pages, 2):
        assert decide(shingle_sequence(a), shingle_sequence(b)) is None
    # ... while a page and its copy with one word changed are one story
    assert decide(shingle_sequence(pages[0]), shingle_sequence(pages[0].replace("Friday", "Saturday"))) is not None


def test_briefs_of_one_site_and_the_seeds_are_never_matched():
    briefs = ["\n\n".join(b["paragraphs"]) for b in stories.briefs("A")]
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    assert len(seeds) == 5
    for group in (briefs, seeds):
        for a, b in itertools.combinations(group, 2):
            assert verdict(a, b) is None
            assert decide(shingle_sequence(a), shingle_sequence(b)) is None  # even when checked


def test_triage_trusts_the_estimate_only_far_from_the_thresholds():
    full = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))[:1])
    assert triage(fingerprint(full), fingerprint(full + "\n\n")).kind == "exact"
    long_copy = full.replace("the", "a", 1)
    assert triage(fingerprint(full), fingerprint(long_copy)).kind == "near"  # J ~ 1: no check needed
    short = "\n\n".join(short_story())
    assert triage(fingerprint(short), fingerprint(short.replace("the", "a", 1))) == CHECK  # short: always checked
