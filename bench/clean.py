"""Figures for the cleaning step (a script, not a test).

    .venv/bin/python bench/clean.py                  # everything
    .venv/bin/python bench/clean.py --only html      # or: corpus, speed
    .venv/bin/python bench/clean.py --bench-dir DIR  # or CORPUS_EXTRACTION_BENCH=DIR
    .venv/bin/python bench/clean.py --corpus FILE    # or CORPUS_CLEAN_CORPUS=FILE
    .venv/bin/python bench/clean.py --verbose        # list wrong lines

1. HTML: the article-extraction benchmark (181 pages, truth in ``ground-truth.json``), scored as
   its README defines: 4-token ``\\w+`` shingle multisets per page, tp/fp/fn normalised per page,
   P and R averaged over pages, F1 of the means. trafilatura alone (same settings as ours) and
   ``clean_html`` side by side.
2. Labelled corpus (``bench/data/clean/corpus.jsonl`` and, next to it, ``heldout.jsonl`` with
   other wordings; see ``bench/data/clean/README.md``): body-line
   recall (share of body lines whose text is in the output) and chrome-line leak (share of
   chrome lines still in the output: equal to an output paragraph, or, with 4+ words, contained
   in it; chrome text that also occurs inside a body line is not counted).
3. Speed: raw-text ``clean_text`` on 5 KB documents, one core, documents per second, for the
   seeds (ordinary articles), for the chrome-dense labelled corpus and for the text documents of
   ``bench/corpus.py`` as generated (median ~5.9 KB, every site's chrome); by wall clock and by CPU
   time (the CPU figure is the fair one on a shared machine), with a calibration loop so figures
   from different machines can be compared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workers.steps.cleaning import CLEANER_VERSION, clean_html, clean_text, forget  # noqa: E402
from workers.steps.cleaning.html import EXTRACT_OPTIONS  # noqa: E402

DEFAULT_BENCH = ROOT / ".." / "shared" / "benchmarks" / "article-extraction"
DEFAULT_CORPUS = ROOT / "bench" / "data" / "clean" / "corpus.jsonl"
_TOKEN = re.compile(r"\w+")
_WS = re.compile(r"\s+")


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} {platform.release()}"


def shingles(text: str, n: int = 4) -> Counter:
    toks = _TOKEN.findall(text or "")
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def page_pr(pred: str, truth: str) -> tuple[float, float]:
    p, t = shingles(pred), shingles(truth)
    tp, fp, fn = sum((p & t).values()), sum((p - t).values()), sum((t - p).values())
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    total = tp + fp + fn
    tp, fp, fn = tp / total, fp / total, fn / total
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def score(preds: dict, truth: dict) -> tuple[float, float, float, float]:
    ps, rs, exact = [], [], 0
    for k, item in truth.items():
        p, r = page_pr(preds.get(k, ""), item["articleBody"])
        ps.append(p)
        rs.append(r)
        exact += _TOKEN.findall(preds.get(k, "")) == _TOKEN.findall(item["articleBody"])
    P, R = statistics.fmean(ps), statistics.fmean(rs)
    return P, R, (2 * P * R / (P + R) if P + R else 0.0), exact / len(truth)


def bench_html(bench_dir: Path, verbose: bool) -> None:
    import trafilatura

    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    alone, ours = {}, {}
    t_alone = t_ours = 0.0
    for k, item in truth.items():
        html = gzip.open(bench_dir / "html" / f"{k}.html.gz").read().decode("utf-8", "replace")
        t0 = time.perf_counter()
        opts = {k2: v for k2, v in EXTRACT_OPTIONS.items() if k2 != "with_metadata"}
        alone[k] = trafilatura.extract(html, url=item["url"], **opts) or ""
        t1 = time.perf_counter()
        ours[k] = clean_html(html, url=item["url"], timeout_s=60).text
        t2 = time.perf_counter()
        t_alone += t1 - t0
        t_ours += t2 - t1
    print(f"\n[html] {bench_dir.resolve()} ({len(truth)} pages)")
    print(f"  {'':28} {'P':>7} {'R':>7} {'F1':>7} {'exact':>7} {'s/page':>8}")
    for name, preds, t in (("trafilatura alone", alone, t_alone), ("clean_html (ours)", ours, t_ours)):
        P, R, F, acc = score(preds, truth)
        print(f"  {name:28} {P:7.4f} {R:7.4f} {F:7.4f} {acc:7.3f} {t / len(truth):8.4f}")
    if verbose:
        rows = sorted((page_pr(ours[k], truth[k]["articleBody"]), k) for k in truth)
        for (p, r), k in rows[:15]:
            print(f"    P={p:.3f} R={r:.3f} {truth[k]['url'][:90]}")


def _norm(s: str) -> str:
    return _WS.sub(" ", s).strip()


def judge(doc: dict, output: str) -> tuple[int, int, int, int, list, list]:
    """(body lines, body kept, chrome lines, chrome leaked, lost body lines, leaked chrome lines)."""
    out = _norm(output)
    out_paras = {_norm(p) for p in output.split("\n\n")}
    body_lines = [_norm(l["text"]) for l in doc["lines"] if l["label"] == "body"]
    body_text = " \n ".join(body_lines)
    nb = kept = nc = leaked = 0
    lost, leaks = [], []
    for line in doc["lines"]:
        t = _norm(line["text"])
        if not t:
            continue
        if line["label"] == "body":
            nb += 1
            if t in out:
                kept += 1
            else:
                lost.append(t)
        else:
            if t in body_text:
                continue
            nc += 1
            if t in out_paras or (len(t.split()) >= 4 and t in out):
                leaked += 1
                leaks.append(t)
    return nb, kept, nc, leaked, lost, leaks


def bench_corpus(path: Path, verbose: bool) -> None:
    docs = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    totals: dict[str, list[int]] = {}
    lost_all, leak_all = [], []
    for doc in docs:
        if doc["format"] == "html":
            out = clean_html(doc["html"], timeout_s=30).text
        else:
            out = clean_text(doc["text"]).text
        nb, kept, nc, leaked, lost, leaks = judge(doc, out)
        for key in (doc["format"], "all"):
            t = totals.setdefault(key, [0, 0, 0, 0, 0])
            t[0] += nb
            t[1] += kept
            t[2] += nc
            t[3] += leaked
            t[4] += 1
        lost_all += [(doc["id"], x) for x in lost]
        leak_all += [(doc["id"], x) for x in leaks]
    print(f"\n[labelled corpus] {path} ({len(docs)} documents)")
    print(f"  {'':8} {'docs':>5} {'body lines':>11} {'recall':>8} {'chrome lines':>13} {'leak':>7}")
    for key in ("text", "html", "all"):
        if key in totals:
            nb, kept, nc, leaked, nd = totals[key]
            print(f"  {key:8} {nd:5d} {nb:11d} {kept / max(nb, 1):8.4f} {nc:13d} {leaked / max(nc, 1):7.4f}")
    if verbose:
        for doc_id, line in lost_all[:40]:
            print(f"    LOST  {doc_id}: {line[:110]}")
        for doc_id, line in leak_all[:60]:
            print(f"    LEAK  {doc_id}: {line[:110]}")


def five_kb(text: str) -> str:
    """``text`` repeated up to 5 KB and cut at a line end."""
    out = text
    while len(out.encode()) < 5120:
        out = out + "\n\n" + text
    cut = out.encode()[:5120].decode("utf-8", "ignore")
    return cut[: cut.rfind("\n")] if "\n" in cut else cut


def five_kb_documents(path: Path) -> list[str]:
    docs = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return [five_kb(d["text"]) for d in docs if d["format"] == "text"]


def calibration() -> float:
    """Microseconds for ``sum(range(100_000))``: compare machines by this, not only by name."""
    best = min(_timed(lambda: sum(range(100_000))) for _ in range(20))
    return best * 1e6


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _rate(docs: list[str], target: int = 3000) -> tuple[float, float, int]:
    for d in docs[:20]:
        clean_text(d)
    rounds = max(1, target // len(docs))
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        forget()  # each round as a fresh process: no line known from the round before
        for d in docs:
            clean_text(d)
    n = rounds * len(docs)
    return n / (time.perf_counter() - w0), n / (time.process_time() - c0), n


def _stream_rate(docs: list[tuple[str, str]], target: int = 3000) -> float:
    """CPU docs/s of cleaning as the service does for documents with a site: each cleaned with
    the site's lines learned online so far, and observed for the next ones (in memory here)."""
    from workers.steps.cleaning import SiteLearner

    rounds = max(1, target // len(docs))
    c0 = time.process_time()
    for _ in range(rounds):
        forget()
        learner = SiteLearner()
        for site, text in docs:
            cleaned = clean_text(text, site=site, learned=learner.lines(site), observe=True)
            learner.observe(site, cleaned.evidence)
    return rounds * len(docs) / (time.process_time() - c0)


def bench_speed(path: Path) -> None:
    seeds = [five_kb(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    dense = five_kb_documents(path)
    from bench.corpus import generate

    records = [d for d in generate(1000, seed=0) if "text" in d]
    generated = [d["text"] for d in records]
    print(f"\n[speed] clean_text on 5 KB raw-text documents, one process, one core "
          f"(calibration: sum(range(100000)) = {calibration():.0f} us)")
    for name, docs in (("seeds (articles, little chrome)", seeds), ("labelled corpus (~40% chrome lines)", dense),
                       ("bench/corpus.py (sites' chrome, as is)", generated)):
        wall, cpu, n = _rate(docs)
        avg = statistics.fmean(len(d.encode()) for d in docs)
        print(f"  {name:38} {n:5d} docs of {avg / 1024:.2f} KB: {wall:7,.0f} docs/s wall, {cpu:7,.0f} docs/s CPU time")
    plain = _rate(generated)[1]
    streamed = _stream_rate([(d["site"], d["text"]) for d in records])
    print(f"  bench/corpus.py, per site as a stream (learned lines + observing each page): {streamed:,.0f} docs/s CPU "
          f"against {plain:,.0f} page by page: {streamed / plain:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-dir", type=Path, default=Path(os.environ.get("CORPUS_EXTRACTION_BENCH", DEFAULT_BENCH)))
    ap.add_argument("--corpus", type=Path, default=Path(os.environ.get("CORPUS_CLEAN_CORPUS", DEFAULT_CORPUS)))
    ap.add_argument("--only", choices=["html", "corpus", "speed"])
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"cleaner: {CLEANER_VERSION}")
    if args.only in (None, "html"):
        bench_html(args.bench_dir, args.verbose)
    if args.only in (None, "corpus"):
        bench_corpus(args.corpus, args.verbose)
        heldout = args.corpus.with_name("heldout.jsonl")
        if heldout.exists() and heldout != args.corpus:
            bench_corpus(heldout, args.verbose)
    if args.only in (None, "speed"):
        bench_speed(args.corpus)


if __name__ == "__main__":
    main()
