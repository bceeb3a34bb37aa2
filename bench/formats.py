"""Parquet and JSON Lines round trips at 100,000 rows: time and peak RSS.

A round trip is what ``corpus ingest x.parquet`` then ``corpus export --format parquet``
do with the rows, without the store in between: read the file through the ingest reader
(``ingest.formats.documents``: one ``NewDocument`` a row), turn each document back into an
export record and write it through the export writer (``ingest.formats.export``, a row
group at a time). Each round trip runs in a fresh process, so its peak RSS (its ``VmHWM``)
is its own, interpreter and imports included; the output is read back and compared with the input (same
texts, same order). JSON Lines runs the same way, as the A/B.

    .venv/bin/python bench/formats.py [--rows 100000] [--text-bytes 2000]

Target (issue 25): the Parquet round trip of 100k rows at a peak RSS of at most 500 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, machine_info  # noqa: E402

WORDS = ("council tram line approved monday debate construction section spring harbour ferry storm repairs "
         "minister visit talks trade agreement signed capital delegation market closed points shares rose").split()


def make_rows(n: int, text_bytes: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(n):
        words, size = [], 0
        while size < text_bytes:
            word = rng.choice(WORDS)
            words.append(word)
            size += len(word) + 1
        yield {"id": i + 1, "text": f"Story {i}. " + " ".join(words), "url": f"https://bench.example/{i}",
               "title": f"Story {i}", "site": "bench.example", "lang": "en"}


def write_input(path: Path, fmt: str, rows: int, text_bytes: int) -> None:
    if fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as handle:
            for row in make_rows(rows, text_bytes):
                handle.write(json.dumps(row) + "\n")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    chunk: list[dict] = []
    for row in make_rows(rows, text_bytes):
        chunk.append(row)
        if len(chunk) == 10000:
            table = pa.Table.from_pylist(chunk)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            chunk = []
    if chunk:
        table = pa.Table.from_pylist(chunk)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def round_trip(source: str, target: str, fmt: str) -> None:
    """In the child: reader -> documents -> export records -> writer."""
    from ingest.formats import documents
    from ingest.formats import export

    with open(target, "wb") as handle:
        sink = export.writer(fmt, handle)
        n = 0
        for document in documents(Path(source)):
            n += 1
            hints = document.hints
            sink.write({"id": n, "title": hints.get("title"), "text": document.data.decode("utf-8"),
                        "source": document.source, "duplicates": [], "metadata": {"site": document.site,
                                                                                    **hints.get("metadata", {})},
                        "change_seq": n, "event": {"id": n, "size": 1}})
        sink.close()
    # VmHWM, not the parent's ru_maxrss of the child: on Linux that keeps the parent's peak
    # from before the exec (the parent has just generated the input).
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    print(int(hwm.split()[1]), flush=True)


def texts_digest(path: Path, fmt: str) -> tuple[int, str]:
    digest, n = hashlib.sha256(), 0
    if fmt == "jsonl":
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                digest.update(json.loads(line)["text"].encode())
                n += 1
    else:
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(columns=["text"], batch_size=10000):
            for text in batch.column(0).to_pylist():
                digest.update(text.encode())
                n += 1
    return n, digest.hexdigest()


def measure(fmt: str, rows: int, text_bytes: int, folder: Path) -> dict:
    source, target = folder / f"in.{fmt}", folder / f"out.{fmt}"
    write_input(source, fmt, rows, text_bytes)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", str(source), str(target), fmt],
                             stdout=subprocess.PIPE, text=True)
    peak_kb = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{fmt} round trip failed ({status})")
    n_in, digest_in = texts_digest(source, fmt)
    n_out, digest_out = texts_digest(target, fmt)
    return {"format": fmt, "rows": n_out, "same_texts": (n_in, digest_in) == (n_out, digest_out),
            "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(int(peak_kb) / 1024, 1),
            "input_mb": round(source.stat().st_size / 2**20, 1), "output_mb": round(target.stat().st_size / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--text-bytes", type=int, default=2000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        round_trip(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="corpus-bench-formats-") as tmp:
        results = [measure(fmt, args.rows, args.text_bytes, Path(tmp)) for fmt in ("parquet", "jsonl")]
    print(machine_info(machine()))
    print(f"{args.rows:,} rows of ~{args.text_bytes:,} bytes, read by the ingest reader and written by the export writer:")
    print(f"{'format':<8} {'same':>5} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'in MB':>7} {'out MB':>7}")
    for r in results:
        print(f"{r['format']:<8} {str(r['same_texts']):>5} {r['wall_s']:>8} {r['cpu_s']:>8} {r['peak_rss_mb']:>12} "
              f"{r['input_mb']:>7} {r['output_mb']:>7}")
    parquet, jsonl = results
    print(f"parquet / jsonl: CPU {parquet['cpu_s'] / jsonl['cpu_s']:.2f}x, peak RSS "
          f"{parquet['peak_rss_mb'] / jsonl['peak_rss_mb']:.2f}x; target peak RSS <= 500 MB: "
          f"{'met' if parquet['peak_rss_mb'] <= 500 else 'NOT met'}")
    print(json.dumps({"machine": machine(), "results": results}))


if __name__ == "__main__":
    main()
