"""The shortcuts that make cleaning cheap give the answers of the long way round: a line folded
by the byte path folds as the definition says, and a line classified once per zone is classified
as it would be at any position of that zone."""

from __future__ import annotations

import json
import random
from pathlib import Path

from workers.steps.cleaning import forget
from workers.steps.cleaning.normalise import fold, fold_reference
from workers.steps.cleaning.rules import _cascade, classify_paragraph

ROOT = Path(__file__).resolve().parents[2]


def _labelled_lines() -> list[str]:
    lines = []
    for name in ("clean/corpus.jsonl", "sites/dev.jsonl"):
        for row in (ROOT / "bench" / "data" / name).read_text(encoding="utf-8").splitlines():
            if row.strip():
                lines += [line["text"] for line in json.loads(row)["lines"]]
    return lines


def test_fast_fold_is_the_reference_fold() -> None:
    rnd = random.Random(7)
    tricky = list("’‘“”—–…«»·•\u00a0[](){}<>【】「」0123456789_ aZ.,-'\"Ёё")
    made = ["".join(rnd.choice([chr(rnd.randint(0, 0x7F)), rnd.choice(tricky), chr(rnd.randint(0, 0x3000))])
                    for _ in range(rnd.randint(0, 50))) for _ in range(5000)]
    examples = ["Comments (14)", "Updated 09:05, 3 March 2026", "“Quoted” — dash… and «guillemets» · dots",
                "snake_case and U.S. and 2,500 docs/CPU-s", "Statement: [top/vote] buttons", "Подпишитесь на наш канал!"]
    for text in examples + _labelled_lines() + made:
        assert fold(text) == fold_reference(text), text
    assert fold("“Comments” (14) — 2026") == "comments 0"


def test_a_line_is_classified_alike_anywhere_in_its_zone() -> None:
    """The families cut positions at 0.5, 0.6 and 0.7 only; a remembered verdict holds for
    every position of its zone (what lets a site's chrome be a look-up from its second page)."""
    positions = [0.0, 0.3, 0.49, 0.5, 0.55, 0.6, 0.61, 0.65, 0.7, 0.71, 0.8, 1.0]
    for text in _labelled_lines()[:3000]:
        line = " ".join(text.split())
        if not line:
            continue
        for p in positions:
            assert classify_paragraph(line, p) == _cascade(line, p), (line, p)
    forget()
