"""The online site learner's guards, on pure pages: what it learns, and what it must never learn."""

from __future__ import annotations

import json
import re

from tests.support.stories import events
from workers.steps.cleaning import SiteLearner, clean_text
from workers.steps.cleaning.site_stream import MIN_SUPPORT

SITE = "mill-lane.example"
FOOTER = "Mill Lane Weekly is printed on Thursdays and delivered to every house in the parish."
TEMPLATE = "The parish council was given a chance to respond to the claims made in this article."


def stories(n: int) -> list[dict]:
    found = [s for e in events("A") for s in e["stories"] if len(s["paragraphs"]) >= 5]
    return found[:n]


def page(story: dict, *, footer: str = FOOTER, template: str | None = None) -> str:
    p = story["paragraphs"]
    middle = [template] if template else []
    return "\n\n".join([story["headline"], p[0], p[1], *middle, p[2], p[3], footer]) + "\n"


def stream(texts: list[str]) -> tuple[SiteLearner, list]:
    learner = SiteLearner()
    out = []
    for text in texts:
        cleaned = clean_text(text, site=SITE, learned=learner.lines(SITE), observe=True)
        learner.observe(SITE, cleaned.evidence)
        out.append(cleaned)
    return learner, out


def test_a_footer_on_different_stories_is_learned_and_named_with_its_support():
    _, out = stream([page(s) for s in stories(8)])
    assert FOOTER in out[0].text  # no rule knows it
    assert all(FOOTER not in c.text for c in out[MIN_SUPPORT + 1 :])
    (note,) = [r.note for r in out[-1].removed if r.rule == "site-repeated"]
    assert re.fullmatch(r"on \d+ of \d+ pages of this site", note)


def test_a_line_shared_only_by_copies_of_one_story_is_never_learned():
    story = stories(1)[0]
    learner, out = stream([page(story)] * 10 + [page({**story, "headline": f"Update {n}: " + story["headline"]})
                                                 for n in range(5)])
    assert learner.lines(SITE) is None
    assert all(FOOTER in c.text for c in out)


def test_a_templated_sentence_inside_every_body_is_not_learned():
    learner, out = stream([page(s, template=TEMPLATE) for s in stories(12)])
    assert all(TEMPLATE in c.text for c in out)
    assert all(FOOTER not in c.text for c in out[-4:])  # the footer beside it was learned


def test_the_learned_lines_never_take_most_of_a_page_inside_its_body():
    footers = [FOOTER, "Letters to the editor go to the post office box on Church Street, with a name and address.",
               "Our photographers sell prints of every picture in this paper for the parish hall fund."]
    learner, _ = stream([page(s, footer="\n\n".join(footers)) for s in stories(8)])
    lines = learner.lines(SITE)
    assert len(lines) >= 3
    # A short page whose body quotes the paper's own notices at length: the learned lines would
    # be most of it, so only those at its edges go.
    body = ["The notices below were read out at the parish meeting on Tuesday evening by the clerk.", *footers,
            "Members agreed that the wording would stay the same for another year at least."]
    cleaned = clean_text("\n\n".join(["Parish notices", *body, FOOTER]) + "\n", site=SITE, learned=lines)
    assert all(line in cleaned.text for line in body)
    assert cleaned.text.count(FOOTER) == 1  # the copy at the foot went


def test_corpus_clean_over_many_files_of_a_site_learns_from_all_of_them(sqlite_corpus, tmp_path):
    folder = tmp_path / SITE
    folder.mkdir()
    for n, story in enumerate(stories(6)):
        (folder / f"page-{n}.txt").write_text(page(story), encoding="utf-8")
    files = sorted(str(p) for p in folder.iterdir())
    alone = sqlite_corpus.run("clean", "--json", files[0])
    assert alone.returncode == 0, alone.stderr
    assert FOOTER in json.loads(alone.stdout)["text"]
    together = sqlite_corpus.run("clean", "--json", *files)
    assert together.returncode == 0, together.stderr
    results = [json.loads(line) for line in together.stdout.splitlines()]
    assert len(results) == 6 and all(FOOTER not in r["text"] for r in results)  # the first page too: two passes
    assert all(any(x["rule"] == "site-repeated" and x["text"] == FOOTER for x in r["removed"]) for r in results)
    explained = sqlite_corpus.run("clean", "--explain", *files)
    assert re.search(r"site-repeated: on [56] of 6 pages of this site", explained.stdout)


def test_what_the_site_taught_changes_the_text_but_not_the_fingerprint():
    """Arrival order decides what the site had taught when a page came in; matches and canonicals
    must not depend on it, so the fingerprint is taken as if nothing had been learned."""
    from workers.steps.prepare import prepare

    learner, _ = stream([page(s) for s in stories(8)])
    data = page(stories(9)[8]).encode()
    plain, plain_fp = prepare(data, document_format="text", gzipped=False, max_bytes=1 << 20, site=SITE)
    taught, taught_fp = prepare(data, document_format="text", gzipped=False, max_bytes=1 << 20, site=SITE,
                                learned=learner.lines(SITE))
    assert FOOTER in plain.text and FOOTER not in taught.text
    assert (taught_fp.text_hash, taught_fp.length, taught_fp.to_bytes()) == (plain_fp.text_hash, plain_fp.length,
                                                                             plain_fp.to_bytes())


def test_material_changes_come_at_a_half_again_as_many_lines() -> None:
    """The first lines are material, then each time the learned lines grow by half: a site's
    earlier pages are re-cleaned a handful of times, not at every line."""
    from workers.steps.cleaning.site_stream import material

    steps, at = [], 0
    for lines in range(1, 41):
        if material(lines, at):
            steps.append(lines)
            at = lines
    assert steps == [1, 2, 3, 5, 8, 12, 18, 27]
    assert not material(0, 0)


def test_the_learned_lines_never_make_a_page_keep_what_the_rules_took():
    # Under each story, a list of other headlines; once the site has learned the list, a question
    # heading it (one more headline) goes as it does when the page is cleaned on its own.
    headlines = ["Ferry strike talks resume at the harbour office", "Tide tables for the week ahead"]
    question = "Fact check: will the old lighthouse really close to visitors next year?"
    found = stories(8)
    pages = ["\n\n".join([s["headline"], *s["paragraphs"][:4], *headlines]) + "\n" for s in found[:-1]]
    last = "\n\n".join([found[-1]["headline"], *found[-1]["paragraphs"][:4], question, *headlines]) + "\n"
    _, out = stream([*pages, last])
    assert any(r.rule == "site-repeated" for r in out[-1].removed)  # the list was learned
    assert question not in out[-1].text
    assert question not in clean_text(last, site=SITE).text
