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
from workers.steps.cleaning import html as html_step  # noqa: E402
from workers.steps.cleaning.text import clean as clean_extracted  # noqa: E402

#: Share of pages in dev; the rest are held out.
DEV_SHARE = 60


def split(page_id: str) -> str:
    """``"dev"`` or ``"heldout"``, fixed by the page id alone (sha1, not Python's salted hash)."""
    return "dev" if int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 100 < DEV_SHARE else "heldout"


def before(html: str, url: str) -> str:
    """``clean_html``'s extraction as it was before the two-pass merge (cleaner 2026.12.07-1),
    with today's rules, for the side by side: the precision pass, and when its text was under
    1,000 characters the default pass (with metadata), taken whole when its clean text was at
    least twice as long."""
    from trafilatura import bare_extraction

    text, meta = html_step.extract(html, url=url, timeout_s=0)
    cleaned = clean_extracted(text, known_title=meta.get("title"), unwrap=False)
    if len(text) < 1000 and html.strip():
        doc = bare_extraction(html, url=url, **{**html_step.EXTRACT_OPTIONS, "favor_precision": False})
        again = clean_extracted(html_step._text(doc), known_title=(doc.title if doc else None) or meta.get("title"), unwrap=False)
        if len(cleaned.text) < 0.5 * len(again.text):
            cleaned = again
    return cleaned.text


def run(bench_dir: Path) -> tuple[dict, dict[str, dict], dict, dict[str, float]]:
    """Every extractor on every page, each timed on the page in turn (A B C A B C ...)."""
    import trafilatura

    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    no_comments = {"include_comments": False}
    runners = {
        "trafilatura default": lambda html, url: trafilatura.extract(html, url=url) or "",
        "trafilatura, no comments": lambda html, url: trafilatura.extract(html, url=url, **no_comments) or "",
        "corpus before": before,
        "clean_html (corpus)": lambda html, url: clean_html(html, url=url, timeout_s=60).text,
    }
    preds: dict[str, dict] = {name: {} for name in runners}
    cpu = dict.fromkeys(runners, 0.0)
    for k, item in truth.items():
        html = gzip.open(bench_dir / "html" / f"{k}.html.gz").read().decode("utf-8", "replace")
        for name, fn in runners.items():
            c0 = time.process_time()
            preds[name][k] = fn(html, item["url"])
            cpu[name] += time.process_time() - c0
    return truth, preds, {k: split(k) for k in truth}, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-dir", type=Path, default=EXTRACTION_BENCH)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--dump", type=Path)
    args = ap.parse_args()
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.2f}")
    print(f"cleaner: {CLEANER_VERSION}")
    truth, preds, parts, cpu = run(args.bench_dir)
    ours, default = preds["clean_html (corpus)"], preds["trafilatura default"]
    n = len(truth)
    print(f"\n[html] {args.bench_dir.resolve()}: {n} pages, dev {sum(v == 'dev' for v in parts.values())}, "
          f"held-out {sum(v == 'heldout' for v in parts.values())} (sha1(id) % 100 < {DEV_SHARE} is dev)")
    print(f"  {'':10} {'':26} {'P':>7} {'R':>7} {'F1':>7} {'exact':>7}")
    for part in ("heldout", "dev", "all"):
        sub = {k: v for k, v in truth.items() if part == "all" or parts[k] == part}
        for name, pred in preds.items():
            P, R, F, acc = score(pred, sub)
            print(f"  {part:10} {name:26} {P:7.4f} {R:7.4f} {F:7.4f} {acc:7.3f}")
    print(f"\n[speed] HTML pages per CPU second, one core (load {os.getloadavg()[0]:.2f} at the end)")
    for name in preds:
        print(f"  {name:26} {n / cpu[name]:6.1f}  ({cpu[name] / cpu['clean_html (corpus)']:.2f}x clean_html's CPU time)")
    if args.verbose:
        rows = sorted((page_pr(ours[k], truth[k]["articleBody"]), k) for k in truth if parts[k] == "dev")
        for (p, r), k in rows[:20]:
            d = page_pr(default[k], truth[k]["articleBody"])
            print(f"    {k[:12]} P={p:.3f} R={r:.3f} (default P={d[0]:.3f} R={d[1]:.3f}) {truth[k]['url'][:80]}")
    if args.dump:
        args.dump.write_text(json.dumps({"ours": ours, "default": default, "split": parts}, ensure_ascii=False))


if __name__ == "__main__":
    main()
