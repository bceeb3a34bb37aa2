"""Where a page's ``site`` comes from when nothing but the page says (``workers.steps.sites``):
how often trafilatura's site name is the headline, and what the plausibility rule keeps.

    python -m bench.sites [--docs 400] [--seeds 1 2]

1. generated HTML pages of ``bench/corpus.py`` (titles ``Headline | Site``): the share of
   pages whose raw trafilatura site name is the page's title, and after the rule;
2. the 181 real pages of the article-extraction benchmark (``CORPUS_EXTRACTION_BENCH``):
   the site names trafilatura gives, which the rule keeps and which it drops (printed, to be
   judged by eye: there is no truth for them).
"""

from __future__ import annotations

import argparse
import gzip
import json

from bench.common import EXTRACTION_BENCH, machine
from bench.corpus import generate
from workers.steps.cleaning.html import EXTRACT_OPTIONS
from workers.steps.sites import plausible_site_name, site_for


def raw_meta(html: str) -> dict:
    from trafilatura import bare_extraction

    doc = bare_extraction(html, **EXTRACT_OPTIONS)
    if doc is None:
        return {}
    return {k: getattr(doc, a, None) for k, a in (("title", "title"), ("site", "sitename"), ("url", "url"))}


def generated(n: int, seed: int) -> dict:
    pages = [d for d in generate(n * 3, seed=seed, html_ratio=1.0, copy_ratio=0.3) if "html" in d][:n]
    raw_headline = kept_headline = site_set = 0
    for page in pages:
        meta = raw_meta(page["html"])
        if meta.get("site") and meta.get("site") == meta.get("title"):
            raw_headline += 1
        site = site_for(None, None, {k: v for k, v in meta.items() if v})
        if site:
            site_set += 1
            if site == meta.get("title"):
                kept_headline += 1
    return {"pages": len(pages), "raw_site_is_title": raw_headline, "after_rule_site_is_title": kept_headline,
            "pages_with_a_site_after_rule": site_set}


def real(bench_dir) -> dict:
    kept, dropped = [], []
    for path in sorted((bench_dir / "html").glob("*.html.gz")):
        meta = raw_meta(gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace"))
        name = meta.get("site")
        if not name:
            continue
        (kept if plausible_site_name(name, meta.get("title")) else dropped).append((name, meta.get("title")))
    return {"with_a_site_name": len(kept) + len(dropped), "kept": len(kept), "dropped": len(dropped),
            "dropped_names": dropped, "kept_names": sorted({k for k, _ in kept})}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    result = {"machine": machine(), "generated": {seed: generated(a.docs, seed) for seed in a.seeds}}
    if (EXTRACTION_BENCH / "html").is_dir():
        result["real_pages"] = real(EXTRACTION_BENCH)
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
