"""workers.steps.dedup: normalisation, fingerprints, verdicts (pure, no Redis)."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.support import stories
from workers.steps import dedup
from workers.steps.dedup import Fingerprint, Match, band_keys, compare, fingerprint, normalise, text_hash

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def edited_copy(text: str, rng: random.Random) -> str:
    """Re-published copy: new headline, re-wrapped lines, a few substituted words, no chrome."""
    ps = paragraphs(text)
    ps[0] = "Exclusive: " + " ".join(reversed(ps[0].split()))
    body = []
    for p in ps[1:]:
        words = p.split()
        if len(words) > 20 and rng.random() < 0.3:
            words[rng.randrange(len(words))] = "reportedly"
        body.append(textwrap.fill(" ".join(words), 66))
    return ps[0] + "\n\n" + "\n\n".join(body)


def test_seeds_present():
    assert len(SEEDS) == 5


def test_normalise_folds():
    s = "\u201cHello\u201d  \u2014\u00a0\u2018World\u2019 \u2013 ok\u2011go \u00abx\u00bb \u201ey\u201c\n\tTHE ﬁnal"
    assert normalise(s) == "\"hello\" - 'world' - ok-go \"x\" \"y\" the final"
    assert normalise("  Stra\u00dfe\n\nK\u00d6LN  ") == "strasse köln"


def test_text_hash_is_exact_key():
    a = "Putin visits Bishkek.\n\nThe talks   lasted two days."
    assert text_hash(a) == text_hash("PUTIN visits Bishkek. The talks lasted\ntwo days.")
    assert text_hash(a) != text_hash(a + " More.")
    assert len(text_hash(a)) == 32 and int(text_hash(a), 16) >= 0


def test_fingerprint_shape_and_roundtrip():
    fp = fingerprint(SEEDS[0])
    assert fp.signature.dtype == np.uint32 and fp.signature.shape == (dedup.NUM_PERM,)
    assert fp.lead.dtype == np.uint32 and fp.lead.shape == (dedup.LEAD_PERM,)
    assert fp.length == len(SEEDS[0])
    assert fp.shingle_count > 1000
    b = fp.to_bytes()
    assert isinstance(b, bytes) and len(b) == dedup.FP_BYTES and b[0] != 0
    back = Fingerprint.from_bytes(b)
    assert back == fp and back.to_bytes() == b
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(b[:10])


def test_fingerprint_deterministic_across_processes():
    code = (
        "import sys; from workers.steps.dedup import fingerprint;"
        "sys.stdout.write(fingerprint(open(sys.argv[1], encoding='utf-8').read()).to_bytes().hex())"
    )
    path = sorted((ROOT / "seeds").glob("*.txt"))[1]
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert bytes.fromhex(out.stdout) == fingerprint(path.read_text(encoding="utf-8")).to_bytes()


def test_band_keys():
    fp = fingerprint(SEEDS[2])
    keys = band_keys(fp.signature)
    assert len(keys) == dedup.BANDS and all(isinstance(k, bytes) and len(k) == 8 for k in keys)
    assert keys == band_keys(fp.signature.copy())
    assert len(set(keys)) == dedup.BANDS
    assert len(dedup.index_keys(fp)) == dedup.BANDS + dedup.LEAD_BANDS


def test_seeds_are_pairwise_not_copies():
    fps = [fingerprint(s) for s in SEEDS]
    for a, b in itertools.combinations(fps, 2):
        assert compare(a, b) is None
        assert dedup.jaccard(a, b) < 0.1


def test_exact():
    a = fingerprint(SEEDS[3])
    b = fingerprint(SEEDS[3].upper().replace("\n\n", "\n \n"))
    assert compare(a, b) == Match("exact", 1.0)


@pytest.mark.parametrize("i", range(5))
def test_edited_copy_is_near(i):
    a = fingerprint(SEEDS[i])
    b = fingerprint(edited_copy(SEEDS[i], random.Random(i)))
    m = compare(a, b)
    assert m is not None and m.kind == "near", (m, dedup.jaccard(a, b))
    assert compare(b, a) == m  # symmetric


@pytest.mark.parametrize("i", [0, 3])
def test_first_paragraphs_are_contained(i):
    full = fingerprint(SEEDS[i])
    part = fingerprint("\n\n".join(paragraphs(SEEDS[i])[:3]))
    m = compare(part, full)
    assert m is not None and m.kind == "contained", (m, dedup.jaccard(part, full))
    assert compare(full, part) == m


def test_excerpt_with_continue_reading_is_contained():
    ps = paragraphs(SEEDS[1])
    excerpt = "\n\n".join(ps[:6]) + "\n\nContinue reading at www.example-news.com …"  # ~150 words
    m = compare(fingerprint(excerpt), fingerprint(SEEDS[1]))
    assert m is not None and m.kind == "contained"


def test_short_items_sharing_heavy_chrome_do_not_merge():
    fps = [fingerprint(page) for page in stories.short_items_under_one_chrome()]
    for a, b in itertools.combinations(fps, 2):
        assert compare(a, b) is None, dedup.jaccard(a, b)
    # a one-line item is "near" only if (almost) the whole text agrees
    a = fingerprint("Weather: sunny, 21C.")
    b = fingerprint("Weather: rain, 12C.")
    assert compare(a, b) is None


def test_empty_and_tiny_texts():
    e = fingerprint("")
    assert e.shingle_count == 0
    assert compare(e, fingerprint("")).kind == "exact"
    assert compare(e, fingerprint(SEEDS[0])) is None
    t = fingerprint("two words")
    assert t.shingle_count == 1
    assert compare(t, fingerprint("Two   WORDS")).kind == "exact"


def test_containment_formula():
    # A inside B, |A| = 100, |B| = 400: J = 100/400 = 0.25 -> C = 1
    assert dedup.containment(0.25, 100, 400) == pytest.approx(1.0)
    assert dedup.containment(0.0, 100, 400) == 0.0


def test_params():
    p = dedup.params()
    for k in ("shingle_size", "num_perm", "bands", "rows", "seed", "hash_name", "version"):
        assert k in p
    assert p["bands"] * p["rows"] <= p["num_perm"]
