"""HTML cleaning: trafilatura's main content, then the chrome rules over what it leaves."""

from __future__ import annotations

import threading
import unicodedata
import time
from pathlib import Path

import pytest

from workers.steps.cleaning import ExtractionTimeout, clean_html
from workers.steps.cleaning import html as html_mod

PAGE = (Path(__file__).resolve().parent / "data" / "cleaning" / "article.html").read_text(encoding="utf-8")

BODY = [
    "Councillors in the northern port city voted late on Tuesday",
    "The plan, which will cost an estimated 140 million euros",
    "Fishing crews who use the inner basin",
    "What the engineers found",
    "A survey commissioned last spring found",
    "Work is expected to begin in the spring",
]
CHROME = [
    "Skip to main content", "This website uses cookies", "Read more: Ferry strike", "Sign up for our daily newsletter",
    "(Reporting by", "maria.keller@harbourtimes.com", "Related stories", "Comments (14)", "Great news at last",
    "All rights reserved", "Privacy Policy", "By Maria Keller",
]


def test_handmade_page_keeps_body_and_drops_chrome() -> None:
    c = clean_html(PAGE, url="https://harbourtimes.com/local/harbour-plan")
    for frag in BODY:
        assert frag in c.text, frag
    for frag in CHROME:
        assert frag not in c.text, frag
    assert c.title == "Council approves harbour plan after six-hour debate"
    assert not c.text.startswith("Council approves harbour plan")
    assert c.metadata["url"] == "https://harbourtimes.com/local/harbour-plan"
    assert c.metadata.get("author") == "Maria Keller"
    rules = {r.rule for r in c.removed}
    assert {"read-more", "newsletter", "reporting-credit", "byline"} <= rules


def test_empty_or_non_article_html_gives_empty_body() -> None:
    assert clean_html("").text == ""
    assert clean_html("<html><body><nav>Home</nav></body></html>").text == ""


def test_time_limit_raises_from_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard must work off the main thread (dramatiq actors run in threads), so no signals."""

    def slow(*args, **kwargs):
        time.sleep(2)

    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", slow)
    outcome: dict = {}

    def run() -> None:
        t0 = time.perf_counter()
        try:
            clean_html(PAGE, timeout_s=0.2)
        except ExtractionTimeout:
            outcome["timeout"] = time.perf_counter() - t0

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(5)
    assert outcome.get("timeout") is not None and outcome["timeout"] < 1.5


def test_oversized_page_is_cut_before_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict = {}
    import trafilatura.utils

    def spy(html, *args, **kwargs):
        seen["len"] = len(html)
        return None

    monkeypatch.setattr(trafilatura.utils, "load_html", spy)
    clean_html("<p>x</p>" * (html_mod.MAX_HTML_CHARS // 8 + 1000))
    assert seen["len"] == html_mod.MAX_HTML_CHARS


def test_no_time_limit_still_runs_the_default_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """``timeout_s=0`` means no limit, for the second pass too (it used to switch the retry
    off); both passes read the page parsed once."""
    import trafilatura

    calls: list[tuple[bool, int]] = []
    real = trafilatura.bare_extraction

    def counting(tree, **kwargs):
        calls.append((kwargs.get("favor_precision", False), id(tree)))
        return real(tree, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", counting)
    cleaned = clean_html(PAGE, timeout_s=0)
    assert "Councillors in the northern port city" in cleaned.text
    assert [precise for precise, _ in calls] == [True, False]
    assert calls[0][1] == calls[1][1]  # the same parsed tree, not the markup parsed twice


BODY_LINES = [
    "Councillors in the northern port city voted late on Tuesday to approve a plan that will deepen the basin.",
    "The plan, which will cost an estimated 140 million euros, was debated for six hours before the vote.",
    "Fishing crews who use the inner basin said they welcomed the decision but asked for a pause in the season.",
]


def _merge(precise: list[str], default: list[str], **kw) -> tuple[list[str], list[str]]:
    text, adopted = html_mod.merge_passes("\n".join(precise), "\n".join(default), **kw)
    return text.split("\n"), adopted


def test_list_the_precision_pass_dropped_between_body_lines_is_put_back_in_place() -> None:
    works = ["- Dredging the inner basin", "- Rebuilding the north quay wall", "- A wider lock gate"]
    default = BODY_LINES[:2] + works + BODY_LINES[2:]
    lines, adopted = _merge(BODY_LINES, default)
    assert lines == default and adopted == works


def test_promotion_in_capitals_between_body_lines_is_not_adopted() -> None:
    default = BODY_LINES[:2] + ["CLICK HERE TO GET THE HARBOUR TIMES APP"] + BODY_LINES[2:]
    assert _merge(BODY_LINES, default) == (BODY_LINES, [])


def test_teasers_and_prompts_after_the_body_are_not_adopted_but_a_closing_paragraph_is() -> None:
    closing = "The council will publish the full list of contractors on its website before the end of January."
    tail = [closing, "Thanks for signing up!", "- Ferry strike ends The crews returned to work on Monday",
            "A paragraph-length sentence after a prompt is not joined to the body by anything at all."]
    lines, adopted = _merge(BODY_LINES, BODY_LINES + tail)
    assert lines == BODY_LINES + [closing] and adopted == [closing]


def test_headline_and_standfirst_above_the_body_are_not_adopted() -> None:
    title = "Council approves harbour plan after six-hour debate"
    standfirst = "The vote ends a year of argument over the inner basin, which ferries and fishing crews share today."
    lead = [title, standfirst]
    assert _merge(BODY_LINES, lead + BODY_LINES, title=title, description=standfirst) == (BODY_LINES, [])
    lines, adopted = _merge(BODY_LINES, lead + BODY_LINES, title=title)
    assert adopted == [standfirst]  # without a description, a paragraph above the body reads as body


def test_passes_that_chose_different_blocks_keep_the_precision_text() -> None:
    other = ["Comments (14)", "Great news at last, said one reader who has lived by the harbour for thirty years."]
    assert _merge(BODY_LINES, other) == (BODY_LINES, [])
    assert _merge([], BODY_LINES) == (BODY_LINES, BODY_LINES)  # the precision pass found nothing
    caption = ["Photo: the inner basin at low tide"]
    assert _merge(caption, BODY_LINES) == (BODY_LINES, BODY_LINES)  # it kept next to nothing


def test_html_text_is_nfc_normalised() -> None:
    decomposed = "Cafe\u0301 owners in Orle\u0301ans reopened the terrace on Tuesday after the council agreed to new opening hours."
    page = f"<html><body><article><h1>Terrace reopens</h1><p>{decomposed}</p><p>{decomposed}</p></article></body></html>"
    cleaned = clean_html(page, timeout_s=0)
    assert "Café owners in Orléans" in cleaned.text
    assert unicodedata.is_normalized("NFC", cleaned.text)


def test_a_default_pass_past_the_time_limit_leaves_the_precision_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the precision pass can fail a page for time: the second pass can only add to it."""
    import trafilatura

    clean_html(PAGE, timeout_s=0)  # lazy imports out of the timed call
    real = trafilatura.bare_extraction

    def slow_default(tree, **kwargs):
        if not kwargs.get("favor_precision"):
            time.sleep(30)
        return real(tree, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", slow_default)
    t0 = time.perf_counter()
    cleaned = clean_html(PAGE, timeout_s=2.0)
    assert time.perf_counter() - t0 < 20  # it did not wait for the slow pass (a deadline, with room for a loaded machine)
    for frag in BODY:
        assert frag in cleaned.text, frag


def test_a_first_paragraph_that_starts_like_the_title_is_not_taken_for_a_repeat_of_it() -> None:
    """A lead that opens with the headline's words (or shares them) and runs on is the story;
    the headline repeated on the page, with or without the site's suffix, still leaves."""
    from workers.steps.cleaning.text import clean

    title = "Council approves harbour plan after six-hour debate"
    body = ("Councillors in the northern port city voted late on Tuesday to approve a plan that will "
            "deepen the inner harbour basin by four metres, ending a year of argument.")
    leads = [
        "Council approves harbour plan after six-hour debate in which fishing crews spoke against it",
        "The harbour plan the council approved after a six-hour debate will cost 140 million euros:",
    ]
    for lead in leads:
        cleaned = clean(f"{lead}\n{body}", known_title=title, unwrap=False)
        assert cleaned.text.startswith(lead), lead
    for repeat in (title, f"{title} | Harbour Times"):
        cleaned = clean(f"{repeat}\n{body}", known_title=title, unwrap=False)
        assert cleaned.text == body and cleaned.removed_by("repeated-headline") == [repeat]


def test_questions_and_answers_after_the_body_are_adopted() -> None:
    faq = ["What will the works cost?",
           "The council puts the cost at 140 million euros, two thirds of it from the regional government.",
           "When do they start?",
           "Dredging starts in the spring once the permits are in place and the contracts are awarded."]
    lines, adopted = _merge(BODY_LINES, BODY_LINES + faq + ["Related stories", "- Ferry strike ends"])
    assert lines == BODY_LINES + faq and adopted == faq
