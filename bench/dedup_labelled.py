"""Dedup quality on the labelled corpus of ``bench/dedup_corpus.py``, through the real pipeline.

    .venv/bin/python bench/dedup.py labelled                  # both splits, verification on and off
    .venv/bin/python bench/dedup.py labelled --split A        # development split only

Every document of a split (``bench/data/dedup/labelled_{A,B}.jsonl``) is recorded as
``corpus ingest`` records a JSON line, in a shuffled arrival order, into a temporary SQLite
store, and processed by ``workers.pipeline.process`` in batches of 16 against a private
redis-server: decode, clean, fingerprint, the Redis LSH index, verification, linking. Then the
store is read back:

* pair precision / recall: over every document but the excerpts, a pair is predicted when the
  two are in one article, true when they carry one story;
* excerpt recall: excerpts in the article of their story's original;
* canonical fullest: articles of two or more documents whose canonical carries the most body
  words of its members (ground truth ``body_tokens``; ties count as fullest), and per story: the
  canonical of the story's article carries the most body words of all the story's copies;
* clusters spanning two stories (must be 0), documents failed;
* CPU per document (process time of the whole batch loop) and of the verification step.

Modes: ``verified`` (the pipeline as it is) and ``minhash`` (verification replaced by the
MinHash estimate's verdict alone), side by side with the ratio of their CPU.
``--pairs``: the exact Jaccard / containment of the split's pairs (default: A only).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dedup_corpus import load  # noqa: E402

BATCH = 16


def metrics(docs: list[dict], placed: dict[str, int], canonical_of: dict[int, str], failed: int) -> dict:
    """``placed``: labelled id -> article id; ``canonical_of``: article id -> labelled id of its canonical."""
    by_id = {d["id"]: d for d in docs}
    full = [d for d in docs if d["variant"] != "excerpt" and d["id"] in placed]
    tp = fp = fn = 0
    for x, y in combinations(full, 2):
        same, together = x["story"] == y["story"], placed[x["id"]] == placed[y["id"]]
        tp += same and together
        fp += together and not same
        fn += same and not together
    originals = {d["story"]: d["id"] for d in docs if d["variant"] in ("original", "brief")}
    excerpts = [d for d in docs if d["variant"] == "excerpt"]
    excerpt_ok = sum(placed.get(d["id"]) == placed.get(originals[d["story"]]) for d in excerpts)
    members: dict[int, list[dict]] = {}
    for d in docs:
        if d["id"] in placed:
            members.setdefault(placed[d["id"]], []).append(d)
    clusters = {a: m for a, m in members.items() if len(m) > 1}
    fullest = sum(by_id[canonical_of[a]]["body_tokens"] == max(d["body_tokens"] for d in m) for a, m in clusters.items())
    spanning = sum(len({d["story"] for d in m}) > 1 for m in members.values())
    story_docs: dict[str, list[dict]] = {}
    for d in docs:
        story_docs.setdefault(d["story"], []).append(d)
    multi = [s for s, ds in story_docs.items() if len(ds) > 1]
    story_fullest = sum(by_id[canonical_of[placed[originals[s]]]]["body_tokens"] == max(d["body_tokens"] for d in story_docs[s])
                        for s in multi)
    missed = [f"{x['id']}~{y['id']}" for x, y in combinations(full, 2)
              if x["story"] == y["story"] and placed[x["id"]] != placed[y["id"]]]
    return {
        "documents": len(docs), "failed": failed,
        "pair_precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "pair_recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "true_pairs": tp + fn, "false_pairs": fp, "missed_pairs": fn,
        "excerpt_recall": round(excerpt_ok / len(excerpts), 4) if excerpts else 1.0,
        "excerpts": f"{excerpt_ok}/{len(excerpts)}",
        "canonical_fullest": f"{fullest}/{len(clusters)}",
        "story_canonical_fullest": f"{story_fullest}/{len(multi)}",
        "clusters_spanning_stories": spanning,
        "missed": missed[:12],
        "excerpts_missed": [d["id"] for d in excerpts if placed.get(d["id"]) != placed.get(originals[d["story"]])],
    }


def run(split: str, redis_url: str, mode: str, seed: int = 0) -> dict:
    data_dir = tempfile.mkdtemp(prefix="corpus-bench-dedup-")
    os.environ.update(CORPUS_DATA_DIR=data_dir, CORPUS_REDIS_URL=redis_url,
                      CORPUS_NAMESPACE=f"bench-dedup-{split}-{mode}-{os.getpid()}")
    os.environ.pop("CORPUS_DATABASE_URL", None)
    from sqlalchemy import select

    from ingest.formats.records import to_document
    from models.db import read_scope, session_scope
    from models.documents import record
    from models.tables import FAILED, Article, Document
    from workers import pipeline, runtime as runtime_module
    from workers import candidates

    runtime_module.reset()
    rt = runtime_module.runtime()
    docs = load(split)
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    spent = {"verify": 0.0}
    original = candidates.verify

    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent["verify"] += time.process_time() - started

    pipeline.verify = timed if mode == "verified" else candidates.estimate_only
    try:
        with session_scope(rt.engine) as session:
            ids = [i for i, _ in record(session, [to_document(docs[n]["record"], source=docs[n]["record"]["url"])
                                                  for n in order])]
        label = {doc_id: docs[n]["id"] for doc_id, n in zip(ids, order)}
        started = time.process_time()
        for start in range(0, len(ids), BATCH):
            pipeline.process(rt, ids[start:start + BATCH])
        total = time.process_time() - started
    finally:
        pipeline.verify = original
    with read_scope(rt.engine) as session:
        rows = session.execute(select(Document.id, Document.status, Document.article_id).where(Document.id.in_(ids))).all()
        canon = dict(session.execute(select(Article.id, Article.canonical_document_id)
                                     .where(Article.merged_into_id.is_(None))).all())
    placed = {label[i]: a for i, status, a in rows if status != FAILED and a is not None}
    failed = sum(status == FAILED for _, status, _ in rows)
    result = metrics(docs, placed, {a: label[c] for a, c in canon.items() if c in label}, failed)
    result.update(cpu_ms_per_doc=round(total / len(ids) * 1e3, 3),
                  verify_ms_per_doc=round(spent["verify"] / len(ids) * 1e3, 3))
    rt.index.clear()
    runtime_module.reset()
    return result


def pairs(split: str) -> dict:
    """Exact Jaccard / containment of every pair sharing a shingle, cleaned as the pipeline
    cleans (``--pairs``): per pair of variants of one story the minimum J and C and how many the
    estimate alone misses; over different stories the maximum J, C and shared shingles. The
    figures behind the constants of ``workers.steps.verification``."""
    from itertools import combinations as pairs_of

    import numpy as np

    from workers.steps import dedup
    from workers.steps.prepare import prepare

    docs = load(split)
    sets, fps = [], []
    for d in docs:
        r = d["record"]
        fmt = "html" if "html" in r else "text"
        cleaned, fp = prepare((r.get("html") or r["text"]).encode(), document_format=fmt, gzipped=False,
                              max_bytes=1 << 26, url=r["url"], site=r["site"])
        sets.append(np.unique(dedup.shingle_sequence(cleaned.text)))
        fps.append(fp)
    same: dict[str, list] = {}
    worst = {"J": 0.0, "C": 0.0, "shared": 0}
    for i, j in pairs_of(range(len(docs)), 2):
        shared = len(np.intersect1d(sets[i], sets[j], assume_unique=True))
        small = min(len(sets[i]), len(sets[j])) or 1
        jj, cc = shared / (len(sets[i]) + len(sets[j]) - shared or 1), shared / small
        if docs[i]["story"] == docs[j]["story"]:
            key = "+".join(sorted((docs[i]["variant"], docs[j]["variant"])))
            same.setdefault(key, []).append((jj, cc, small, dedup.compare(fps[i], fps[j]) is None))
        else:
            worst = {"J": max(worst["J"], round(jj, 3)), "C": max(worst["C"], round(cc, 3)),
                     "shared": max(worst["shared"], shared)}
    return {"same story": {k: {"pairs": len(v), "min_J": round(min(x[0] for x in v), 3),
                               "min_C": round(min(x[1] for x in v), 3), "min_shingles": min(x[2] for x in v),
                               "estimate_misses": sum(x[3] for x in v)} for k, v in sorted(same.items())},
            "different stories": worst}


def main(argv: list[str] | None = None) -> None:
    import argparse

    from bench.common import machine_info, private_redis, terminate_on_sigterm

    parser = argparse.ArgumentParser(prog="bench/dedup.py labelled", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["A", "B", "both"], default="both")
    parser.add_argument("--mode", choices=["verified", "minhash", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0, help="arrival order")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--pairs", action="store_true", help="exact J/C per pair of variants (no pipeline)")
    args = parser.parse_args(argv)
    terminate_on_sigterm()
    print(machine_info(), flush=True)
    if args.pairs:
        for split in (["A"] if args.split == "both" else [args.split]):
            print(f"{split}: {json.dumps(pairs(split), indent=1)}")
        return
    print("command: .venv/bin/python bench/dedup.py labelled " + " ".join(argv or sys.argv[2:]), flush=True)
    splits = ["A", "B"] if args.split == "both" else [args.split]
    modes = ["minhash", "verified"] if args.mode == "both" else [args.mode]
    results: dict = {}
    with private_redis() as redis:
        run("A", redis.url, "minhash", args.seed + 1)  # warm-up, not measured: imports, compiled statements
        for split in splits:
            for mode in modes:
                r = results[f"{split} {mode}"] = run(split, redis.url, mode, args.seed)
                print(f"{split} {mode:8s}: {json.dumps(r)}", flush=True)
            if len(modes) == 2:
                a, b = results[f"{split} minhash"], results[f"{split} verified"]
                print(f"{split} verified/minhash CPU per document: {b['cpu_ms_per_doc'] / a['cpu_ms_per_doc']:.3f} "
                      f"(verification itself {b['verify_ms_per_doc'] / a['cpu_ms_per_doc']:.1%} of the minhash-only CPU)",
                      flush=True)
    print("targets (held-out B): pair precision >= 0.995, recall >= 0.99, excerpt recall >= 0.95, canonical fullest 100 %, "
          "0 clusters spanning stories, verification <= 10 % extra CPU per document")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
