"""MinHash signatures in bulk with numpy, bit for bit those of ``datasketch.MinHash``.

``datasketch`` (scheme ``affine32``) stays the reference: a signature here equals
``MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=int)`` updated with the same
32-bit shingle hashes (``tests/steps/test_signature.py`` checks it on random texts). What it
does per value ``h`` and permutation ``k``: the 32-bit MurmurHash3 finaliser once
(``fmix32``), then ``a_k * fmix32(h) + b_k`` modulo 2^32 (uint32 wrap-around), the minimum over
the values; an empty set keeps every slot at 2^32 - 1. The permutation parameters are
datasketch's own draw: ``numpy.random.RandomState(seed)``, ``a`` odd in [1, 2^32), then ``b``.

Why not datasketch itself: ``update_batch`` takes a Python list (``tolist()`` and one
``hashfunc`` call per value), builds an n x num_perm matrix and reduces it, and its import
costs ~0.75 s per process. Here the values stay a uint32 array, the matrix is one row per
permutation (reduced along its contiguous axis), built in chunks of at most ``CHUNK`` values. Measured
by ``bench/throughput.py`` (the signature stage alone, 128 + 12 permutations, on the cleaned
texts of its corpora, next to datasketch on the same shingles): see the README's MinHash row.

Pure: numpy only, no datasketch import on the worker's path.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MAX_HASH = np.uint32(0xFFFFFFFF)
# Values per chunk of the (permutations x values) matrix, which bounds its memory for a long
# text (128 x 2048 uint32 = 1 MiB); a 5 KB article (~900 shingles) is one chunk. Rows per
# permutation, reduced along the contiguous axis, measured 12.4-12.6k docs/CPU-s against
# 10.2-10.7k for the (values x permutations) layout at chunks of 256-4096 (900 random values,
# 128 + 12 permutations, while another benchmark ran on the second core).
CHUNK = 2048

_M1 = np.uint32(0x85EBCA6B)
_M2 = np.uint32(0xC2B2AE35)


@lru_cache(maxsize=None)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), uint32[num_perm] each: datasketch's affine32 draw for ``seed``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser on a uint32 array (a new array)."""
    h = np.array(values, dtype=np.uint32)  # copy: the caller's array is left alone
    h ^= h >> np.uint32(16)
    h *= _M1
    h ^= h >> np.uint32(13)
    h *= _M2
    h ^= h >> np.uint32(16)
    return h


def empty(num_perm: int) -> np.ndarray:
    """The signature of the empty set (datasketch's initial hash values)."""
    return np.full(num_perm, MAX_HASH, dtype=np.uint32)


def signature(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """uint32[num_perm] MinHash of the 32-bit values ``hashes`` (any order, duplicates allowed)."""
    a, b = _columns(num_perm, seed)
    h = fmix32(np.asarray(hashes).ravel())
    out = empty(num_perm)
    for start in range(0, len(h), CHUNK):
        m = a * h[start:start + CHUNK]  # (num_perm, chunk): each row one permutation
        m += b
        np.minimum(out, m.min(axis=1), out=out)
    return out


@lru_cache(maxsize=None)
def _columns(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = permutations(num_perm, seed)
    return a[:, None].copy(), b[:, None].copy()
