"""The labelled corpus (``bench/data/clean``): body-line recall and chrome-line leak targets.

``corpus.jsonl`` is what the rules were tuned on; ``heldout.jsonl`` uses other sites and a second,
disjoint set of chrome wordings. Both are rebuilt by ``bench/data/clean/build_corpus.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from workers.steps.cleaning import clean_html, clean_text

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data" / "clean"

_spec = importlib.util.spec_from_file_location("bench_clean", ROOT / "bench" / "clean.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["corpus.jsonl", "heldout.jsonl"])
def test_body_recall_and_chrome_leak_meet_targets(name: str) -> None:
    docs = [json.loads(l) for l in (DATA / name).read_text(encoding="utf-8").splitlines() if l.strip()]
    assert len(docs) > 40 and any(d["format"] == "html" for d in docs)
    nb = kept = nc = leaked = 0
    for doc in docs:
        out = clean_html(doc["html"], timeout_s=30).text if doc["format"] == "html" else clean_text(doc["text"]).text
        b, k, c, l, _, _ = bench.judge(doc, out)
        nb, kept, nc, leaked = nb + b, kept + k, nc + c, leaked + l
    assert kept / nb >= 0.99, f"body-line recall {kept / nb:.4f}"
    assert leaked / nc <= 0.02, f"chrome-line leak {leaked / nc:.4f}"


def test_judge_counts_lost_body_and_leaked_chrome() -> None:
    doc = {"lines": [{"text": "A body line that is long enough.", "label": "body"},
                     {"text": "Share this article", "label": "chrome"},
                     {"text": "Another body line here.", "label": "body"}]}
    assert bench.judge(doc, "A body line that is long enough.\n\nShare this article")[:4] == (2, 1, 1, 1)
    assert bench.judge(doc, "A body line that is long enough.\n\nAnother body line here.")[:4] == (2, 2, 1, 0)
