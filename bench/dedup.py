"""Dedup quality on the labelled corpus, measured the way the pipeline works.

    .venv/bin/python bench/dedup.py labelled [--split A|B|both]   # labelled stories, real pipeline
                                                                  # (bench/dedup_labelled.py)

    .venv/bin/python bench/dedup.py [--n 4000] [--seed 0] [--html-ratio 0.3] [--redis-url redis://127.0.0.1:6379/0]

clean (HTML: trafilatura; text: as is, chrome included) -> fingerprint -> LshIndex.insert_and_query
(real Redis, a private key prefix, deleted at the end) -> compare on every candidate -> union-find.
Prints: machine info; throughput; LSH candidate recall / false-candidate rate per (bands, rows);
pairwise precision / recall for exact+near across thresholds; excerpt recall; merges among hard
negatives (same-event stories, short items sharing heavy chrome); the chosen setting.
Results are also written to bench/data/dedup/last_run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from math import comb
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import redis  # noqa: E402
import xxhash  # noqa: E402
from datasketch import MinHash  # noqa: E402

from bench.common import machine_info  # noqa: E402  (moved to bench/common.py)
from bench.corpus import generate  # noqa: E402
from workers.steps import dedup  # noqa: E402
from workers.index.lsh import LshIndex  # noqa: E402

HARD = {"same_event", "short_item"}


def clean(doc: dict, mode: str = "pipeline") -> str:
    """pipeline: HTML through trafilatura, text docs as a text cleaner would leave them (the
    generator's ``clean``: nav/related/footer gone, residual chrome kept); raw: text as is."""
    if mode == "pipeline" and "text" in doc:
        return doc["clean"]
    if "html" in doc:
        import trafilatura

        return trafilatura.extract(doc["html"], favor_precision=True) or ""
    return doc["text"]


class UF:
    def __init__(self, n):
        self.p = list(range(n))

    def find(self, x):
        p = self.p
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.p[max(a, b)] = min(a, b)


def evaluate(docs, pairs, **thr) -> dict:
    """pairs: list of (i, j, same_hash, J, ni, nj, lead J). Returns metrics of the clusters formed."""
    n = len(docs)
    uf = UF(n)
    for i, j, same, jj, ni, nj, lj in pairs:
        if same or dedup.classify(jj, ni, nj, lj, **thr) is not None:
            uf.union(i, j)
    roots = [uf.find(i) for i in range(n)]
    # exact+near pairwise scores over non-excerpt docs
    by_pred = defaultdict(Counter)
    gt_sizes = Counter()
    for i, d in enumerate(docs):
        if d["kind"] == "excerpt":
            continue
        by_pred[roots[i]][d["cluster"]] += 1
        gt_sizes[d["cluster"]] += 1
    tp = sum(comb(c, 2) for cnt in by_pred.values() for c in cnt.values())
    pred = sum(comb(sum(cnt.values()), 2) for cnt in by_pred.values())
    gt = sum(comb(c, 2) for c in gt_sizes.values())
    # excerpt recall: excerpt lands in the cluster of its story's original
    orig_of = {d["cluster"]: i for i, d in enumerate(docs) if d["kind"] in ("original", "same_event")}
    ex = [i for i, d in enumerate(docs) if d["kind"] == "excerpt"]
    ex_ok = sum(1 for i in ex if roots[i] == roots[orig_of[docs[i]["cluster"]]])
    # merges: distinct ground-truth clusters joined (all docs); hard: involving a hard negative
    members = defaultdict(set)
    hard_clusters = {d["cluster"] for d in docs if d["kind"] in HARD}
    for i, d in enumerate(docs):
        members[roots[i]].add(d["cluster"])
    merges = sum(len(s) - 1 for s in members.values())
    hard_merges = sum(len(s) - 1 for s in members.values() if len(s) > 1 and s & hard_clusters)
    return {
        "precision": tp / pred if pred else 1.0,
        "recall": tp / gt if gt else 1.0,
        "pred_pairs": pred,
        "gt_pairs": gt,
        "excerpt_recall": ex_ok / len(ex) if ex else 1.0,
        "excerpts": len(ex),
        "story_merges": merges,
        "hard_negative_merges": hard_merges,
    }


def lsh_table(docs, fps, rng) -> list[dict]:
    """Probability-free check of (bands, rows) choices on the real signatures: share of true
    pairs (near, excerpt) that share at least one bucket, and share of random different-story
    pairs that do (false candidates)."""
    sig = np.stack([f.signature for f in fps])
    lead = np.stack([f.lead for f in fps])
    by_cluster = defaultdict(list)
    for i, d in enumerate(docs):
        by_cluster[d["cluster"]].append(i)
    near_pairs, ex_pairs = [], []
    for members in by_cluster.values():
        full = [i for i in members if docs[i]["kind"] != "excerpt" and fps[i].shingle_count]
        exs = [i for i in members if docs[i]["kind"] == "excerpt"]
        for a in range(len(full)):
            for b in range(a + 1, len(full)):
                if fps[full[a]].text_hash != fps[full[b]].text_hash:
                    near_pairs.append((full[a], full[b]))
        for e in exs:
            for f in full[:1]:
                ex_pairs.append((e, f))
    n = len(docs)
    rand_pairs = []
    while len(rand_pairs) < 200_000:
        a, b = rng.randrange(n), rng.randrange(n)
        if docs[a]["cluster"] != docs[b]["cluster"]:
            rand_pairs.append((a, b))

    def eqs(pairs):
        p = np.array(pairs)
        return sig[p[:, 0]] == sig[p[:, 1]], lead[p[:, 0]] == lead[p[:, 1]]

    E_near, E_ex, E_rand = eqs(near_pairs), eqs(ex_pairs), eqs(rand_pairs)
    rows = []
    LB, LR = dedup.LEAD_BANDS, dedup.LEAD_ROWS
    for b, r, use_lead in [(16, 4, 0), (32, 4, 0), (21, 3, 0), (42, 3, 0), (16, 2, 0), (24, 2, 0), (32, 2, 0), (48, 2, 0),
                           (64, 2, 0), (32, 1, 0), (16, 4, 1), (21, 3, 1), (24, 2, 1), (32, 2, 1)]:
        def cand(E):
            E, L = E
            c = E[:, : b * r].reshape(len(E), b, r).all(axis=2).any(axis=1)
            if use_lead:
                c |= L[:, : LB * LR].reshape(len(L), LB, LR).all(axis=2).any(axis=1)
            return c.mean()

        rows.append({"bands": b, "rows": r, "lead": f"{LB}x{LR}" if use_lead else "-", "near_recall": cand(E_near),
                     "excerpt_recall": cand(E_ex), "false_cand_rate": cand(E_rand),
                     "bucket_bytes_per_doc": 16 * (b + (LB if use_lead else 0))})
    return rows, len(near_pairs), len(ex_pairs)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["labelled"]:  # the labelled stories through the real pipeline
        from bench.dedup_labelled import main as labelled

        return labelled(argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--html-ratio", type=float, default=0.3)
    ap.add_argument("--copy-ratio", type=float, default=0.3)
    ap.add_argument("--redis-url", default=os.environ.get("CORPUS_REDIS_URL") or "redis://127.0.0.1:6379/0")
    ap.add_argument("--clean", choices=["pipeline", "raw"], default="pipeline")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "dedup" / "last_run.json")
    a = ap.parse_args(argv)

    print(machine_info())
    print(f"dedup params: {json.dumps(dedup.params())}")
    print(f"thresholds: near>={dedup.NEAR_THRESHOLD} contained>={dedup.CONTAINED_THRESHOLD} "
          f"(size ratio<={dedup.CONTAINED_MAX_SIZE_RATIO}, >={dedup.CONTAINED_MIN_SHINGLES} shingles) "
          f"short(<{dedup.MIN_TOKENS} shingles): near>={dedup.SHORT_NEAR_THRESHOLD}")
    t = time.perf_counter()
    docs = generate(a.n, seed=a.seed, html_ratio=a.html_ratio, copy_ratio=a.copy_ratio)
    print(f"\ncorpus: {len(docs)} docs in {time.perf_counter() - t:.1f}s; kinds {dict(Counter(d['kind'] for d in docs))}; "
          f"html {sum('html' in d for d in docs)}")
    t = time.perf_counter()
    texts = [clean(d, a.clean) for d in docs]
    print(f"clean ({a.clean}; trafilatura for HTML): {time.perf_counter() - t:.1f}s; median clean length "
          f"{int(np.median([len(x) for x in texts]))} chars")
    t = time.perf_counter()
    fps = [dedup.fingerprint(x) for x in texts]
    dt = time.perf_counter() - t
    print(f"fingerprint: {len(fps) / dt:.0f} docs/s on one core (median {np.median([len(x) for x in texts]) / 1000:.1f} KB)")
    # reference on the same texts: plain datasketch recipe (string 5-shingles, xxh32 hashfunc, update_batch)
    sample = texts[:1000]
    t = time.perf_counter()
    for x in sample:
        toks = dedup.normalise(x).split()
        sh = {" ".join(toks[i:i + dedup.SHINGLE_SIZE]).encode() for i in range(max(1, len(toks) - dedup.SHINGLE_SIZE + 1))}
        m = MinHash(num_perm=dedup.NUM_PERM, hashfunc=xxhash.xxh32_intdigest, permutations=dedup._PERMUTATIONS, scheme=dedup.SCHEME)
        m.update_batch(sh)
    ref = len(sample) / (time.perf_counter() - t)
    t = time.perf_counter()
    for x in sample:
        dedup.fingerprint(x)
    ours = len(sample) / (time.perf_counter() - t)
    print(f"  same 1000 texts: fingerprint() {ours:.0f} docs/s vs reference datasketch recipe {ref:.0f} docs/s ({ours / ref:.2f}x)")

    client = redis.Redis.from_url(a.redis_url)
    ix = LshIndex(client, f"bench-dedup-{uuid.uuid4().hex[:12]}:")
    pairs = []
    lat = []
    ncand = []
    try:
        ix.ensure_params(dedup.params())
        for i, fp in enumerate(fps):
            t0 = time.perf_counter()
            cands = ix.insert_and_query(i, fp)
            lat.append(time.perf_counter() - t0)
            ncand.append(len(cands))
            for j, other in cands:
                pairs.append((j, i, fp.text_hash == other.text_hash, dedup.jaccard(fp, other),
                              other.shingle_count, fp.shingle_count, dedup.lead_jaccard(fp, other)))
    finally:
        ix.clear()
    lat_ms = np.array(lat) * 1000
    print(f"index: insert_and_query p50 {np.percentile(lat_ms, 50):.2f} ms, p99 {np.percentile(lat_ms, 99):.2f} ms; "
          f"candidates/doc mean {np.mean(ncand):.2f}, max {max(ncand)}")

    LB, LR = dedup.LEAD_BANDS, dedup.LEAD_ROWS
    rng = random.Random(1)
    table, n_near, n_ex = lsh_table(docs, fps, rng)
    print(f"\nLSH candidate recall on these signatures ({n_near} true near/exact-variant pairs, {n_ex} excerpt->original pairs, "
          f"200k random different-story pairs):")
    print(f"{'bands':>5} {'rows':>4} {'lead':>4} {'near':>7} {'excerpt':>8} {'false-cand':>11} {'bucket B/doc':>12}")
    for r in table:
        mark = "  <- chosen" if (r["bands"], r["rows"], r["lead"]) == (dedup.BANDS, dedup.ROWS, f"{LB}x{LR}") else ""
        print(f"{r['bands']:>5} {r['rows']:>4} {r['lead']:>4} {r['near_recall']:>7.4f} {r['excerpt_recall']:>8.4f} {r['false_cand_rate']:>11.2e} "
              f"{r['bucket_bytes_per_doc']:>12}{mark}")

    # Jaccard distributions that set the thresholds
    gtj = defaultdict(list)
    for i, j, same, jj, ni, nj, lj in pairs:
        di, dj = docs[i], docs[j]
        if di["cluster"] == dj["cluster"]:
            k = "excerpt" if "excerpt" in (di["kind"], dj["kind"]) else ("exact" if same else "near")
        else:
            k = "hard_negative" if (di["kind"] in HARD or dj["kind"] in HARD) else "other_negative"
        gtj[k].append((jj, min(ni, nj), max(ni, nj)))
    print("\nestimated Jaccard of candidate pairs by truth:")
    for k, v in sorted(gtj.items()):
        js = np.array([x[0] for x in v])
        print(f"  {k:15s} n={len(v):6d} min {js.min():.3f} p1 {np.percentile(js, 1):.3f} p50 {np.median(js):.3f} max {js.max():.3f}")

    print("\nclusters (union-find over verified candidate edges):")
    print(f"{'near>=':>6} {'cont>=':>6} {'precision':>9} {'recall':>7} {'excerpt':>8} {'merges':>6} {'hard':>5}")
    sweep = []
    for nt in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        for ct in (0.7, 0.8, 0.9):
            m = evaluate(docs, pairs, near_threshold=nt, contained_threshold=ct)
            m.update(near_threshold=nt, contained_threshold=ct)
            sweep.append(m)
            mark = "  <- chosen" if (nt, ct) == (dedup.NEAR_THRESHOLD, dedup.CONTAINED_THRESHOLD) else ""
            print(f"{nt:>6} {ct:>6} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['excerpt_recall']:>8.3f} "
                  f"{m['story_merges']:>6} {m['hard_negative_merges']:>5}{mark}")
    print("\nshort-text rule (min_tokens, short near threshold) at the chosen thresholds:")
    for mt in (0, 30, 60, 120, 250):
        for st in (0.8, 0.9, 0.95):
            m = evaluate(docs, pairs, min_tokens=mt, short_near_threshold=st)
            print(f"  min_tokens {mt:>4} short_near {st}: precision {m['precision']:.4f} recall {m['recall']:.4f} "
                  f"hard merges {m['hard_negative_merges']}")
    print("\nexcerpt rule (lead J >=, containment >=) at the chosen near/contained thresholds:")
    for lt in (0.5, 0.67, 0.75, 0.9, 1.01):
        for lct in (0.4, 0.5, 0.6, 0.7):
            m = evaluate(docs, pairs, lead_threshold=lt, lead_contained_threshold=lct)
            print(f"  lead>={lt} cont>={lct}: precision {m['precision']:.4f} excerpt {m['excerpt_recall']:.3f} "
                  f"merges {m['story_merges']} hard {m['hard_negative_merges']}")
    chosen = evaluate(docs, pairs)
    false_edges = Counter()
    examples = {}
    for i, j, same, jj, ni, nj, lj in pairs:
        if docs[i]["cluster"] != docs[j]["cluster"]:
            m = dedup.Match("exact", 1.0) if same else dedup.classify(jj, ni, nj, lj)
            if m:
                key = (docs[i]["kind"], docs[j]["kind"], m.kind)
                false_edges[key] += 1
                examples.setdefault(key, (round(jj, 3), ni, nj, round(m.similarity, 3)))
    if false_edges:
        print("\nfalse edges at the chosen setting (kind, kind, verdict): count, example (J, n_i, n_j, sim)")
        for k, v in false_edges.most_common(12):
            print(f"  {k}: {v} {examples[k]}")
    missed = Counter()
    for i, j, same, jj, ni, nj, lj in pairs:
        if docs[i]["cluster"] == docs[j]["cluster"] and not same and dedup.classify(jj, ni, nj, lj) is None:
            missed[(docs[i]["kind"], docs[j]["kind"])] += 1
    print("true candidate pairs rejected by compare (kind, kind): ", dict(missed.most_common(8)))
    print(f"\nCHOSEN near>={dedup.NEAR_THRESHOLD} contained>={dedup.CONTAINED_THRESHOLD} bands={dedup.BANDS} rows={dedup.ROWS}: "
          f"precision {chosen['precision']:.4f} recall {chosen['recall']:.4f} excerpt recall {chosen['excerpt_recall']:.3f} "
          f"hard-negative merges {chosen['hard_negative_merges']} (story merges {chosen['story_merges']})")
    ok = (chosen["precision"] >= 0.995 and chosen["recall"] >= 0.98 and chosen["excerpt_recall"] >= 0.9
          and chosen["hard_negative_merges"] == 0)
    print("targets (P>=0.995, R>=0.98, excerpt>=0.9, 0 hard merges):", "MET" if ok else "NOT MET")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"machine": machine_info(), "args": {k: str(v) for k, v in vars(a).items()},
                                 "params": dedup.params(), "chosen": chosen, "sweep": sweep, "lsh": table,
                                 "fingerprint_docs_per_s": len(fps) / dt,
                                 "lookup_ms": {"p50": float(np.percentile(lat_ms, 50)), "p99": float(np.percentile(lat_ms, 99))}},
                                indent=1, default=float))


if __name__ == "__main__":
    main()
