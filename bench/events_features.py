"""What the event rule's feature extraction (``workers.steps.events.features``: the keys of
title and lead) costs per document, against another revision of the rule, side by side.

    .venv/bin/python bench/events_features.py                    # this tree against HEAD
    .venv/bin/python bench/events_features.py --against main --rounds 8

Documents: ``bench.corpus.generate`` (seed 3: news-like originals, copies, same-event stories,
briefs), title + text as the pipeline passes them. Each side first extracts the features of
``--warmup`` other documents, as a running worker has (its per-process word memo filled), then
the two sides alternate, A B A B, over the same documents; reported: process time per
document of each round, the median of each side and their ratio, and whether the two sides
give the same features (they must, unless the rule's ``VERSION`` differs). The share of a
worker's CPU is ``bench/events.py`` (pipeline): this one isolates the step.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_info  # noqa: E402

RULE = "workers/steps/events.py"


def load_revision(revision: str):
    """``workers/steps/events.py`` as it is in ``revision``, imported as a module of its own."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{RULE}"], check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="events-rule-")) / "events_rule_b.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("events_rule_b", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def per_document(rule, docs: list[dict]) -> float:
    started = time.process_time()
    for d in docs:
        rule.features(d.get("title"), d["text"], at=0.0, site=d.get("site"))
    return (time.process_time() - started) / len(docs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="HEAD", help="git revision of the rule to compare with (B)")
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    from bench.corpus import generate
    from workers.steps import events as rule_a

    print(machine_info(), flush=True)
    rule_b = load_revision(args.against)
    docs = [d for d in generate(args.documents + args.warmup, seed=3) if "text" in d]
    warm, docs = docs[:args.warmup], docs[args.warmup:]
    sides = {"A (this tree)": rule_a, f"B ({args.against})": rule_b}
    for rule in sides.values():
        rule.reference()
        per_document(rule, warm)
    def described(rule, d):
        f = rule.features(d.get("title"), d["text"], at=0.0, site=d.get("site"))
        return f.keys, f.labels, f.total

    same = all(described(rule_a, d) == described(rule_b, d) for d in docs)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for n in range(args.rounds):
        for name, rule in sides.items():
            times[name].append(per_document(rule, docs))
        print(f"round {n + 1}: " + "  ".join(f"{name} {t[-1] * 1e6:.1f} us/doc" for name, t in times.items()), flush=True)
    medians = {name: statistics.median(t) for name, t in times.items()}
    a, b = medians.values()
    print(f"{len(docs)} documents, median us/doc: " + ", ".join(f"{k} {v * 1e6:.1f}" for k, v in medians.items())
          + f"; A/B {a / b:.3f}; same features: {same}")


if __name__ == "__main__":
    main()
