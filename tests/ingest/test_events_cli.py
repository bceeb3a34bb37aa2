"""Events through the real queue: the seeds become one event by ``corpus ingest --wait`` with
real worker processes, and 4 racing workers over one-document messages (PostgreSQL) give
the same events as 1 worker (SQLite) fed the same documents in another order."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.conftest import SEEDS, CorpusEnv
from tests.support import stories
from tests.support.workers import ingest_with_workers, racing_and_calm


def test_the_seeds_form_one_event_through_the_queue(corpus):
    result = corpus.run("ingest", str(SEEDS), "--wait", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    listed = corpus.run("events", "--json")
    assert listed.returncode == 0, listed.stderr
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [e["size"] for e in events] == [5], "the five seeds are one event"
    exported = [json.loads(line) for line in corpus.run("export").stdout.splitlines()]
    assert {a["event"]["id"] for a in exported} == {events[0]["id"]}
    assert all(a["event"]["size"] == 5 for a in exported)
    shown = corpus.run("events", "show", str(events[0]["id"]))
    assert shown.returncode == 0 and "shared:" in shown.stdout and "kyrgyz" in shown.stdout.lower()
    assert corpus.run("events", "show", "999999").returncode == 1
    assert corpus.run("events", "--since", "soon").returncode == 2


def write_corpus(folder: Path) -> list[Path]:
    """Split A's stories under their sites' chrome, a syndicated copy of every third, and one
    local site's briefs: each a JSON record with its published date."""
    folder.mkdir(parents=True)
    records = []
    for event in stories.events("A"):
        for n, story in enumerate(event["stories"]):
            records.append((story["story_id"], stories.story_record(story)))
            if n % 3 == 0:
                copy = stories.story_record(story, site="wire.example")
                records.append((story["story_id"] + "-copy", copy))
    for brief in stories.briefs("A"):
        site = "ashbury-gazette.example"
        records.append((brief["brief_id"], {"text": stories.chrome(site, brief["headline"], brief["paragraphs"]),
                                            "site": site, "url": f"https://{site}/{brief['brief_id'].lower()}",
                                            "published": brief["published"]}))
    paths = []
    for name, item in records:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(item), encoding="utf-8")
        paths.append(path)
    return paths


def events_of(env: CorpusEnv) -> set[frozenset[frozenset[str]]]:
    """Each event as the set of its articles, each article as the set of its documents' sources."""
    exported = env.run("export", timeout=120)
    assert exported.returncode == 0, exported.stderr
    by_event: dict[int, set[frozenset[str]]] = {}
    for line in exported.stdout.splitlines():
        article = json.loads(line)
        assert article["event"] is not None
        members = frozenset({article["source"]} | {d["source"] for d in article["duplicates"]})
        by_event.setdefault(article["event"]["id"], set()).add(members)
    return {frozenset(v) for v in by_event.values()}


def run_with_workers(env: CorpusEnv, files: list[Path], processes: int) -> set:
    ingest_with_workers(env, files, processes)
    return events_of(env)


@pytest.fixture
def two_corpora(tmp_path, redis_server, postgres_server):
    with racing_and_calm(tmp_path, redis_server, postgres_server) as corpora:
        yield corpora


def test_four_racing_workers_and_one_worker_in_shuffled_order_give_the_same_events(two_corpora, tmp_path):
    racing, calm = two_corpora
    files = write_corpus(tmp_path / "corpus")
    shuffled = list(files)
    random.Random(11).shuffle(shuffled)

    raced = run_with_workers(racing, files, processes=4)
    calmly = run_with_workers(calm, shuffled, processes=1)

    assert raced == calmly
    sizes = sorted((len(e) for e in raced), reverse=True)
    assert sizes[0] >= 4 and sum(1 for s in sizes if s > 1) >= 10, sizes  # many multi-story events
    assert any(len(article) > 1 for event in raced for article in event)  # and copies inside articles
