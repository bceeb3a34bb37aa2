"""Site chrome learned online: pages of a site nobody wrote rules for go through the queue, and
its footer lines leave the later pages without anyone running ``corpus learn``, while a
sentence the site repeats inside every body stays."""

from __future__ import annotations

import json

from sqlalchemy import select

from models.db import session_scope
from models.tables import Document
from tests.support.stories import events

SITE = "quarry-post.example"
FOOTER = [
    "Spotted something wrong in this report? Write to the desk and we will look at it within a day.",
    "Quarry Post is made by eleven people in a converted bakery on Mill Lane.",
]
TEMPLATED = "Quarry Post checked the figures in this report with the people named in it before publication."


def stories(n: int) -> list[dict]:
    found = [s for e in events("A") for s in e["stories"] if len(s["paragraphs"]) >= 5]
    assert len(found) >= n
    return found[:n]


def page(story: dict) -> str:
    p = story["paragraphs"]
    return "\n\n".join(["QUARRY POST", story["headline"], p[0], p[1], TEMPLATED, p[2], p[3], *FOOTER]) + "\n"


def write(path, items: list[tuple[int, dict]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for n, story in items:
            fh.write(json.dumps({"text": page(story), "url": f"https://{SITE}/story-{n}", "site": SITE}) + "\n")


def _pages(engine) -> dict[str, tuple[str, list, str]]:
    with session_scope(engine) as session:
        docs = session.scalars(select(Document).where(Document.site == SITE)).all()
        return {d.url: (d.text, d.removed, d.stage) for d in docs}


def test_footer_lines_learned_from_the_stream_leave_later_pages_and_a_templated_body_sentence_stays(
        sqlite_corpus, tmp_path, monkeypatch):
    pages = list(enumerate(stories(30)))
    # The stream arrives in two drops: the first ten pages, then twenty more.
    write(tmp_path / "first.jsonl", pages[:10])
    write(tmp_path / "later.jsonl", pages[10:])
    for name in ("first.jsonl", "later.jsonl"):
        result = sqlite_corpus.run("ingest", str(tmp_path / name), "--wait", "--json")
        assert result.returncode == 0, result.stderr
    sqlite_corpus.activate(monkeypatch)
    from workers.runtime import runtime

    by_url = _pages(runtime().engine)
    assert len(by_url) == 30
    texts = [by_url[f"https://{SITE}/story-{n}"] for n in range(30)]
    for text, removed, _ in texts[10:]:
        assert not any(line in text for line in FOOTER)
        notes = [r.get("note", "") for r in removed if r["rule"] == "site-repeated"]
        assert len(notes) >= 2 and all(" of " in n and "pages of this site" in n for n in notes)
    assert all(TEMPLATED in text for text, _, _ in texts)


def test_earlier_pages_are_cleaned_again_when_the_site_learns_its_chrome(sqlite_corpus, tmp_path, monkeypatch):
    """The first pages of a site taught its footer before anyone knew it was chrome; once the
    learned lines changed materially they are sent back through the queue, without `corpus
    reclean`, and lose it too (a worker process does it; the templated body sentence stays)."""
    from tests.support import servers
    from tests.support.ops import start_worker

    write(tmp_path / "pages.jsonl", list(enumerate(stories(12))))
    worker = start_worker(sqlite_corpus, tmp_path)
    try:
        result = sqlite_corpus.run("ingest", str(tmp_path / "pages.jsonl"), "--json")
        assert result.returncode == 0, result.stderr
        sqlite_corpus.activate(monkeypatch)
        from workers.runtime import runtime

        engine = runtime().engine

        def all_clean() -> bool:
            got = _pages(engine)
            return len(got) == 12 and all(stage == "linked" and not any(line in text for line in FOOTER)
                                          for text, _, stage in got.values())

        servers.wait_until(all_clean, 180, interval=0.5, message="every page of the site cleaned of its footer")
    finally:
        worker.stop()
    got = _pages(engine)
    first = got[f"https://{SITE}/story-0"]
    assert {"site-repeated"} <= {r["rule"] for r in first[1] if r["text"] in FOOTER}  # the site's model named them
    assert all(TEMPLATED in text for text, _, _ in got.values())


def test_the_redis_learner_learns_what_the_in_memory_one_does(redis_server):
    """The Lua update in workers.sites is the shared form of site_stream.update: fed the same
    pages (new stories, copies, a templated sentence), both learn the same lines and counts."""
    import uuid

    import redis

    from tests.support import servers
    from workers.sites import SiteStream
    from workers.steps.cleaning import SiteLearner, clean_text

    namespace = f"test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_server.url)
    try:
        shared, local = SiteStream(client, namespace), SiteLearner()
        found = stories(14)
        texts = [page(s) for s in found[:10]] + [page(found[3])] * 3 + [page(s) for s in found[10:]]
        for text in texts:
            evidence = clean_text(text, site=SITE, learned=local.lines(SITE), observe=True).evidence
            local.observe(SITE, evidence)
            shared.observe(SITE, evidence)
        mine, theirs = local.sites[SITE], SiteStream(client, namespace).lines(SITE)  # a fresh worker's view
        assert len(mine.learned) >= len(FOOTER)
        assert (theirs.lines, theirs.pages, theirs.version) == (mine.learned, mine.pages, mine.version)
    finally:
        servers.delete_namespace(redis_server.url, namespace)


def test_a_batch_cleaned_in_one_round_trip_reads_as_if_its_pages_came_one_by_one(redis_server):
    """A worker cleans a message's pages together and folds them in one round trip: each page
    still loses the lines the pages before it taught (two sites interleaved, copies, a page of
    no site), exactly as the in-memory learner fed one page at a time."""
    import uuid

    import redis

    from tests.support import servers
    from workers.sites import SiteStream
    from workers.steps.cleaning import SiteLearner, clean_text

    other = "other-post.example"
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_server.url)
    try:
        found = stories(16)
        pages = [(SITE if n % 3 else other, page(s)) for n, s in enumerate(found)]
        pages[6:6] = [(SITE, page(found[4]))] * 2 + [(None, page(found[5]))]
        local, expected = SiteLearner(), []
        for site, text in pages:
            cleaned = clean_text(text, site=site, learned=local.lines(site), observe=bool(site))
            local.observe(site, cleaned.evidence)
            expected.append(cleaned.text)

        stream, got = SiteStream(client, namespace), {}

        def clean(i, learned):
            site, text = pages[i]
            cleaned = clean_text(text, site=site, learned=learned, observe=bool(site))
            got[i] = cleaned.text
            return cleaned.evidence

        stream.clean_in_order(list(range(len(pages))), lambda i: pages[i][0], clean)
        assert [got[i] for i in range(len(pages))] == expected
        assert any(FOOTER[0] not in text for text in expected)  # the footer was learned along the way
        for site in (SITE, other):
            theirs = SiteStream(client, namespace).lines(site)
            mine = local.sites[site]
            assert (theirs.lines, theirs.pages, theirs.version) == (mine.learned, mine.pages, mine.version)
    finally:
        servers.delete_namespace(redis_server.url, namespace)


def test_a_site_costs_two_generations_of_memory_and_still_learns_after_turning_over(redis_server):
    """With a small generation the site's sets turn over many times: Redis holds at most two
    generations, the footer is learned all the same, and the Lua update still does exactly what
    the in-memory one does (lines, pages, versions, material changes)."""
    import uuid

    import redis

    from tests.support import servers
    from workers.sites import SiteStream
    from workers.steps.cleaning import SiteLearner, clean_text

    generation = 20  # lines: a page sends its short lines only (a story's long sentences are never hashed)
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_server.url)
    try:
        shared, local = SiteStream(client, namespace, generation_lines=generation), SiteLearner(generation)
        keys = shared._keys(SITE)
        for s in stories(24):
            evidence = clean_text(page(s), site=SITE, learned=local.lines(SITE), observe=True).evidence
            local.observe(SITE, evidence)
            shared.observe(SITE, evidence)
            assert client.scard(keys[1]) < generation and client.scard(keys[6]) < generation + 20
        mine, theirs = local.sites[SITE], SiteStream(client, namespace).lines(SITE)
        assert mine.old_seen, "the site never turned over: the generation is too big for this test"
        assert (theirs.lines, theirs.pages, theirs.version) == (mine.learned, mine.pages, mine.version)
        assert int(client.hget(keys[4], "material")) == mine.material >= 1
        last = clean_text(page(stories(25)[-1]), site=SITE, learned=theirs).text
        assert not any(line in last for line in FOOTER) and TEMPLATED in last
        assert 0 < client.ttl(keys[3]) <= 90 * 24 * 3600
    finally:
        servers.delete_namespace(redis_server.url, namespace)



def test_a_site_sent_back_for_cleaning_is_in_progress_for_status_and_ingest_wait(sqlite_corpus, tmp_path,
                                                                                 monkeypatch):
    """A re-clean (what a worker does when a site's learned lines change materially) sends
    the site's settled pages back through the real queue; they keep their status until
    re-linked. Meanwhile `corpus status` counts them as being re-cleaned, and `corpus ingest
    --wait` of those pages returns only once they are linked again (it starts local workers
    for them: none is alive)."""
    from tests.support.ops import start_worker

    write(tmp_path / "pages.jsonl", list(enumerate(stories(12))))
    worker = start_worker(sqlite_corpus, tmp_path)
    try:
        result = sqlite_corpus.run("ingest", str(tmp_path / "pages.jsonl"), "--wait", "--json")
        assert result.returncode == 0, result.stderr
    finally:
        worker.stop()
    sqlite_corpus.activate(monkeypatch)
    from workers.pipeline import reclean_outgrown
    from workers.runtime import runtime

    rt = runtime()
    assert all(stage == "linked" for _, _, stage in _pages(rt.engine).values())
    reclean_outgrown(rt, [SITE])  # onto the queue; no worker runs

    status = json.loads(sqlite_corpus.run("status", "--json").stdout)
    assert status["documents"]["recleaning"] == 12
    assert status["documents"]["canonical"] + status["documents"]["duplicate"] == 12  # their status kept
    assert any("12 being re-cleaned" in p for p in status["problems"])  # and no worker to do it

    result = sqlite_corpus.run("ingest", str(tmp_path / "pages.jsonl"), "--wait", "--json")
    assert result.returncode == 0, result.stderr
    assert all(stage == "linked" for _, _, stage in _pages(rt.engine).values())
    assert {d["status"] for d in json.loads(result.stdout)["documents"]} <= {"canonical", "duplicate"}
    assert json.loads(sqlite_corpus.run("status", "--json").stdout)["documents"]["recleaning"] == 0
