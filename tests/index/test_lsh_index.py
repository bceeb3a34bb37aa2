"""workers.index.lsh against a real Redis (127.0.0.1:6379, or a private redis-server)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import redis

from workers.steps import dedup
from workers.steps.dedup import Fingerprint, compare, fingerprint
from workers.index.lsh import LshIndex, ParamsMismatch

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]


# --- fixtures (to move to conftest) --------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_client():
    port = int(os.environ.get("CORPUS_TEST_REDIS_PORT", "6379"))  # set to a dead port to test the fallback
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        client.ping()
        yield client
        return
    except redis.exceptions.ConnectionError:
        pass
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("no Redis at 127.0.0.1:6379 and no redis-server binary")
    tmp = tempfile.mkdtemp(prefix="corpus-test-redis-")
    sock = str(Path(tmp) / "redis.sock")
    proc = subprocess.Popen([exe, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=sock)
    for _ in range(100):
        try:
            client.ping()
            break
        except (redis.exceptions.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    try:
        yield client
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(params=["redis", "cluster"])
def index(request):
    """The index on one Redis, and spread over a 3-master Redis Cluster: every test runs on both."""
    if request.param == "redis":
        client = request.getfixturevalue("redis_client")
    else:
        client = request.getfixturevalue("redis_cluster").client()
    ix = LshIndex(client, f"test-{uuid.uuid4().hex}:")
    ix.ensure_params(dedup.params())
    try:
        yield ix
    finally:
        ix.clear()
        assert not list(client.scan_iter(match=ix.prefix + "*"))


# --- helpers -------------------------------------------------------------------------------------
def synthetic_fp(rng: np.random.Generator, base: np.ndarray | None = None, keep: float = 1.0) -> Fingerprint:
    sig = rng.integers(0, 2**32, dedup.NUM_PERM, dtype=np.uint64).astype(np.uint32)
    lead = rng.integers(0, 2**32, dedup.LEAD_PERM, dtype=np.uint64).astype(np.uint32)
    if base is not None:
        mask = rng.random(dedup.NUM_PERM) < keep
        sig[mask] = base[mask]
    th = bytes(rng.integers(0, 256, 16, dtype=np.uint8)).hex()
    return Fingerprint(th, 5000, 800, sig, lead)


def bucket_fields(ix: LshIndex) -> int:
    return sum(ix.r.hlen(k) for k in ix.r.scan_iter(match=ix.prefix + "*b:*"))


class UF:
    def __init__(self):
        self.p = {}

    def find(self, x):
        self.p.setdefault(x, x)
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.p[max(a, b)] = min(a, b)


# --- tests ---------------------------------------------------------------------------------------
def test_insert_query_get_remove(index):
    fps = [fingerprint(s) for s in SEEDS]
    for i, fp in enumerate(fps):
        assert index.insert_and_query(i, fp) == []  # five different stories: no shared bucket
    assert index.count() == 5
    assert index.get(3) == fps[3] and index.get(99) is None
    copy = fingerprint(SEEDS[2].replace("Kyrgyzstan", "Kyrgyz Republic", 2))
    cands = index.insert_and_query(10, copy)
    assert [i for i, _ in cands] == [2] and cands[0][1] == fps[2]
    assert compare(copy, cands[0][1]).kind == "near"
    index.remove(10)
    assert index.count() == 5 and index.get(10) is None
    assert [i for i, _ in index.insert_and_query(11, copy)] == [2]
    index.remove(12345)  # absent: no-op


def test_excerpt_found_by_lead_buckets(index):
    for i in (0, 3):
        paras = [p for p in SEEDS[i].split("\n") if p.strip()]
        index.insert_and_query(i, fingerprint(SEEDS[i]))
        ex = fingerprint("\n\n".join(paras[:3]))
        cands = dict(index.insert_and_query(100 + i, ex))
        assert i in cands and compare(ex, cands[i]).kind == "contained"


def test_idempotent_reinsert(index):
    fps = [fingerprint(SEEDS[0]), fingerprint(SEEDS[0] + "\nUpdated at 10:00."), fingerprint(SEEDS[1])]
    index.insert_and_query(1, fps[0])
    first = index.insert_and_query(2, fps[1])
    state = (index.count(), bucket_fields(index), index.stats())
    again = index.insert_and_query(2, fps[1], now=time.time() + 5)
    assert [i for i, _ in again] == [i for i, _ in first] == [1]
    assert (index.count(), bucket_fields(index), index.stats()) == state
    # the same id with a different fingerprint replaces the old one
    index.insert_and_query(2, fps[2])
    assert index.get(2) == fps[2] and index.count() == 2
    assert [i for i, _ in index.insert_and_query(3, fps[0])] == [1]  # 2 no longer in 0's buckets


def test_insert_many_matches_single_inserts(index):
    fps = [fingerprint(s) for s in SEEDS]
    copies = [fingerprint(s + "\n\nUpdated.") for s in SEEDS]
    res = index.insert_many(list(enumerate(fps)) + [(10 + i, c) for i, c in enumerate(copies)])
    assert res[:5] == [[]] * 5
    assert [[i for i, _ in r] for r in res[5:]] == [[i] for i in range(5)]
    assert index.count() == 10
    assert index.insert_many([(10, copies[0])])[0][0][0] == 0  # idempotent in bulk too


def test_params_mismatch(index):
    index.ensure_params(dedup.params())  # same: fine, repeatedly
    other = dict(dedup.params(), bands=dedup.BANDS * 2)
    with pytest.raises(ParamsMismatch):
        index.ensure_params(other)
    with pytest.raises(ParamsMismatch):
        LshIndex(index.r, index.prefix).ensure_params(other)


def test_bad_ids(index):
    fp = fingerprint(SEEDS[0])
    with pytest.raises(ValueError):
        index.insert_and_query(-1, fp)
    with pytest.raises(ValueError):
        index.insert_and_query(2**32, fp)


def test_linear_hashing_splits_keep_every_bucket_reachable(index):
    rng = np.random.default_rng(7)
    n = 1500
    fps = [synthetic_fp(rng) for _ in range(n)]
    for i, fp in enumerate(fps):
        assert index.insert_and_query(i, fp) == []
    st = index.stats()
    assert int(st["L"]) >= 2  # the bucket table grew (from one shard per group)
    assert int(st["nent"]) == bucket_fields(index) == n * (dedup.BANDS + dedup.LEAD_BANDS)
    for k in index.r.scan_iter(match=index.prefix + "*b:*"):
        assert index.r.object("encoding", k) == b"listpack"
    # copies of every 10th doc find it, whatever shard its buckets moved to
    for i in range(0, n, 10):
        cands = index.insert_and_query(n + i, synthetic_fp(rng, fps[i].signature, keep=0.9))
        assert i in [c for c, _ in cands]
    # removing releases bucket fields and record shards
    for i in range(n):
        index.remove(i)
        index.remove(n + i)
    assert index.count() == 0 and bucket_fields(index) == 0
    assert not list(index.r.scan_iter(match=index.prefix + "*r:*"))


def test_expire_before(index):
    day = 86400
    t0 = 1_700_000_000
    fps = [fingerprint(s) for s in SEEDS]
    index.insert_and_query(1, fps[0], now=t0)
    index.insert_and_query(2, fps[1], now=t0 + 10)
    index.insert_and_query(3, fps[2], now=t0 + 3 * day)
    assert index.inserted_at(1) == t0
    assert index.expire_before(t0 + day) == 2
    assert index.get(1) is None and index.get(2) is None and index.get(3) == fps[2]
    assert index.count() == 1
    assert index.insert_and_query(4, fps[0], now=t0 + 4 * day) == []  # expired doc no longer a candidate


@pytest.mark.parametrize("workers", [8])
def test_concurrent_copies_form_one_cluster_per_story(index, workers):
    """8 threads insert copies of the same story at once (bursts): every insert sees all earlier
    ones, so union-find over the returned, verified candidates gives exactly one cluster per story."""
    rng = random.Random(3)
    stories = []
    base_rng = np.random.default_rng(11)
    for s in range(40):
        if s < 5:
            text = SEEDS[s]
            variants = [text] + [text.replace(".", " .", k + 1) + f"\n\nCopy {k}" for k in range(workers - 1)]
            stories.append([fingerprint(v) for v in variants])
        else:
            base = synthetic_fp(base_rng)
            stories.append([base] + [Fingerprint(base.text_hash, base.length, base.shingle_count, base.signature, base.lead)
                                     if k % 3 == 0 else synthetic_fp(base_rng, base.signature, keep=0.85) for k in range(workers - 1)])
    indexes = [LshIndex(index.r, index.prefix) for _ in range(workers)]  # thread-safe clients
    results: dict[int, list[int]] = {}
    owner: dict[int, int] = {}
    next_id = iter(range(1, 10**6))
    plan = []
    for s, variants in enumerate(stories):
        ids = [next(next_id) for _ in variants]
        for d in ids:
            owner[d] = s
        plan.append(list(zip(ids, variants)))
    barrier = threading.Barrier(workers)
    errors = []

    def run(w):
        try:
            for burst in plan:
                doc_id, fp = burst[w]
                barrier.wait()
                results[doc_id] = [c for c, other in indexes[w].insert_and_query(doc_id, fp) if compare(fp, other)]
        except Exception as e:  # pragma: no cover - surfaced below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    uf = UF()
    for d in owner:
        uf.find(d)
    for d, cands in results.items():
        for c in cands:
            assert owner[c] == owner[d]
            uf.union(d, c)
    clusters = {}
    for d, s in owner.items():
        clusters.setdefault(uf.find(d), set()).add(s)
    assert len(clusters) == len(stories)
    assert all(len(v) == 1 for v in clusters.values())
    # stronger: within a burst of copies sharing every bucket, of any two copies at least one
    # saw the other (each band is atomic on its own; which one is "later" may differ per band)
    for burst in plan[5:]:
        ids = [d for d, _ in burst]
        for a in ids:
            for b in ids:
                if a < b:
                    assert a in results[b] or b in results[a], (a, b)


def test_bulk_inserts_split_first_and_keep_every_shard_compact(index):
    """A reindex inserts thousands of documents per call: the table makes room before each
    call's band keys land, so no shard outgrows the compact listpack encoding."""
    rng = np.random.default_rng(13)
    fps = [synthetic_fp(rng) for _ in range(3000)]
    assert all(found == [] for found in index.insert_many(list(enumerate(fps))))
    assert int(index.stats()["nent"]) == bucket_fields(index) == 3000 * (dedup.BANDS + dedup.LEAD_BANDS)
    encodings = {index.r.object("encoding", k) for k in index.r.scan_iter(match=index.prefix + "*b:*")}
    assert encodings == {b"listpack"}
    copies = [(5000 + i, synthetic_fp(rng, fps[i].signature, keep=0.9)) for i in range(0, 3000, 50)]
    for (doc_id, _), found in zip(copies, index.insert_many(copies)):
        assert doc_id - 5000 in [c for c, _ in found]


def test_an_index_of_the_older_single_script_layout_is_refused(index):
    index.r.hset(index.prefix + "meta", "L", 4)  # what main's index kept beside its params
    with pytest.raises(ParamsMismatch, match="reindex"):
        LshIndex(index.r, index.prefix).ensure_params(dedup.params())


def test_one_round_trip_on_one_redis_finds_what_the_three_step_path_finds(redis_client):
    """On one Redis a batch is inserted in one round trip: the same candidates, with their
    records, as the three-step path a cluster takes, across record-shard allocations (every
    512 ids), near copies inside a batch and of earlier batches, and a replaced fingerprint."""
    rng = np.random.default_rng(17)
    one, three = (LshIndex(redis_client, f"test-{uuid.uuid4().hex}:", one_trip=trip) for trip in (True, False))
    try:
        for ix in (one, three):
            ix.ensure_params(dedup.params())
        stories = [synthetic_fp(rng) for _ in range(40)]
        for start in range(0, 1200, 16):
            batch = [(doc_id, synthetic_fp(rng, stories[int(rng.integers(40))].signature, keep=0.9))
                     for doc_id in range(start, start + 16)]
            if start == 640:
                batch[3] = (5, batch[3][1])  # an id that holds another fingerprint: replaced
            got, expected = one.insert_many(batch), three.insert_many(batch)
            assert [[(c, fp.to_bytes()) for c, fp in found] for found in got] == \
                   [[(c, fp.to_bytes()) for c, fp in found] for found in expected]
        assert one.count() == three.count() and one.get(5) == three.get(5)
        assert sum(len(found) for found in got) > 0
    finally:
        for ix in (one, three):
            ix.clear()
