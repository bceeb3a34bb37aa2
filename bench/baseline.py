"""The hand-written script corpus is compared with: one process, one loop, results in a dict.

    .venv/bin/python bench/baseline.py DIR [DIR...] [--json] [--threshold 0.6] [--num-perm 128]

For every .txt/.html (optionally .gz) file under DIR, in name order: read it; HTML through
``trafilatura.extract`` (its defaults), text as is; a datasketch ``MinHash`` fed with
``update_batch`` over the lower-cased word 5-grams; ``MinHashLSH.query`` for earlier copies, then
``insert``; the verdict (duplicate of which file, or new) in a dict. Nothing is persisted, nothing
survives a crash, no chrome is removed from text. This is what ``bench/throughput.py`` times as a
whole process (interpreter start and imports included) next to ``corpus ingest --wait``.

Prints documents/s and the seconds spent per stage inside the loop; ``--json`` prints one JSON
object instead.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

T_START = time.perf_counter()

import trafilatura  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

T_IMPORTED = time.perf_counter()

SUFFIXES = (".txt", ".md", ".html", ".htm")


def files(paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs.sort()
                found += [os.path.join(root, n) for n in sorted(names) if n.removesuffix(".gz").endswith(SUFFIXES)]
        else:
            found.append(path)
    return found


def minhash_of(text: str, *, num_perm: int = 128, shingle: int = 5, hashfunc=None) -> tuple[list[str], MinHash]:
    """The script's fingerprint: lower-cased word ``shingle``-grams, one ``update_batch``."""
    words = text.lower().split()
    shingles = {" ".join(words[i:i + shingle]).encode("utf-8") for i in range(max(1, len(words) - shingle + 1))}
    m = MinHash(num_perm=num_perm, **({"hashfunc": hashfunc} if hashfunc else {}))
    m.update_batch(list(shingles))
    return words, m


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--threshold", type=float, default=0.6, help="MinHashLSH threshold (corpus's near threshold)")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--shingle", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="one JSON object on standard output")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=a.threshold, num_perm=a.num_perm)
    results: dict[str, dict] = {}
    stage = {"read": 0.0, "extract": 0.0, "minhash": 0.0, "lsh": 0.0}
    empty = 0
    names = files(a.paths)
    for name in names:
        t = time.perf_counter()
        with open(name, "rb") as f:
            data = f.read()
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        text = data.decode("utf-8", errors="replace")
        t1 = time.perf_counter()
        if name.removesuffix(".gz").endswith((".html", ".htm")):
            text = trafilatura.extract(text) or ""
        t2 = time.perf_counter()
        words, m = minhash_of(text, num_perm=a.num_perm, shingle=a.shingle)
        t3 = time.perf_counter()
        if not words:
            empty += 1
            results[name] = {"duplicate_of": None, "empty": True}
        else:
            matches = lsh.query(m)
            results[name] = {"duplicate_of": min(matches) if matches else None}
            lsh.insert(name, m)
        t4 = time.perf_counter()
        stage["read"] += t1 - t
        stage["extract"] += t2 - t1
        stage["minhash"] += t3 - t2
        stage["lsh"] += t4 - t3
    loop = time.perf_counter() - t0
    n = len(names)
    dups = sum(1 for r in results.values() if r["duplicate_of"])
    out = {
        "docs": n, "duplicates": dups, "empty": empty, "loop_s": loop,
        "import_s": T_IMPORTED - T_START,
        "docs_per_s_loop": n / loop if loop else 0.0,
        "ms_per_doc": {k: 1000 * v / n for k, v in stage.items()} if n else {},
    }
    if a.json:
        print(json.dumps(out))
    else:
        print(f"baseline: {n} docs, {dups} duplicates, {empty} empty; loop {loop:.2f}s = {out['docs_per_s_loop']:.0f} docs/s "
              f"(imports {out['import_s']:.2f}s)")
        print("  ms/doc: " + "  ".join(f"{k} {v:.2f}" for k, v in out["ms_per_doc"].items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
