"""HTML cleaning on the article-extraction benchmark, split into dev and held-out pages.

    nice .venv/bin/python bench/clean_html.py                 # scores + speed
    nice .venv/bin/python bench/clean_html.py --verbose       # + worst dev pages
    nice .venv/bin/python bench/clean_html.py --dump FILE     # predictions as JSON (error analysis)

The benchmark was used to choose corpus's HTML settings, so its figures flatter them. To see
how a change generalises, pages are split by a fixed hash of their id (``split``): dev (~60 %),
on which errors may be looked at, and held-out (~40 %), which is only scored. Figures are
printed for held-out, dev and all, for ``clean_html`` and for trafilatura's default
``extract()`` (no options but the URL), scored as the benchmark's README defines (see
``bench/clean.py``: ``score``).

Speed: HTML pages per CPU second (``time.process_time``, which counts the extraction thread),
each extractor timed on the same page one after the other, so load on a shared machine hits
both alike.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.clean import machine, page_pr, score  # noqa: E402
from bench.common import EXTRACTION_BENCH  # noqa: E402
from workers.steps.cleaning import CLEANER_VERSION, clean_html  # noqa: E402

#: Share of pages in dev; the rest are held out.
DEV_SHARE = 60


def split(page_id: str) -> str:
    """``"dev"`` or ``"heldout"``, fixed by the page id alone (sha1, not Python's salted hash)."""
    return "dev" if int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 100 < DEV_SHARE else "heldout"


def run(bench_dir: Path) -> tuple[dict, dict, dict, dict, float, float]:
    import trafilatura

    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    ours, default = {}, {}
    cpu_ours = cpu_default = 0.0
    for k, item in truth.items():
        html = gzip.open(bench_dir / "html" / f"{k}.html.gz").read().decode("utf-8", "replace")
        c0 = time.process_time()
        default[k] = trafilatura.extract(html, url=item["url"]) or ""
        c1 = time.process_time()
        ours[k] = clean_html(html, url=item["url"], timeout_s=60).text
        c2 = time.process_time()
        cpu_default += c1 - c0
        cpu_ours += c2 - c1
    return truth, ours, default, {k: split(k) for k in truth}, cpu_ours, cpu_default


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-dir", type=Path, default=EXTRACTION_BENCH)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--dump", type=Path)
    args = ap.parse_args()
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.2f}")
    print(f"cleaner: {CLEANER_VERSION}")
    truth, ours, default, parts, cpu_ours, cpu_default = run(args.bench_dir)
    n = len(truth)
    print(f"\n[html] {args.bench_dir.resolve()}: {n} pages, dev {sum(v == 'dev' for v in parts.values())}, "
          f"held-out {sum(v == 'heldout' for v in parts.values())} (sha1(id) % 100 < {DEV_SHARE} is dev)")
    print(f"  {'':10} {'':24} {'P':>7} {'R':>7} {'F1':>7} {'exact':>7}")
    for part in ("heldout", "dev", "all"):
        sub = {k: v for k, v in truth.items() if part == "all" or parts[k] == part}
        for name, preds in (("trafilatura default", default), ("clean_html (corpus)", ours)):
            P, R, F, acc = score(preds, sub)
            print(f"  {part:10} {name:24} {P:7.4f} {R:7.4f} {F:7.4f} {acc:7.3f}")
    print(f"\n[speed] HTML pages per CPU second: clean_html {n / cpu_ours:.1f}, trafilatura default "
          f"{n / cpu_default:.1f} (ratio {cpu_default / cpu_ours:.2f})")
    if args.verbose:
        rows = sorted((page_pr(ours[k], truth[k]["articleBody"]), k) for k in truth if parts[k] == "dev")
        for (p, r), k in rows[:20]:
            d = page_pr(default[k], truth[k]["articleBody"])
            print(f"    {k[:12]} P={p:.3f} R={r:.3f} (default P={d[0]:.3f} R={d[1]:.3f}) {truth[k]['url'][:80]}")
    if args.dump:
        args.dump.write_text(json.dumps({"ours": ours, "default": default, "split": parts}, ensure_ascii=False))


if __name__ == "__main__":
    main()
