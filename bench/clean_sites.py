"""Cleaning on sites nobody wrote rules for: body recall and chrome leak per site (a script, not a test).

    .venv/bin/python bench/clean_sites.py              # dev and held-out sites, every mode
    .venv/bin/python bench/clean_sites.py --verbose    # also the lost and leaked lines (dev sites only)
    .venv/bin/python bench/clean_sites.py --memory 3000  # Redis bytes of one site over 3,000 pages

The data is ``bench/data/sites`` (twelve invented sites in six languages, each a few pages of
different stories under its own chrome, every line labelled; see ``build.py`` there). Held-out
sites are measured, never listed: their lines are not for writing rules from.

Three ways of cleaning each site's pages, side by side:

- ``page``: each page on its own (``clean_text``), what corpus did before it learned from streams;
- ``stream``: the pages in order through one :class:`SiteLearner`, each cleaned with the lines
  learned from the pages before it, as the service does (first pages of a site teach, later pages
  benefit);
- ``2-pass``: learn from all the pages first, then clean each (``corpus clean FILE...``).

Scoring is ``bench/clean.py``'s ``judge``: body recall = share of body lines found in the output;
chrome leak = share of chrome lines still in it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.clean import judge  # noqa: E402
from bench.common import machine_info  # noqa: E402
from workers.steps.cleaning import CLEANER_VERSION, SiteLearner, clean_text  # noqa: E402

DATA = ROOT / "bench" / "data" / "sites"
MODES = ("page", "stream", "2-pass")


def load(split: str) -> dict[str, list[dict]]:
    sites: dict[str, list[dict]] = defaultdict(list)
    for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            sites[doc["site"]].append(doc)
    for pages in sites.values():
        pages.sort(key=lambda d: d["page"])
    return sites


def outputs(site: str, pages: list[dict], mode: str) -> list[str]:
    if mode == "page":
        return [clean_text(d["text"], site=site).text for d in pages]
    learner = SiteLearner()
    out = []
    for d in pages:
        cleaned = clean_text(d["text"], site=site, learned=learner.lines(site), observe=True)
        learner.observe(site, cleaned.evidence)
        out.append(cleaned.text)
    if mode == "2-pass":
        out = [clean_text(d["text"], site=site, learned=learner.lines(site)).text for d in pages]
    return out


def run(split: str, verbose: bool) -> None:
    sites = load(split)
    print(f"\n[{split}] {len(sites)} sites, {sum(map(len, sites.values()))} pages")
    head = "".join(f" {m + ' recall':>14} {m + ' leak':>12}" for m in MODES)
    print(f"  {'site':28} {'lang':4} {'pages':>5}{head}")
    totals = {m: [0, 0, 0, 0] for m in MODES}
    for site, pages in sites.items():
        row = []
        for mode in MODES:
            t = [0, 0, 0, 0]
            for doc, out in zip(pages, outputs(site, pages, mode)):
                nb, kept, nc, leaked, lost, leaks = judge(doc, out)
                t = [t[0] + nb, t[1] + kept, t[2] + nc, t[3] + leaked]
                if verbose and split == "dev" and mode == "stream":
                    for x in lost:
                        print(f"      LOST  {doc['id']}: {x[:100]}")
                    for x in leaks:
                        print(f"      LEAK  {doc['id']}: {x[:100]}")
            totals[mode] = [a + b for a, b in zip(totals[mode], t)]
            row.append(f" {t[1] / max(t[0], 1):14.4f} {t[3] / max(t[2], 1):12.4f}")
        print(f"  {site:28} {pages[0]['lang']:4} {len(pages):5d}{''.join(row)}")
    row = "".join(f" {t[1] / max(t[0], 1):14.4f} {t[3] / max(t[2], 1):12.4f}" for t in totals.values())
    print(f"  {'all (line-weighted)':28} {'':4} {'':5}{row}")
    b = totals["page"]
    print(f"  ({b[0]} body lines, {b[2]} chrome lines)")


def speed() -> None:
    """CPU time per page, per-page cleaning against the stream (learning included)."""
    pages = [d for split in ("dev", "heldout") for ps in load(split).values() for d in ps]
    rows = []
    for mode in ("page", "stream"):
        t0 = time.process_time()
        rounds = 20
        for _ in range(rounds):
            for site, ps in {**load("dev"), **load("heldout")}.items():
                outputs(site, ps, mode)
        rows.append((mode, rounds * len(pages) / (time.process_time() - t0)))
    print("\n[speed] pages/CPU-s (loading included): " + ", ".join(f"{m} {r:,.0f}" for m, r in rows)
          + f"; stream/page = {rows[1][1] / rows[0][1]:.2f}")


def memory(redis_url: str, pages: int) -> None:
    """Bytes one site costs in Redis (``MEMORY USAGE`` of its keys) as its pages stream in, with
    the per-site bound (two generations of ``GENERATION_LINES``, ``MAX_LEARNED``) and without it
    (a generation too big to turn over), side by side. The pages are ``bench/corpus.py``'s text
    documents all taken as one site: the worst case, every story new and many teaser lines."""
    import uuid

    import redis

    from bench.corpus import generate
    from workers.sites import SiteStream
    from workers.steps.cleaning import site_stream

    texts = [d["text"] for d in generate(pages, seed=1) if "text" in d]
    while len(texts) < pages:
        texts += texts[: pages - len(texts)]  # (repeats are copies: they cost nothing)
    client = redis.Redis.from_url(redis_url)
    marks = sorted({min(pages, m) for m in (100, 500, 1000, 2000, 3000, pages)})
    rows = {}
    for name, generation in (("bounded", site_stream.GENERATION_LINES), ("unbounded", 1 << 40)):
        namespace = f"bench-mem-{uuid.uuid4().hex[:8]}"
        stream = SiteStream(client, namespace, generation_lines=generation)
        keys = stream._keys("one-site")
        got = []
        try:
            for n, text in enumerate(texts[:pages], 1):
                cleaned = clean_text(text, site="one-site", learned=stream.lines("one-site"), observe=True)
                stream.observe("one-site", cleaned.evidence)
                if n in marks:
                    got.append(sum(client.memory_usage(k, samples=0) or 0 for k in keys))
        finally:
            for k in keys:
                client.delete(k)
        rows[name] = got
    print(f"\n[memory] Redis bytes for one site after N pages (GENERATION_LINES={site_stream.GENERATION_LINES:,}, "
          f"MAX_LEARNED={site_stream.MAX_LEARNED})")
    print(f"  {'pages':>6} {'bounded':>12} {'unbounded':>12} {'ratio':>7}")
    for m, b, u in zip(marks, rows["bounded"], rows["unbounded"]):
        print(f"  {m:6d} {b:12,d} {u:12,d} {b / max(u, 1):7.2f}")


def infer(split: str) -> None:
    """Sites inferred from mastheads (``site_infer.SiteGuesser``) with the site names stripped:
    the pages of every site interleaved in one stream, grouped, and cleaned as a stream under the
    inferred names. Pair precision: of the page pairs put in one group, the share that are one
    site's; pair recall: of one site's page pairs, the share grouped together."""
    import random

    from workers.steps.cleaning.site_infer import SiteGuesser

    sites = load(split)
    pages = [d for ps in sites.values() for d in ps]
    random.Random(0).shuffle(pages)
    pages.sort(key=lambda d: d["page"])  # each site's pages in order, sites interleaved
    guesser, learner = SiteGuesser(), SiteLearner()
    guessed, totals = [], [0, 0, 0, 0]
    for d in pages:
        site = guesser.site(d["text"])
        guessed.append(site)
        cleaned = clean_text(d["text"], site=site, learned=learner.lines(site), observe=bool(site))
        learner.observe(site, cleaned.evidence)
        nb, kept, nc, leaked, _, _ = judge(d, cleaned.text)
        totals = [totals[0] + nb, totals[1] + kept, totals[2] + nc, totals[3] + leaked]
    precision, recall = pairs([d["site"] for d in pages], guessed)
    print(f"\n[infer, {split}] {len(sites)} sites, {len(pages)} pages, names stripped: {len(set(guessed) - {None})} groups, "
          f"pair precision {precision:.4f}, pair recall {recall:.4f}; "
          f"stream under inferred sites: recall {totals[1] / max(totals[0], 1):.4f}, leak {totals[3] / max(totals[2], 1):.4f}")


def pairs(truth: list, guessed: list) -> tuple[float, float]:
    """Pair precision and recall of a grouping (``None``: in no group)."""
    from itertools import combinations

    same_true = same_guess = both = 0
    for (a, ga), (b, gb) in combinations(zip(truth, guessed), 2):
        t, g = a == b, ga is not None and ga == gb
        same_true += t
        same_guess += g
        both += t and g
    return both / max(same_guess, 1), both / max(same_true, 1)


def infer_generated(n: int = 1000) -> None:
    """Site inference on ``bench/corpus.py``'s text documents (20 sites sharing one template,
    syndicated footers and a common "Sign in" line: what must not merge them)."""
    from bench.corpus import generate
    from workers.steps.cleaning.site_infer import SiteGuesser

    docs = [d for d in generate(n, seed=0) if "text" in d]
    guesser = SiteGuesser()
    guessed = [guesser.site(d["text"]) for d in docs]
    precision, recall = pairs([d["site"] for d in docs], guessed)
    print(f"[infer, bench/corpus.py] {len({d['site'] for d in docs})} sites, {len(docs)} pages: "
          f"{len(set(guessed) - {None})} groups, pair precision {precision:.4f}, pair recall {recall:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--memory", type=int, metavar="PAGES", help="only the Redis memory of one site over PAGES pages")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="with --memory: a Redis to measure in")
    args = ap.parse_args()
    print(f"machine: {machine_info()}")
    print(f"cleaner: {CLEANER_VERSION}")
    if args.memory:
        memory(args.redis, args.memory)
        return
    for split in ("dev", "heldout"):
        run(split, args.verbose)
    for split in ("dev", "heldout"):
        infer(split)
    infer_generated()
    speed()


if __name__ == "__main__":
    main()
