"""Cleaning on sites nobody wrote rules for: body recall and chrome leak per site (a script, not a test).

    .venv/bin/python bench/clean_sites.py              # dev and held-out sites, every mode
    .venv/bin/python bench/clean_sites.py --verbose    # also the lost and leaked lines (dev sites only)

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine_info()}")
    print(f"cleaner: {CLEANER_VERSION}")
    for split in ("dev", "heldout"):
        run(split, args.verbose)
    speed()


if __name__ == "__main__":
    main()
