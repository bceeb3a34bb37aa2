"""Duplicate detection primitives: normalisation, MinHash fingerprints, LSH band keys, pairwise verdicts.

Pure functions, no I/O. Everything that has to agree between workers (tokeniser, shingle size,
permutations, band layout) is summarised by :func:`params`; the LSH index refuses to mix
fingerprints made with different parameters.

Pipeline per document: ``fp = fingerprint(clean_text)`` -> ``index.insert_and_query(doc_id, fp)``
-> ``compare(fp, other)`` for every candidate -> verified matches become edges.

How the parameters were chosen -- ``bench/dedup.py`` on the labelled corpus of ``bench/corpus.py``
(4,000 docs seed 0 and 10,000 docs seed 1; outputs in ``bench/data/dedup/``), cleaning as the
pipeline does (HTML through trafilatura, text with residual chrome):

* ``SHINGLE_SIZE = 5`` word shingles: different stories, including the same-event hard negatives
  (shared names, one shared quoted statement), stay at estimated J <= 0.17; light edits (new
  headline, trimmed paragraph, substituted words, other site's residual chrome) leave copies at
  J 0.34-1.0 (p1 0.49-0.55).
* ``NUM_PERM = 128`` (datasketch affine32 scheme, uint32 values): standard error of the Jaccard
  estimate sqrt(J(1-J)/128) <= 0.044; 512 of the ~590 bytes of a record.
* ``BANDS = 32, ROWS = 2`` (first 64 permutations): candidate probability 1-(1-J^2)^32 is > 0.9999
  for every near copy (J >= 0.34). Measured candidate recall of true near pairs 1.0000 (16x4: 0.985,
  21x3: 0.999); false-candidate rate 5.5e-5 per random pair. Rows 2 rather than 3-4 because the
  bucket entries cost ~16 B each (32 bands = ~550 B/doc of Redis) and rows 3-4 need more bands for
  the same recall.
* Lead sketch (``LEAD_*``): full-text bands find only 74-82% of excerpts (J 0.05-0.4), 64x2 only
  87-93% at twice the memory; 4 lead bands of 3 rows on a 12-value MinHash of the first 50
  shingles raise excerpt candidate recall to 0.996-1.000 for 64 more bytes per doc.
* ``NEAR_THRESHOLD = 0.6``: sweep 0.4..0.9 -> 0.4 merges different stories (precision 0.96-0.99),
  0.7+ loses recall (0.98 -> 0.86 at 0.9); 0.6 gave precision 1.0000 / recall 0.9971-1.0000.
* ``CONTAINED_THRESHOLD = 0.8`` (+ the lead rule at 0.5 for a text <= 0.6x the other's size with
  the same opening): excerpt recall 0.942-0.961, no merges. Lower containment bars or a looser
  lead rule merged short items of a heavy-chrome site.
* ``MIN_TOKENS = 150`` / ``SHORT_NEAR_THRESHOLD = 0.9``: short items sharing heavy boilerplate
  reached J 0.46-0.61 (test: four 17-word items inside 60 words of chrome: J 0.61), so below 150
  shingles only J >= 0.9 is near and containment needs the lead rule plus C >= 0.8.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xxhash

from workers.steps import signature as minhash

from workers.steps.shingle_text import unbreak

# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
VERSION = 1  # bump when tokenisation / hashing / record layout changes: forces a reindex
SHINGLE_SIZE = 5
NUM_PERM = 128
BANDS = 32
ROWS = 2
SEED = 1
# Lead sketch: a small MinHash of the first LEAD_SHINGLES shingles (headline + opening), indexed
# in LEAD_BANDS extra buckets. Excerpts ("first paragraphs + continue reading at ...") share
# the opening almost verbatim but only 10-30% of the article, which the full-text bands catch
# poorly (J~0.1-0.3).
LEAD_SHINGLES = 50
LEAD_PERM = 12
LEAD_BANDS = 4
LEAD_ROWS = 3
LEAD_SEED = 1001
SCHEME = "affine32"
HASH_NAME = "xxh64(token)+poly64(shingle)->datasketch.affine32"

# A pair is "near" when the estimated Jaccard of the 5-shingle sets is at least this.
NEAR_THRESHOLD = 0.6
# A shorter text is "contained" in a longer one when this share of its shingles is estimated
# to be inside the longer one ...
CONTAINED_THRESHOLD = 0.8
# ... and it is at most this fraction of the longer one's size (otherwise it is a near copy or
# nothing); containment estimates are noisy for tiny sets, hence the minimum size.
CONTAINED_MAX_SIZE_RATIO = 0.9
CONTAINED_MIN_SHINGLES = 40
# Short texts: with < MIN_TOKENS shingles, shared boilerplate can dominate the sets, so only
# (almost) identical texts are near (SHORT_NEAR_THRESHOLD); containment only for an excerpt
# (same opening, clearly smaller) with containment >= CONTAINED_THRESHOLD.
MIN_TOKENS = 150
# Excerpt rule: same opening (lead sketch agreement) + a lower containment bar.
LEAD_THRESHOLD = 0.9
LEAD_CONTAINED_THRESHOLD = 0.5
LEAD_MAX_SIZE_RATIO = 0.6  # ... and only for a clearly smaller text (an excerpt, not a sibling item)
SHORT_NEAR_THRESHOLD = 0.9

_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)

# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------
_FOLDS = (
    ("\u201c", '"'), ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'), ("\u00ab", '"'), ("\u00bb", '"'),
    ("\u2018", "'"), ("\u2019", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u2039", "'"), ("\u203a", "'"),
    # NFKC turns U+2011 (non-breaking hyphen) into U+2010, so fold that too
    ("\u2010", "-"), ("\u2011", "-"), ("\u2012", "-"), ("\u2013", "-"), ("\u2014", "-"), ("\u2015", "-"),
    ("\u2212", "-"),
)
# ASCII punctuation becomes a token separator (bytes.translate: C speed). Non-ASCII bytes are
# left alone so that Cyrillic, CJK, accented words stay whole tokens.
_PUNCT = b"!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~"
_SEP_TABLE = bytes(b if b not in _PUNCT else 0x20 for b in range(256))


def normalise(text: str) -> str:
    """NFKC, casefold, typographic quotes/dashes folded to ASCII, whitespace runs -> one space."""
    if text.isascii():  # NFKC and the folds are the identity on ASCII
        t = text.lower()
    else:
        t = unicodedata.normalize("NFKC", text).casefold()
        for a, b in _FOLDS:  # str.replace per char beat one regex pass with a callback (measured)
            if a in t:
                t = t.replace(a, b)
    return " ".join(t.split())


def shingle_text(text: str) -> str:
    """What is shingled: ``normalise`` after words broken across lines are rejoined
    (``workers.steps.shingle_text``), so a hard-wrapped copy has the unwrapped copy's set."""
    return normalise(unbreak(text))


def shingle_sequence(text: str) -> np.ndarray:
    """The 32-bit shingle hashes of a clean text in text order (repeats kept): its distinct
    values are the set the signature estimates. For the exact check of
    ``workers.steps.verification``."""
    return _ordered_hashes(_tokens(shingle_text(text)))


def text_hash(text: str) -> str:
    """Exact-duplicate key: 128-bit xxh3 of the normalised text, hex."""
    return xxhash.xxh3_128_hexdigest(normalise(text).encode("utf-8"))


def _tokens(norm: str) -> list[bytes]:
    return norm.encode("utf-8").translate(_SEP_TABLE).split()


def _ordered_hashes(tokens: list[bytes]) -> np.ndarray:
    """32-bit hashes of the word SHINGLE_SIZE-grams in text order. xxh64 per token,
    polynomial mix per shingle."""
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    th = np.fromiter(map(xxhash.xxh64_intdigest, tokens), dtype=np.uint64, count=len(tokens))
    k = min(SHINGLE_SIZE, len(th))  # fewer tokens than k: the whole text is one shingle
    n = len(th) - k + 1
    with np.errstate(over="ignore"):
        s = th[:n].copy()
        for j in range(1, k):
            s *= _SHINGLE_MULT
            s += th[j : j + n]
        s ^= s >> np.uint64(29)
        s *= _SHINGLE_MULT
        s ^= s >> np.uint64(32)
    return s.astype(np.uint32)


def _shingle_hashes(tokens: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(distinct 32-bit hashes of the word SHINGLE_SIZE-grams, the first LEAD_SHINGLES in text
    order)."""
    ordered = _ordered_hashes(tokens)
    if not len(ordered):
        return ordered, ordered
    lead = ordered[:LEAD_SHINGLES].copy()
    out = ordered
    out.sort()
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out, lead


# datasketch's affine32 parameters (a, b), drawn without importing it (workers.steps.signature)
_PERMUTATIONS = np.array(minhash.permutations(NUM_PERM, SEED))
_LEAD_PERMUTATIONS = np.array(minhash.permutations(LEAD_PERM, LEAD_SEED))


# --------------------------------------------------------------------------------------------
# Fingerprint
# --------------------------------------------------------------------------------------------
_HEADER = struct.Struct("<BB16sII")  # version, layout, text_hash (16 raw bytes), length, shingles
FP_BYTES = _HEADER.size + 4 * NUM_PERM + 4 * LEAD_PERM  # 26 + 512 + 48 = 586


@dataclass(frozen=True, eq=False)
class Fingerprint:
    text_hash: str
    length: int  # characters of the clean text
    shingle_count: int  # distinct shingles
    signature: np.ndarray  # uint32[NUM_PERM]
    lead: np.ndarray  # uint32[LEAD_PERM], MinHash of the opening LEAD_SHINGLES shingles

    def to_bytes(self) -> bytes:
        """Fixed-size little-endian layout (FP_BYTES bytes); byte 0 is the version, never 0."""
        sig = np.ascontiguousarray(self.signature, dtype="<u4")
        lead = np.ascontiguousarray(self.lead, dtype="<u4")
        if sig.shape != (NUM_PERM,) or lead.shape != (LEAD_PERM,):
            raise ValueError(f"signature/lead must have {NUM_PERM}/{LEAD_PERM} values, got {sig.shape}/{lead.shape}")
        head = _HEADER.pack(VERSION, 1, bytes.fromhex(self.text_hash), self.length, self.shingle_count)
        return head + sig.tobytes() + lead.tobytes()

    @classmethod
    def from_bytes(cls, b: bytes) -> "Fingerprint":
        if len(b) < FP_BYTES:
            raise ValueError(f"fingerprint record too short: {len(b)} < {FP_BYTES}")
        version, _layout, th, length, count = _HEADER.unpack_from(b)
        if version != VERSION:
            raise ValueError(f"fingerprint version {version}, expected {VERSION}")
        sig = np.frombuffer(b, dtype="<u4", count=NUM_PERM, offset=_HEADER.size).astype(np.uint32)
        lead = np.frombuffer(b, dtype="<u4", count=LEAD_PERM, offset=_HEADER.size + 4 * NUM_PERM).astype(np.uint32)
        return cls(th.hex(), length, count, sig, lead)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fingerprint):
            return NotImplemented
        return (
            self.text_hash == other.text_hash
            and self.length == other.length
            and self.shingle_count == other.shingle_count
            and np.array_equal(self.signature, other.signature)
            and np.array_equal(self.lead, other.lead)
        )

    def __hash__(self) -> int:
        return hash((self.text_hash, self.length, self.shingle_count))


def body_size(record: bytes | None) -> int:
    """Distinct body shingles of a stored fingerprint record (header only, no arrays): how much
    body a copy carries, for choosing the canonical. Tokens, not characters or lines, so that
    wrapping, hyphenation and whitespace never count; distinct 5-shingles (= tokens - 4 for a
    text without repeated 5-word runs) so a chrome line repeated on a page does not either."""
    if not record:
        return 0
    return _HEADER.unpack_from(record)[4]


def fingerprint(text: str) -> Fingerprint:
    norm = normalise(text)
    unbroken = unbreak(text)
    hashes, lead_hashes = _shingle_hashes(_tokens(norm if unbroken is text else normalise(unbroken)))
    # datasketch's affine32 signatures, bit for bit, in numpy (empty set: every value 2^32-1)
    sig = minhash.signature(hashes, NUM_PERM, SEED)
    lead = minhash.signature(lead_hashes, LEAD_PERM, LEAD_SEED)
    return Fingerprint(
        text_hash=xxhash.xxh3_128_hexdigest(norm.encode("utf-8")),
        length=len(text),
        shingle_count=int(len(hashes)),
        signature=sig,
        lead=lead,
    )


def band_keys(signature: np.ndarray) -> list[bytes]:
    """BANDS 8-byte keys; band i digests values [i*ROWS, (i+1)*ROWS) with seed i (bands never collide)."""
    sig = np.ascontiguousarray(signature, dtype="<u4")
    raw = sig.tobytes()
    w = 4 * ROWS
    return [xxhash.xxh64_digest(raw[i * w : (i + 1) * w], seed=i) for i in range(BANDS)]


def lead_keys(lead: np.ndarray) -> list[bytes]:
    """LEAD_BANDS 8-byte keys of the lead sketch (seeds BANDS.., so they never equal a band key)."""
    raw = np.ascontiguousarray(lead, dtype="<u4").tobytes()
    w = 4 * LEAD_ROWS
    return [xxhash.xxh64_digest(raw[i * w : (i + 1) * w], seed=BANDS + i) for i in range(LEAD_BANDS)]


def index_keys(fp: "Fingerprint") -> list[bytes]:
    """All bucket keys of a fingerprint in the LSH index: band keys, then lead keys."""
    return band_keys(fp.signature) + lead_keys(fp.lead)


# --------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    kind: Literal["exact", "near", "contained"]
    similarity: float  # 1.0 for exact, estimated Jaccard for near, estimated containment for contained


def jaccard(a: Fingerprint, b: Fingerprint) -> float:
    return float(np.count_nonzero(a.signature == b.signature)) / NUM_PERM


def lead_jaccard(a: Fingerprint, b: Fingerprint) -> float:
    return float(np.count_nonzero(a.lead == b.lead)) / LEAD_PERM


def containment(j: float, n_small: int, n_large: int) -> float:
    """Share of the smaller set inside the larger, from Jaccard and the two set sizes."""
    if n_small <= 0:
        return 0.0
    return min(1.0, j * (n_small + n_large) / ((1.0 + j) * n_small))


def compare(a: Fingerprint, b: Fingerprint) -> Match | None:
    """Verdict for a candidate pair (symmetric): exact, near, contained, or None."""
    if a.text_hash == b.text_hash:
        return Match("exact", 1.0)
    return classify(jaccard(a, b), a.shingle_count, b.shingle_count, lead_jaccard(a, b))


def classify(
    j: float,
    na: int,
    nb: int,
    lead_j: float = 0.0,
    *,
    near_threshold: float = NEAR_THRESHOLD,
    contained_threshold: float = CONTAINED_THRESHOLD,
    min_tokens: int = MIN_TOKENS,
    short_near_threshold: float = SHORT_NEAR_THRESHOLD,
    lead_threshold: float = LEAD_THRESHOLD,
    lead_contained_threshold: float = LEAD_CONTAINED_THRESHOLD,
) -> Match | None:
    """compare() minus the exact check, from the estimated Jaccard and the two shingle-set sizes
    (thresholds overridable for the benchmark sweeps)."""
    if na <= 0 or nb <= 0:
        return None
    small, large = (na, nb) if na <= nb else (nb, na)
    short = small < min_tokens
    if j >= (short_near_threshold if short else near_threshold):
        return Match("near", j)
    if small >= CONTAINED_MIN_SHINGLES and small <= CONTAINED_MAX_SIZE_RATIO * large and j > 0:
        c = containment(j, small, large)
        same_lead = lead_j >= lead_threshold and small <= LEAD_MAX_SIZE_RATIO * large
        if short:
            # short texts: only an excerpt (same opening) that lies almost wholly inside
            if same_lead and c >= contained_threshold:
                return Match("contained", c)
        elif c >= contained_threshold or (same_lead and c >= lead_contained_threshold):
            return Match("contained", c)
    return None


def params() -> dict:
    """What every worker sharing an index must agree on (stored with the index)."""
    return {
        "version": VERSION,
        "shingle_size": SHINGLE_SIZE,
        "num_perm": NUM_PERM,
        "bands": BANDS,
        "rows": ROWS,
        "seed": SEED,
        "scheme": SCHEME,
        "hash_name": HASH_NAME,
        "tokenizer": "unbreak-nfkc-casefold-asciipunct-split",
        "lead": [LEAD_SHINGLES, LEAD_PERM, LEAD_BANDS, LEAD_ROWS, LEAD_SEED],
    }
