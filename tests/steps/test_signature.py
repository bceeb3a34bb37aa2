"""workers.steps.signature: the numpy MinHash gives datasketch's hashvalues bit for bit.

Fingerprints already stored and indexed in Redis were made by datasketch; a signature that
differed in one value would split copies from their originals, so the equality is exact."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xxhash
from datasketch import MinHash

from workers.steps import dedup, signature

ROOT = Path(__file__).resolve().parents[2]
WORDS = ("the minister said on tuesday that talks would resume après la pause 東京 Москва "
         "naïve café — “quoted” it's 2026 rates rose 0.25 % κόσμε").split()


def reference(hashes, num_perm: int, seed: int) -> np.ndarray:
    """datasketch, as the pipeline used it before: affine32, the 32-bit values as their own hash."""
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=int)
    m.update_batch([int(h) for h in hashes])
    return m.hashvalues


def random_text(rng: random.Random) -> str:
    n = rng.choice([0, 1, 2, 4, 5, 6, 50, 300, 900, 2500])
    return " ".join(rng.choice(WORDS) for _ in range(n))


def shingles(text: str, k: int = 5) -> np.ndarray:
    words = text.split()
    grams = [" ".join(words[i:i + k]) for i in range(max(1, len(words) - k + 1))] if words else []
    return np.array(sorted({xxhash.xxh32_intdigest(g.encode()) for g in grams}), dtype=np.uint32)


@pytest.mark.parametrize("num_perm,seed", [(dedup.NUM_PERM, dedup.SEED), (dedup.LEAD_PERM, dedup.LEAD_SEED), (7, 42)])
def test_signature_equals_datasketch_on_random_texts(num_perm, seed):
    rng = random.Random(seed)
    for _ in range(60):
        hashes = shingles(random_text(rng))
        assert np.array_equal(signature.signature(hashes, num_perm, seed), reference(hashes, num_perm, seed))


def test_edge_cases_empty_one_value_extremes_duplicates_and_long_sets():
    rng = np.random.default_rng(3)
    cases = [np.empty(0, np.uint32), np.array([0], np.uint32), np.array([0xFFFFFFFF], np.uint32),
             np.array([5, 5, 5], np.uint32), rng.integers(0, 2**32, signature.CHUNK, dtype=np.uint32),
             rng.integers(0, 2**32, 3 * signature.CHUNK + 1, dtype=np.uint32)]
    for hashes in cases:
        got = signature.signature(hashes, dedup.NUM_PERM, dedup.SEED)
        assert got.dtype == np.uint32 and got.shape == (dedup.NUM_PERM,)
        assert np.array_equal(got, reference(hashes, dedup.NUM_PERM, dedup.SEED))
    assert np.array_equal(signature.signature(cases[0], 16, 1), np.full(16, 0xFFFFFFFF, np.uint32))


def test_permutations_are_datasketchs():
    for num_perm, seed in [(128, 1), (12, 1001), (3, 0)]:
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        got_a, got_b = signature.permutations(num_perm, seed)
        assert np.array_equal(got_a, a) and np.array_equal(got_b, b)


def test_fingerprints_have_datasketch_signatures_for_the_same_shingles():
    """dedup.fingerprint, on empty, one-shingle, unicode and long texts: its signature and lead
    sketch are datasketch's over the shingles dedup extracts."""
    rng = random.Random(7)
    texts = ["", "word", "one two three", "Ünïcödé “quotes” — dashes 東京 Москва", "\n\n  \t"]
    texts += [random_text(rng) for _ in range(40)]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))[:5]]
    for text in texts:
        fp = dedup.fingerprint(text)
        hashes, lead = dedup._shingle_hashes(dedup._tokens(dedup.shingle_text(text)))
        assert np.array_equal(fp.signature, reference(hashes, dedup.NUM_PERM, dedup.SEED)), text[:40]
        assert np.array_equal(fp.lead, reference(lead, dedup.LEAD_PERM, dedup.LEAD_SEED)), text[:40]


def test_workers_do_not_import_datasketch():
    """datasketch is the reference only: its import costs every worker process ~0.75 s."""
    code = "import sys, workers.pipeline; print('datasketch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
