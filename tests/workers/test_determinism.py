"""The same inputs give the same clusters and canonicals whatever the number of workers
and the order of arrival: 4 worker processes racing over one-document messages on
PostgreSQL, against 1 process over batches on SQLite, fed in opposite orders."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench.corpus import generate
from bench.dedup_corpus import load as load_labelled
from tests.conftest import CorpusEnv
from tests.support.workers import ingest_with_workers, racing_and_calm

DOCUMENTS = 360


def write_corpus(folder: Path) -> list[Path]:
    """A corpus with many copies, in burst order: every copy of a story right after the others."""
    records = generate(DOCUMENTS, seed=7, html_ratio=0.2, copy_ratio=0.45)
    records.sort(key=lambda r: (r["cluster"], r["id"]))
    folder.mkdir(parents=True)
    paths = []
    for item in records:
        kind = "html" if "html" in item else "text"
        path = folder / f"{item['id']}.{'html' if kind == 'html' else 'txt'}"
        path.write_text(item[kind], encoding="utf-8")
        paths.append(path)
    return paths


def clusters(env: CorpusEnv, files: list[Path]) -> set[tuple[bytes, frozenset[str]]]:
    """Each article as (its canonical's bytes, its members' sources). The canonical is named by
    its bytes: among copies of the same bytes the first accepted is canonical, so which of
    them it is follows the order of ingest (checked here), not the workers."""
    exported = env.run("export", timeout=120)
    assert exported.returncode == 0, exported.stderr

    arrival = {str(path): n for n, path in enumerate(files)}
    result = set()
    for line in exported.stdout.splitlines():
        article = json.loads(line)
        members = {article["source"]} | {d["source"] for d in article["duplicates"]}
        canonical = Path(article["source"]).read_bytes()
        same_bytes = [m for m in members if Path(m).read_bytes() == canonical]
        assert article["source"] == min(same_bytes, key=arrival.__getitem__)  # the first accepted
        result.add((canonical, frozenset(members)))
    return result


def run_with_workers(env: CorpusEnv, files: list[Path], processes: int, documents: int = DOCUMENTS) -> set:
    """Ingest ``files`` in the order given (the arrival order) with ``processes`` workers."""
    ingest_with_workers(env, files, processes, documents)
    return clusters(env, files)


@pytest.fixture
def two_corpora(tmp_path, redis_server, postgres_server):
    with racing_and_calm(tmp_path, redis_server, postgres_server) as corpora:
        yield corpora


def test_four_racing_workers_and_one_calm_worker_agree(two_corpora, tmp_path):
    racing, calm = two_corpora
    files = write_corpus(tmp_path / "corpus")

    raced = run_with_workers(racing, files, processes=4)
    calmly = run_with_workers(calm, files[::-1], processes=1)

    assert raced == calmly
    multi = [members for _, members in raced if len(members) > 1]
    assert len(multi) >= 30, "the corpus should have many clusters of copies"
    assert sum(len(m) for m in multi) >= DOCUMENTS * 0.3


def write_labelled(folder: Path) -> tuple[list[Path], dict[str, str]]:
    """The development split of the labelled dedup corpus (short stories, edited, trimmed and
    wrapped copies, excerpts, HTML copies, briefs under one chrome) as files; path -> story."""
    folder.mkdir(parents=True)
    paths, story = [], {}
    for n, doc in enumerate(load_labelled("A")):
        kind = "html" if "html" in doc["record"] else "text"
        path = folder / f"{n:03d}.{'html' if kind == 'html' else 'txt'}"
        path.write_text(doc["record"][kind], encoding="utf-8")
        paths.append(path)
        story[str(path)] = doc["story"]
    return paths, story


def test_verified_short_copies_are_deterministic_across_workers_and_order(two_corpora, tmp_path):
    """Verification reads the candidates' stored texts: 4 racing workers (PostgreSQL, one
    document a message) and 1 worker (SQLite, shuffled order) still give one set of clusters
    and canonicals, and every cluster holds one story."""
    racing, calm = two_corpora
    files, story = write_labelled(tmp_path / "labelled")
    shuffled = list(files)
    random.Random(11).shuffle(shuffled)

    raced = run_with_workers(racing, files, processes=4, documents=len(files))
    calmly = run_with_workers(calm, shuffled, processes=1, documents=len(files))

    assert raced == calmly
    assert all(len({story[m] for m in members}) == 1 for _, members in raced)
    assert len(raced) == len(set(story.values()))  # one article per story
