"""What stream cleaning costs over page-by-page cleaning, in instructions (a script, not a test).

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.MODE .venv/bin/python bench/clean_stream_cost.py MODE 400
    grep summary /tmp/cg.MODE     # MODE: none (setup only), plain (page by page), stream

CPU seconds on a shared, overloaded machine move by 30 % between two runs of the same code;
instructions counted by callgrind do not, so the stream's extra cost (learned lines looked up,
each page observed and folded into an in-memory learner) is compared by them: (stream - none)
against (plain - none), per document. The documents are ``bench/corpus.py``'s first text
documents (``CORPUS_BENCH_GROUND_TRUTH`` as for ``bench/clean.py``), cleaned once from a cold
process (``forget()``), after one warm-up document.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import generate  # noqa: E402
from workers.steps.cleaning import SiteLearner, clean_text, forget  # noqa: E402


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 400
    docs = [(d["site"], d["text"]) for d in generate(1000, seed=0) if "text" in d][:n]
    clean_text(docs[0][1])
    forget()
    learner = SiteLearner()
    if mode == "stream":
        for site, text in docs:
            cleaned = clean_text(text, site=site, learned=learner.lines(site), observe=True)
            learner.observe(site, cleaned.evidence)
    elif mode == "plain":
        for _, text in docs:
            clean_text(text)
    elif mode != "none":
        raise SystemExit(f"unknown mode {mode!r}: none, plain or stream")


if __name__ == "__main__":
    main()
