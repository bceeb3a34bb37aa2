"""The dashboard in a real browser (Debian's headless Chromium driven by Playwright) against
a real pipeline: `corpus serve` and `corpus worker` subprocesses, Redis, SQLite.

It sees documents flow, a failure appear with its reason, a dead letter appear with its
error and leave by the Requeue button (its document then settles), and saves a screenshot
under tests/output/.
"""

from __future__ import annotations

import uuid

from prometheus_client.parser import text_string_to_metric_families

from tests.support import servers
from tests.conftest import ROOT, SEEDS
from tests.support.dashboard import browser, dashboard  # noqa: F401 (fixtures)
from tests.support.ops import (document_row, enqueue_message, get, get_json, record_document, repair_document,
                               start_monitor)

OUTPUT = ROOT / "tests" / "output"
STORY = ("A new bridge over the river opened on Tuesday after four years of work, the city's transport office said, "
         "and the first buses crossed it at dawn while residents gathered on both banks to watch. ") * 4


def test_dashboard_shows_flow_failures_and_requeues_a_dead_letter(dashboard, tmp_path, monkeypatch):
    env, base, page_errors = dashboard.env, dashboard.base, dashboard.errors
    page = dashboard.open()  # sets the cookie, lands on the dashboard
    page.wait_for_selector("body[data-loaded]")
    assert page.inner_text("#health") == "healthy"
    assert page.inner_text("#workers-alive") == "1"

    # Documents flow (the tiles count them, the throughput chart draws them) and one
    # page with no article text fails: it appears with its reason.
    unusable = tmp_path / "inputs" / "menu-only.html"
    unusable.parent.mkdir()
    unusable.write_text("<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav></body></html>")
    assert env.run("ingest", str(SEEDS), str(unusable)).returncode == 0
    settled = "() => +document.querySelector('#docs-total').textContent === 6" \
              " && +document.querySelector('#docs-pending').textContent === 0"
    page.wait_for_function(settled, timeout=120_000)
    counted = int(page.inner_text("#docs-canonical")) + int(page.inner_text("#docs-duplicate"))
    assert counted == 5 and page.inner_text("#docs-failed") == "1"
    page.wait_for_selector("#chart-throughput svg rect[data-series]")
    page.wait_for_selector("#articles tbody tr")
    row = page.wait_for_selector("#failures tbody tr:has-text('menu-only.html')")
    reason = row.query_selector("td.reason").inner_text()
    failed_id = next(f["id"] for f in get_json(base + "/api/failures")[1]["failures"])
    assert reason and reason == document_row(env, monkeypatch, failed_id)["error"]

    # A dead letter: a document whose stored bytes are damaged raises in the worker;
    # with no retries left its message is dead-lettered with the error.
    doc_id = record_document(env, monkeypatch, "damaged.txt", STORY, corrupt=True)
    enqueue_message(env, monkeypatch, ([doc_id],), max_retries=0)
    dead = page.wait_for_selector("#dlq tbody tr", timeout=60_000)
    assert "decompress" in dead.query_selector("td.reason").inner_text()
    page.wait_for_selector("#chart-depth svg circle[data-series='dead']")  # the hour's depth is drawn
    assert page.inner_text("#health") == "degraded"
    assert document_row(env, monkeypatch, doc_id)["status"] == "pending"

    # The operator repairs the cause and presses Requeue: the document settles.
    repair_document(env, monkeypatch, doc_id, STORY)
    page.click("#dlq button.requeue")
    page.wait_for_selector("#toast:has-text('requeued 1 message')")
    page.wait_for_selector("#dlq-empty", state="visible", timeout=60_000)
    servers.wait_until(lambda: document_row(env, monkeypatch, doc_id)["status"] != "pending", 60,
                       interval=0.2, message="the requeued document to settle")
    assert document_row(env, monkeypatch, doc_id)["status"] in ("canonical", "duplicate")
    page.wait_for_function("() => document.querySelector('#health').textContent === 'healthy'", timeout=30_000)
    # The search box narrows the articles to matching titles.
    title = next(a["title"] for a in get_json(base + "/api/articles")[1]["articles"] if a["title"])
    word = max(title.split(), key=len).strip(".,:;\"'").lower()
    page.fill("#search", word)
    page.wait_for_function(
        "w => { const rows = [...document.querySelectorAll('#articles tbody tr')];"
        " return rows.length >= 1 && rows.every(r => r.textContent.toLowerCase().includes(w)); }",
        arg=word, timeout=30_000)
    _, report = get_json(base + "/api/status")
    assert report["queues"]["documents"]["dead"] == 0

    # The same story in Prometheus' terms.
    _, text = get(base + "/metrics")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(text.decode()) for s in f.samples}
    assert samples[("corpus_messages_dead_lettered_total", ())] == 1
    assert samples[("corpus_dead_letters_requeued_total", ())] == 1
    assert samples[("corpus_message_errors_total", ())] >= 1
    assert samples[("corpus_documents_processed_total", (("outcome", "failed"),))] == 1
    assert samples[("corpus_queue_dead_letters", (("queue", "documents"),))] == 0

    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "dashboard.png"
    page.fill("#search", "")
    page.wait_for_timeout(600)  # let one refresh redraw before the picture (not an assertion)
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert not page_errors, page_errors


def test_the_page_asks_for_a_token_to_requeue_when_it_has_none(sqlite_corpus, browser, tmp_path, monkeypatch):
    """Without the cookie the Requeue button gets 401, prompts for the token once, keeps it
    in sessionStorage and retries with it."""
    from tests.support.ops import dead_letter_without_worker

    env = sqlite_corpus
    token = "prompt-" + uuid.uuid4().hex
    env.extra["CORPUS_API_TOKEN"] = token
    rid = dead_letter_without_worker(env, monkeypatch, ([1],))
    monitor, base = start_monitor(env, tmp_path)
    try:
        page = browser.new_page()
        prompts: list[str] = []

        def answer(dialog):
            prompts.append(dialog.message)
            dialog.accept(token)

        page.on("dialog", answer)
        page.goto(base + "/")
        page.wait_for_selector(f"#dlq tbody tr[data-id='{rid}']")
        page.click("#dlq button.requeue")
        page.wait_for_selector("#toast:has-text('requeued 1 message')")
        assert len(prompts) == 1 and "CORPUS_API_TOKEN" in prompts[0]
        assert page.evaluate("sessionStorage.getItem('corpusToken')") == token
    finally:
        monitor.stop()


def test_article_page_shows_the_copies_evidence_and_the_events_panel_links_to_it(dashboard):
    """The seeds (one event of several stories) and demo/'s syndicated copy of seed 003: the
    events panel lists the event with its stories, each a link to the article's page, which
    shows the copy with the evidence `corpus show` gives (rule, estimated and exact
    similarity, shared passages)."""
    env, base, auth, page_errors = dashboard.env, dashboard.base, dashboard.auth, dashboard.errors
    assert env.run("ingest", str(SEEDS), str(ROOT / "demo"), "--wait").returncode == 0
    _, listed = get_json(base + "/api/events?limit=8", headers=auth)
    largest = listed["events"][0]
    assert largest["size"] >= 2
    _, article = get_json(base + "/api/article?ref=" + str(SEEDS / "003_a7f81f6fd957c2d8.txt"), headers=auth)
    [copy] = article["copies"]
    assert copy["source"].endswith("eurasia-wire-lavrov-kyrgyzstan.txt")

    page = dashboard.open()
    row = page.wait_for_selector(f"#events tbody tr[data-event='{largest['id']}']")
    assert row.query_selector("td.size").inner_text() == str(largest["size"])
    links = row.query_selector_all("a.article-link")
    assert {int(a.get_attribute("data-article")) for a in links} <= {a["id"] for a in largest["articles"]}
    assert len(links) == min(largest["size"], 4)
    assert page.wait_for_selector(f"#articles a.article-link[data-article='{article['id']}']")

    # From the events panel (the event holds seed 003's article) to the article's page.
    if article["id"] in {int(a.get_attribute("data-article")) for a in links}:
        page.click(f"#events a.article-link[data-article='{article['id']}']")
    else:  # beyond the first four titles: the articles table links to it too
        page.click(f"#articles a.article-link[data-article='{article['id']}']")
    page.wait_for_url(f"**/article?ref={article['id']}")
    page.wait_for_selector("body[data-loaded]")
    assert page.inner_text("#article-title") == (article["title"] or "(untitled)")
    assert page.inner_text("#article-copies") == "1"
    assert page.inner_text("#article-event") == f"#{article['event']['id']} ({article['event']['size']} stories)"
    shown = page.wait_for_selector(f".copy[data-document='{copy['document_id']}']")
    assert shown.query_selector(".rule").inner_text() == copy["rule"]
    assert shown.query_selector(".kind").inner_text() == copy["kind"]
    assert float(shown.query_selector(".estimated").inner_text()) == copy["estimated_similarity"]
    assert float(shown.query_selector(".jaccard").inner_text()) == copy["exact_jaccard"]
    assert float(shown.query_selector(".containment").inner_text()) == copy["exact_containment"]
    passages = shown.query_selector_all("ol.passages li q")
    assert copy["shared_passages"] and [p.inner_text() for p in passages] == [
        p["text"] for p in copy["shared_passages"]]

    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "article.png"), full_page=True)

    page.goto(f"{base}/article?ref=999999")
    page.wait_for_selector("body[data-loaded]")
    assert page.inner_text("#article-title") == "not found" and "no article" in page.inner_text("#problems")
    page_errors[:] = [e for e in page_errors if "404" not in e]  # the browser logs the refused fetch
    assert not page_errors, page_errors
