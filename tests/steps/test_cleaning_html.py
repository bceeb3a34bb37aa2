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
    import trafilatura

    def spy(html, **kwargs):
        seen["len"] = len(html)
        return None

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)
    clean_html("<p>x</p>" * (html_mod.MAX_HTML_CHARS // 8 + 1000))
    assert seen["len"] == html_mod.MAX_HTML_CHARS


def test_no_time_limit_still_lets_the_recall_retry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """``timeout_s=0`` means no limit, for the retry too (it used to switch the retry off)."""
    short = "<html><body><article><h1>Ferry strike ends</h1><p>" + "The ferry crews returned to work on Monday. " * 3 + "</p></article></body></html>"
    calls: list[dict | None] = []
    real = html_mod.extract

    def counting(*args, **kwargs):
        calls.append(kwargs.get("options"))
        return real(*args, **kwargs)

    monkeypatch.setattr(html_mod, "extract", counting)
    cleaned = clean_html(short, timeout_s=0)
    assert "returned to work" in cleaned.text
    assert calls == [None, html_mod.RETRY_OPTIONS]


def test_html_text_is_nfc_normalised() -> None:
    decomposed = "Cafe\u0301 owners in Orle\u0301ans reopened the terrace on Tuesday after the council agreed to new opening hours."
    page = f"<html><body><article><h1>Terrace reopens</h1><p>{decomposed}</p><p>{decomposed}</p></article></body></html>"
    cleaned = clean_html(page, timeout_s=0)
    assert "Café owners in Orléans" in cleaned.text
    assert unicodedata.is_normalized("NFC", cleaned.text)
