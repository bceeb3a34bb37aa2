"""Redis LSH index shared by all workers: one atomic Lua script per insert+query.

Layout (all keys under ``prefix``; single-node Redis, the scripts compute key names):

``meta``        hash: ``params`` (JSON of :func:`workers.steps.dedup.params`), ``ndocs``, and the
                linear-hashing state of the bucket table ``L``, ``p``, ``nent``.
``r:<id//512>`` string of 512 fixed-size slots; slot ``id % 512`` holds the document's record =
                ``Fingerprint.to_bytes()`` (586 B) + uint32 insertion time (s). Byte 0 of a used
                slot is the fingerprint version (never 0); an unused slot is all zeros. A shard is
                allocated whole on first use by the client (SET NX of zeros, when the script answers
                "alloc"; SETRANGE on a growing string would over-allocate by up to 2x) and deleted
                when its last record is removed. Designed for the store's dense
                integer ids (< 2**32); sparse ids waste up to one shard per id.
``rc``          hash shard -> number of live records (to free empty shards).
``b:<n>``       bucket table: hashes of ``band key (8 B) -> packed uint32 doc ids``. The number of
                shards grows with the index by linear hashing (one shard of ~LOAD fields split at a
                time, inside the insert script), so every shard stays a small listpack-encoded
                hash (~16 B per bucket field) and the cost per lookup is flat from 10k to 1M docs.
``t:<day>``     packed uint32 ids inserted on that day (UTC day number); ``days`` zset of those days.
                Used by :meth:`LshIndex.expire_before`.

Memory measured by ``bench/scale.py`` (private redis-server, INFO used_memory delta, synthetic
fingerprints with 30% near copies): 1,305-1,320 B/doc at 10k (partly filled last shards),
1,240 B/doc at 100k, 1,238 B/doc at 1M: 590 B record slot + 36 bucket fields x ~16 B + shard keys.
Lookup cost does not depend on the index size: one record slot, 36 bucket fields in shards of
~48-96 fields, about one shard split (~50 fields moved) per insert.

Not Redis Cluster-ready: key names are computed inside the scripts (all keys share the prefix,
so a ``{hash tag}`` in the prefix would put them on one node).
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import redis

from workers.keys import glob_escape
from workers.steps import dedup
from workers.steps.dedup import Fingerprint, index_keys

SLOTS = 512  # records per record shard
LOAD = 48  # average bucket fields per bucket shard before a split (listpack limit is 128)
BUCKET_CAP = 256  # ids kept per bucket (see insert.lua)
TS_BYTES = 4
RECORD_BYTES = dedup.FP_BYTES + TS_BYTES
_MAX_ID = 2**32 - 1
_HERE = Path(__file__).resolve().parent


class ParamsMismatch(RuntimeError):
    """The index was built with different dedup parameters; reindex or fix the configuration."""


def _day(ts: float) -> int:
    return int(ts // 86400)


class LshIndex:
    def __init__(self, client: redis.Redis, prefix: str):
        self.r = client
        self.prefix = prefix
        self._insert = client.register_script((_HERE / "insert.lua").read_text())
        self._remove = client.register_script((_HERE / "remove.lua").read_text())

    # -- helpers -----------------------------------------------------------------------------
    def _k(self, name: str) -> str:
        return self.prefix + name

    @staticmethod
    def _check_id(doc_id: int) -> int:
        doc_id = int(doc_id)
        if not 0 <= doc_id <= _MAX_ID:
            raise ValueError(f"doc_id must be in [0, 2**32), got {doc_id}")
        return doc_id

    def _slot(self, doc_id: int) -> tuple[str, int]:
        return self._k(f"r:{doc_id // SLOTS}"), (doc_id % SLOTS) * RECORD_BYTES

    # -- API ---------------------------------------------------------------------------------
    def insert_and_query(self, doc_id: int, fp: Fingerprint, *, now: float | None = None) -> list[tuple[int, Fingerprint]]:
        """Store ``fp`` for ``doc_id``, add it to its buckets and return the other docs sharing a bucket.

        Atomic (one Lua script): of two docs sharing a bucket, the later insert always sees the
        earlier one. Idempotent: inserting the same (doc_id, fp) again changes nothing and returns
        the current candidates. Inserting a *different* fingerprint under an indexed doc_id replaces
        the old one (remove, then insert; not atomic as a pair).
        """
        doc_id = self._check_id(doc_id)
        ts = time.time() if now is None else now
        fpb = fp.to_bytes()
        rec = fpb + struct.pack("<I", int(ts) & 0xFFFFFFFF)
        keys = index_keys(fp)
        for _ in range(10):
            res = self._insert(
                args=[self.prefix, doc_id, rec, _day(ts), RECORD_BYTES, SLOTS, LOAD, BUCKET_CAP, *keys]
            )
            if res[0] == b"ok":
                it = iter(res[1:])
                return [(int(i), Fingerprint.from_bytes(r)) for i, r in zip(it, it)]
            if res[0] == b"alloc":
                self._alloc_shard(doc_id)
                continue
            # conflict: the id holds another fingerprint -> remove that one, then retry
            old = res[1][: dedup.FP_BYTES]
            self._remove_exact(doc_id, old)
        raise RuntimeError(f"could not insert doc {doc_id}: concurrent replacements")

    def _alloc_shard(self, doc_id: int) -> None:
        self.r.set(self._slot(doc_id)[0], bytes(SLOTS * RECORD_BYTES), nx=True)

    def insert_many(self, items, *, now: float | None = None) -> list[list[tuple[int, Fingerprint]]]:
        """Pipelined :meth:`insert_and_query` for bulk loads (reindex, benchmarks): one round trip
        per batch; each document is still its own atomic script, in the given order."""
        ts = time.time() if now is None else now
        items = [(self._check_id(d), fp) for d, fp in items]
        shards = sorted({d // SLOTS for d, _ in items})
        have = self.r.exists(*[self._k(f"r:{s}") for s in shards]) if shards else 0
        if have < len(shards):
            for s in shards:
                self._alloc_shard(s * SLOTS)
        pipe = self.r.pipeline(transaction=False)
        for doc_id, fp in items:
            rec = fp.to_bytes() + struct.pack("<I", int(ts) & 0xFFFFFFFF)
            self._insert(args=[self.prefix, doc_id, rec, _day(ts), RECORD_BYTES, SLOTS, LOAD, BUCKET_CAP, *index_keys(fp)],
                         client=pipe)
        out = []
        for (doc_id, fp), res in zip(items, pipe.execute()):
            if res[0] == b"ok":
                it = iter(res[1:])
                out.append([(int(i), Fingerprint.from_bytes(r)) for i, r in zip(it, it)])
            else:
                out.append(self.insert_and_query(doc_id, fp, now=ts))
        return out

    def _remove_exact(self, doc_id: int, fpb: bytes) -> int:
        keys = index_keys(Fingerprint.from_bytes(fpb))
        return int(self._remove(args=[self.prefix, doc_id, fpb, RECORD_BYTES, SLOTS, *keys]))

    def remove(self, doc_id: int) -> None:
        doc_id = self._check_id(doc_id)
        for _ in range(10):
            raw = self._get_raw(doc_id)
            if raw is None:
                return
            if self._remove_exact(doc_id, raw[: dedup.FP_BYTES]) >= 0:
                return
        raise RuntimeError(f"could not remove doc {doc_id}: concurrent replacements")

    def _get_raw(self, doc_id: int) -> bytes | None:
        key, off = self._slot(doc_id)
        raw = self.r.getrange(key, off, off + RECORD_BYTES - 1)
        if len(raw) != RECORD_BYTES or raw[0] == 0:
            return None
        return raw

    def get(self, doc_id: int) -> Fingerprint | None:
        raw = self._get_raw(self._check_id(doc_id))
        return None if raw is None else Fingerprint.from_bytes(raw)

    def inserted_at(self, doc_id: int) -> int | None:
        raw = self._get_raw(self._check_id(doc_id))
        return None if raw is None else struct.unpack_from("<I", raw, dedup.FP_BYTES)[0]

    def records(self) -> dict[int, bytes]:
        """Every record in the index: doc id -> fingerprint bytes (a full scan: ``corpus verify``)."""
        found: dict[int, bytes] = {}
        head = len(self.prefix.encode()) + 2
        for key in self.r.scan_iter(match=glob_escape(self.prefix) + "r:*", count=1000):
            name = key if isinstance(key, bytes) else key.encode()
            try:
                shard = int(name[head:])
            except ValueError:
                continue
            raw = self.r.get(key) or b""
            for slot in range(len(raw) // RECORD_BYTES):
                off = slot * RECORD_BYTES
                if raw[off] != 0:
                    found[shard * SLOTS + slot] = raw[off : off + dedup.FP_BYTES]
        return found

    def count(self) -> int:
        return int(self.r.hget(self._k("meta"), "ndocs") or 0)

    def clear(self) -> None:
        """Delete every key of this index (params included)."""
        pattern = glob_escape(self.prefix) + "*"
        batch = []
        for key in self.r.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                self.r.unlink(*batch)
                batch.clear()
        if batch:
            self.r.unlink(*batch)

    def ensure_params(self, params: dict | None = None) -> None:
        """Record ``params`` on first use; raise :class:`ParamsMismatch` if the index has others."""
        params = dedup.params() if params is None else params
        want = json.dumps(params, sort_keys=True)
        self.r.hsetnx(self._k("meta"), "params", want)
        have = self.r.hget(self._k("meta"), "params")
        have = have.decode() if isinstance(have, bytes) else have
        if have != want:
            raise ParamsMismatch(
                f"LSH index {self.prefix!r} was built with dedup params {have}, this worker has {want}; "
                "run `corpus reindex` (or point the worker at the matching configuration)"
            )

    def expire_before(self, ts: float, *, batch: int = 1000) -> int:
        """Remove documents inserted before ``ts`` (whole UTC days older than ts's day, and the
        records of ts's day inserted earlier). Returns how many were removed."""
        cut_day = _day(ts)
        removed = 0
        days = self.r.zrangebyscore(self._k("days"), "-inf", cut_day)
        for d in days:
            d = int(d)
            tkey = self._k(f"t:{d}")
            raw = self.r.get(tkey) or b""
            ids = struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4])
            keep = []
            for doc_id in ids:
                rec = self._get_raw(doc_id)
                if rec is None:
                    continue
                ins = struct.unpack_from("<I", rec, dedup.FP_BYTES)[0]
                if ins < ts:
                    if self._remove_exact(doc_id, rec[: dedup.FP_BYTES]) == 1:
                        removed += 1
                else:
                    keep.append(doc_id)
            # a day list with survivors stays as it is (removed ids are skipped next time);
            # rewriting it could drop ids appended concurrently
            if not keep and d < cut_day:
                self.r.delete(tkey)
                self.r.zrem(self._k("days"), d)
        return removed

    def stats(self) -> dict:
        m = self.r.hgetall(self._k("meta"))
        return {k.decode(): (v.decode() if k != b"params" else json.loads(v)) for k, v in m.items()}

