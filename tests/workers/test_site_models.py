"""Per-site boilerplate, end to end over the store: learned by a command from one site's
documents only, applied by the pipeline under a recorded version, and re-applied to older
documents by `reclean`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.documents import NewDocument, record
from models.tables import Document
from tests.conftest import SEEDS
from workers import pipeline

SLOGAN = "Feed Example brings you independent reporting from Central Asia, every single day."
PARAGRAPHS = [p for f in sorted(SEEDS.iterdir()) for p in f.read_text(encoding="utf-8").split("\n") if len(p) > 300]


def story(n: int) -> str:
    body = PARAGRAPHS[(2 * n) % len(PARAGRAPHS)] + "\n\n" + PARAGRAPHS[(2 * n + 1) % len(PARAGRAPHS)]
    return f"{body}\n\n{SLOGAN}\n"


@pytest.fixture
def rt(sqlite_corpus, monkeypatch):
    sqlite_corpus.activate(monkeypatch)
    from workers.runtime import runtime

    return runtime()


def add(rt, items: list[tuple[str, str, str]]) -> list[int]:
    with session_scope(rt.engine) as session:
        ids = [i for i, _ in record(session, [NewDocument(source=s, data=t.encode(), format="text", site=site)
                                             for s, t, site in items])]
    pipeline.process(rt, ids)
    return ids


def texts(rt, ids) -> dict[int, tuple[str, int | None]]:
    with session_scope(rt.engine) as session:
        return {d.id: (d.text, d.site_model_version)
                for d in session.scalars(select(Document).where(Document.id.in_(ids)))}


def test_learned_boilerplate_is_removed_for_its_site_only_and_reclean_applies_it(rt, sqlite_corpus, monkeypatch):
    feed = add(rt, [(f"feed-{n}", story(n), "feed.example") for n in range(6)])
    other = add(rt, [("other-0", story(7), "other.example")])
    # Before `corpus learn`, only the stream's own learning acts: once it learned the slogan it sent
    # the site's documents back through cleaning (a worker would take them from the queue).
    with session_scope(rt.engine) as session:
        assert {d.stage for d in session.scalars(select(Document).where(Document.site == "feed.example"))} == {"received"}
    pipeline.process(rt, feed)
    assert all(SLOGAN not in text and version is None for text, version in texts(rt, feed).values())

    learned = sqlite_corpus.run("learn", "--json")
    assert learned.returncode == 0, learned.stderr
    summaries = {s["site"]: s for s in map(json.loads, learned.stdout.splitlines())}
    assert summaries["feed.example"]["version"] == 1 and summaries["feed.example"]["lines"] >= 1
    assert summaries["other.example"]["lines"] == 0  # one document teaches nothing

    again = sqlite_corpus.run("learn", "--json", "--site", "feed.example")
    assert json.loads(again.stdout)["new_version"] is False  # same lines: no new version

    from workers import sites as site_models

    monkeypatch.setattr(site_models, "REFRESH_S", 0)  # this process's cache: see the new model at once
    newcomer = add(rt, [("feed-new", story(9), "feed.example")])
    text, version = texts(rt, newcomer)[newcomer[0]]
    assert SLOGAN not in text and version == 1
    with session_scope(rt.engine) as session:
        removed = session.get(Document, newcomer[0]).removed
    assert {"text": SLOGAN, "rule": "site-boilerplate"} in removed

    reopened = sqlite_corpus.run("reclean", "--site", "feed.example", "--json")
    assert reopened.returncode == 0, reopened.stderr
    assert json.loads(reopened.stdout) == {"site": "feed.example", "version": 1, "reopened": 6}
    pipeline.process(rt, feed)
    for text, version in texts(rt, feed).values():
        assert SLOGAN not in text and version == 1
    assert all(SLOGAN in text for text, _ in texts(rt, other).values())  # never across sites
    with session_scope(rt.engine) as session:
        statuses = {d.status for d in session.scalars(select(Document))}
    assert statuses == {"canonical"}
