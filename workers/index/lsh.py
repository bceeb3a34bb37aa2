"""Redis LSH index shared by all workers, on one Redis or spread over a Redis Cluster.

Every Lua script touches the keys of one hash slot only, all declared in KEYS, so the same
code runs on a single node and on a cluster (``CORPUS_INDEX_URL``). The index is cut into
``GROUPS`` groups on a cluster (one on a plain Redis), each a hash tag ``{g}`` (so a cluster
spreads the groups over its masters):

``meta``              hash: ``params`` (JSON of :func:`workers.steps.dedup.params`) and ``layout``.
``{g}r:<s>``          record shard ``s`` (of group ``s % GROUPS``): a string of 512 fixed-size slots;
                      slot ``id % 512`` of shard ``id // 512`` holds the document's record =
                      ``Fingerprint.to_bytes()`` (586 B) + uint32 insertion time (s). Byte 0 of a
                      used slot is the fingerprint version (never 0); an unused slot is all zeros.
                      Allocated whole on first use by the client (SET NX of zeros) and deleted when
                      its last record is removed. Designed for the store's dense integer ids
                      (< 2**32); sparse ids waste up to one shard per id.
``{g}rc``             hash: record shard -> live records, ``n`` -> records of the group.
``{g}t:<day>``        packed uint32 ids of the group inserted on that UTC day; ``{g}days`` zset of
                      those days (:meth:`LshIndex.expire_before`).
``{g}m``              hash: the linear-hashing state ``L``, ``p``, ``nent`` of the group's buckets.
``{g}b:<a>``          bucket shards of group ``g = h % GROUPS`` (``h``: a band key's first 4 bytes,
                      little-endian): hashes of ``band key (8 B) -> packed uint32 doc ids``, addressed
                      by ``h // GROUPS`` and grown by linear hashing (one shard of ~LOAD fields split at
                      a time, inside the insert script), so every shard stays a small listpack hash.

An insert is three round trips, each a pipeline (one script per group touched): the records
(``record.lua``), then every band key's bucket insert-and-query (``insert.lua``, all of a
batch's documents that fall in one group in one call, in order), then the candidates' records.
On one Redis (one group) the three are one round trip: ``_ONE_TRIP`` runs the same two
scripts as functions, then reads the candidates' records; a batch that needs a record shard
allocated, replaces a fingerprint or meets a concurrent split takes the three-step path.
Records go first, so an id found in a bucket always has its record. Each band key's insert
and query is one script on the one slot that holds that band: of two documents sharing a
band, the later insert sees the earlier, wherever the other bands of either live and
whichever node the two workers talk to (see the README, "The index on a Redis Cluster").

Memory and speed measured by ``bench/scale.py`` (README, Benchmarks).
"""

from __future__ import annotations

import json
import struct
import time
from collections import defaultdict

from workers.index.scripts import Script, as_function, is_cluster, pipeline, run
from workers.keys import glob_escape
from workers.steps import dedup
from workers.steps.dedup import Fingerprint, index_keys

SLOTS = 512  # records per record shard
LOAD = 48  # average bucket fields per bucket shard before a split (listpack limit is 128)
BUCKET_CAP = 256  # ids kept per bucket (see insert.lua)
# Hash tags the index is cut into on a Redis Cluster. A batch of 16 documents has 576 band
# keys, which fall in ~127 of 128 groups: one script call each (a call per group, not per band
# key). More groups would spread over more masters but cost more calls per batch; 128 groups
# place ~43 +- 6 on each of 3 masters and stay fair up to ~30 masters. On one Redis the groups
# buy nothing and cost calls (bench/scale.py --cluster: 128 groups ran at 0.3x the old
# one-script-per-document rate there), so a plain Redis has one group.
GROUPS = 128
TS_BYTES = 4
RECORD_BYTES = dedup.FP_BYTES + TS_BYTES
_MAX_ID = 2**32 - 1
_ROUNDS = 20  # retries of a group whose state moved (a concurrent split) before giving up
# Splits one insert call may make first: room for 64 documents' band keys in one group of an
# empty table (64 x 36 / LOAD = 48); insert_many sends at most CALL_DOCS documents per call.
_MAX_SPLITS = 64
CALL_DOCS = 64


# One Redis only (its GETRANGEs read record shards not in KEYS, which a cluster refuses): record.lua
# then insert.lua, then the records of the candidates insert.lua found. ARGV: 1 record.lua's
# KEYS count, 2 its ARGV count, 3 record shard name less its number, 4 record bytes, 5 records per
# shard, 6 documents, then record.lua's ARGV, then insert.lua's; KEYS: record.lua's, insert.lua's.
# Returns {0} when a record needs the client (an allocation or a conflict: nothing else is done),
# else {1, insert.lua's reply, candidate ids, their records}.
_ONE_TRIP = as_function("record.lua", "record") + as_function("insert.lua", "insert") + """
local nk, na = tonumber(ARGV[1]), tonumber(ARGV[2])
local shards, RS, SLOTS, ndocs = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function slice(t, a, b)
  local o = {}
  for i = a, b do o[#o + 1] = t[i] end
  return o
end
local rec = record(slice(KEYS, 1, nk), slice(ARGV, 7, 6 + na))
for i = 1, #rec, 2 do
  if rec[i] ~= 'new' and rec[i] ~= 'same' then return {0} end
end
local ins = insert(slice(KEYS, nk + 1, #KEYS), slice(ARGV, 7 + na, #ARGV))
local want, seen, records = {}, {}, {}
local at = 5
for _ = 1, ndocs do
  local n = tonumber(ins[at])
  for j = at + 1, at + n do
    local c = tonumber(ins[j])
    if not seen[c] then
      seen[c] = true
      want[#want + 1] = c
      local off = (c % SLOTS) * RS
      records[#records + 1] = redis.call('GETRANGE', shards .. math.floor(c / SLOTS), off, off + RS - 1)
    end
  end
  at = at + 2 + n
end
return {1, ins, want, records}
"""


class ParamsMismatch(RuntimeError):
    """The index was built with different dedup parameters; reindex or fix the configuration."""


def _day(ts: float) -> int:
    return int(ts // 86400)


def _h(band_key: bytes) -> int:
    return struct.unpack_from("<I", band_key)[0]


class LshIndex:
    def __init__(self, client, prefix: str, *, one_trip: bool = True):
        """``one_trip``: a batch in one round trip on one Redis (``_insert_one_trip``); False
        takes the three-step path a cluster takes, for the side-by-side in
        ``bench/scale.py --single``."""
        self.r = client
        self.prefix = prefix
        self.one_trip = one_trip
        self._record = Script("record.lua")
        self._unrecord = Script("unrecord.lua")
        self._insert = Script("insert.lua")
        self._remove = Script("remove.lua")
        self._one_trip = Script("one_trip", _ONE_TRIP)
        self._state: dict[int, tuple[int, int, int]] = {}  # group -> (L, p, nent) as last seen
        self.groups = GROUPS if is_cluster(client) else 1
        self.layout = f"groups={self.groups};slots={SLOTS};v2"

    # -- key names ---------------------------------------------------------------------------
    def _k(self, name: str) -> str:
        return self.prefix + name

    def _g(self, group: int, name: str) -> str:
        return f"{self.prefix}{{{group}}}{name}"

    @staticmethod
    def _check_id(doc_id: int) -> int:
        doc_id = int(doc_id)
        if not 0 <= doc_id <= _MAX_ID:
            raise ValueError(f"doc_id must be in [0, 2**32), got {doc_id}")
        return doc_id

    def _slot(self, doc_id: int) -> tuple[str, int]:
        shard = doc_id // SLOTS
        return self._g(shard % self.groups, f"r:{shard}"), (doc_id % SLOTS) * RECORD_BYTES

    def _address(self, group: int, h: int, state: tuple[int, int, int]) -> str:
        L, p, _ = state
        hh = h // self.groups
        a = hh % (1 << L)
        if a < p:
            a = hh % (1 << (L + 1))
        return self._g(group, f"b:{a}")

    # -- running scripts ---------------------------------------------------------------------
    def _pipeline(self):
        return pipeline(self.r)

    def _run(self, calls: list[tuple[Script, list, list]]) -> list:
        """Every call writes: on a cluster, each master waits for its replica (scripts.run)."""
        return run(self.r, calls, wait=True)

    # -- API ---------------------------------------------------------------------------------
    def insert_and_query(self, doc_id: int, fp: Fingerprint, *, now: float | None = None) -> list[tuple[int, Fingerprint]]:
        """Store ``fp`` for ``doc_id``, add it to its buckets and return the other docs sharing a bucket.

        Each band's insert and query is atomic (one script on the slot of that band): of two docs
        sharing a bucket, the later insert always sees the earlier one. Idempotent: inserting the
        same (doc_id, fp) again changes nothing (it restores bucket entries that went missing) and
        returns the current candidates. Inserting a *different* fingerprint under an indexed doc_id
        replaces the old one (remove, then insert; not atomic as a pair).
        """
        return self.insert_many([(doc_id, fp)], now=now)[0]

    def insert_many(self, items, *, now: float | None = None) -> list[list[tuple[int, Fingerprint]]]:
        """:meth:`insert_and_query` for a batch, in three pipelined round trips; each band key's
        insert+query is still atomic, in the given order, so a later document of the batch sees
        the earlier ones as candidates."""
        ts = time.time() if now is None else now
        items = [(self._check_id(d), fp) for d, fp in items]
        if len(items) > CALL_DOCS:  # in order: a later chunk sees the earlier ones
            return [found for start in range(0, len(items), CALL_DOCS)
                    for found in self.insert_many(items[start : start + CALL_DOCS], now=ts)]
        if not items:
            return []
        if self.one_trip and self.groups == 1 and not is_cluster(self.r):
            done = self._insert_one_trip(items, ts)
            if done is not None:
                return done
        for _ in range(10):
            conflicts = self._write_records(items, ts)
            if not conflicts:
                break
            for doc_id, old in conflicts:
                self._remove_exact(doc_id, old[: dedup.FP_BYTES])
        else:
            raise RuntimeError("could not insert: concurrent replacements")
        found = self._buckets(items)
        return self._fetch(items, found)

    def _insert_one_trip(self, items, ts: float) -> list[list[tuple[int, Fingerprint]]] | None:
        """:meth:`insert_many` in one round trip on one Redis; ``None`` when the batch needs the
        three-step path (what ``_ONE_TRIP`` leaves to it: a record shard to allocate, an id that
        holds another fingerprint, band keys handed back by a concurrent split). That path
        starts over: what this call wrote is written again as it is (idempotent)."""
        stamp = struct.pack("<I", int(ts) & 0xFFFFFFFF)
        rkeys, rargs = self._record_call(0, [(d, fp.to_bytes() + stamp) for d, fp in items], _day(ts))
        groups = self._by_group(items)
        [(_, ikeys, iargs)] = self._plan(groups, splits=True)
        reply = run(self.r, [(self._one_trip, [*rkeys, *ikeys],
                              [len(rkeys), len(rargs), self._g(0, "r:"), RECORD_BYTES, SLOTS, len(groups[0]),
                               *rargs, *iargs])])[0]
        if int(reply[0]) == 0:
            return None
        ins, wanted, raws = reply[1], reply[2], reply[3]
        found: dict[int, set[int]] = {d: set() for d, _ in items}
        at = 4
        for doc_id, _ in groups[0]:
            n = int(ins[at])
            found[doc_id].update(int(x) for x in ins[at + 1 : at + 1 + n])
            if ins[at + 1 + n]:
                return None  # a concurrent split moved some band keys: readdressed by the three-step path
            at += 2 + n
        self._state[0] = (int(ins[1]), int(ins[2]), int(ins[3]))
        records = {int(c): Fingerprint.from_bytes(raw) for c, raw in zip(wanted, raws)
                   if len(raw) == RECORD_BYTES and raw[0] != 0}
        return [[(c, records[c]) for c in sorted(found[d] - {d}) if c in records] for d, _ in items]

    def _record_call(self, group: int, docs, day: int) -> tuple[list, list]:
        """record.lua's KEYS and ARGV for ``docs`` ((id, record) of one group)."""
        shards = sorted({d // SLOTS for d, _ in docs})
        keys = [self._g(group, "rc"), self._g(group, "days"), self._g(group, f"t:{day}"),
                *[self._g(group, f"r:{s}") for s in shards]]
        where = {s: 4 + i for i, s in enumerate(shards)}
        args: list = [RECORD_BYTES, day]
        for doc_id, rec in docs:
            s = doc_id // SLOTS
            args += [doc_id, s, where[s], (doc_id % SLOTS) * RECORD_BYTES, rec]
        return keys, args

    def _write_records(self, items, ts: float) -> list[tuple[int, bytes]]:
        """Write every record (allocating missing shards); returns (id, stored record) of the ids
        that hold another fingerprint (nothing written for them)."""
        day = _day(ts)
        stamp = struct.pack("<I", int(ts) & 0xFFFFFFFF)
        pending = [(d, fp.to_bytes() + stamp) for d, fp in items]
        conflicts = []
        for _ in range(5):
            by_group: dict[int, list] = defaultdict(list)
            for doc_id, rec in pending:
                by_group[(doc_id // SLOTS) % self.groups].append((doc_id, rec))
            calls, order = [], []
            for group, docs in by_group.items():
                keys, args = self._record_call(group, docs, day)
                calls.append((self._record, keys, args))
                order.append(docs)
            alloc = []
            for docs, reply in zip(order, self._run(calls)):
                for (doc_id, rec), code, stored in zip(docs, reply[0::2], reply[1::2]):
                    if code == b"alloc":
                        alloc.append((doc_id, rec))
                    elif code == b"conflict":
                        conflicts.append((doc_id, stored))
            if not alloc:
                return conflicts
            pipe = self._pipeline()
            for key in sorted({self._slot(d)[0] for d, _ in alloc}):
                pipe.set(key, bytes(SLOTS * RECORD_BYTES), nx=True)
            pipe.execute()
            pending = alloc
        raise RuntimeError("could not allocate record shards")

    def _plan(self, groups: dict[int, list], *, splits: bool) -> list[tuple[int, list, list]]:
        """One call per group: (group, keys, args) for insert.lua (``splits``: first the splits
        that make room for the call's band keys, then the keys addressed after them) or remove.lua."""
        plans = []
        for group, docs in groups.items():
            state = self._state.get(group, (0, 0, 0))
            keys = [self._g(group, "m")]
            L, p, nent = state
            allowed = 0
            if splits:
                grown = nent + sum(len(bks) for _, bks in docs)  # at most every band key is a new field
                while grown > LOAD * ((1 << L) + p) and allowed < _MAX_SPLITS:
                    keys += [self._g(group, f"b:{p}"), self._g(group, f"b:{p + (1 << L)}")]
                    allowed += 1
                    p += 1
                    if p == 1 << L:
                        L, p = L + 1, 0
            after = (L, p, nent)
            index: dict[str, int] = {}
            body: list = []
            for doc_id, bks in docs:
                where = []
                for bk in bks:
                    key = self._address(group, _h(bk), after)
                    at = index.get(key)
                    if at is None:
                        keys.append(key)
                        at = index[key] = len(keys)
                    where.append(at)
                body += [doc_id, b"".join(bks), struct.pack(f"<{len(where)}H", *where)]
            shards = self._g(group, "b:")
            if splits:
                args = [state[0], state[1], LOAD, BUCKET_CAP, 2, allowed, self.groups, shards, *body]
            else:
                args = [state[0], state[1], self.groups, shards, *body]
            plans.append((group, keys, args))
        return plans

    def _by_group(self, items) -> dict[int, list]:
        groups: dict[int, list] = defaultdict(list)
        for doc_id, fp in items:
            mine: dict[int, list] = defaultdict(list)
            for bk in index_keys(fp):
                mine[_h(bk) % self.groups].append(bk)
            for group, bks in mine.items():
                groups[group].append((doc_id, bks))
        return groups

    def _buckets(self, items) -> dict[int, set[int]]:
        """Insert every band key into its bucket; returns doc id -> other members found. Band
        keys addressed by a group state that moved on (another worker's splits) come back and
        go again, readdressed: only those, so many workers on one group still get through."""
        found: dict[int, set[int]] = {d: set() for d, _ in items}
        groups = self._by_group(items)
        for _ in range(_ROUNDS):
            plans = self._plan(groups, splits=True)
            replies = self._run([(self._insert, keys, args) for _, keys, args in plans])
            again: dict[int, list] = {}
            for (group, _, _), reply in zip(plans, replies):
                self._state[group] = (int(reply[1]), int(reply[2]), int(reply[3]))
                at = 4
                for doc_id, _ in groups[group]:
                    n = int(reply[at])
                    found[doc_id].update(int(x) for x in reply[at + 1 : at + 1 + n])
                    missed = reply[at + 1 + n]
                    at += 2 + n
                    if missed:
                        again.setdefault(group, []).append(
                            (doc_id, [missed[j : j + 8] for j in range(0, len(missed), 8)]))
            if not again:
                for doc_id, others in found.items():
                    others.discard(doc_id)
                return found
            groups = again
        raise RuntimeError("could not insert: bucket groups kept splitting under us")

    def _fetch(self, items, found: dict[int, set[int]]) -> list[list[tuple[int, Fingerprint]]]:
        """The records of the candidates (an id whose record is gone was removed: skipped)."""
        wanted = sorted({c for others in found.values() for c in others})
        records: dict[int, Fingerprint] = {}
        if wanted:
            pipe = self._pipeline()
            for c in wanted:
                key, off = self._slot(c)
                pipe.getrange(key, off, off + RECORD_BYTES - 1)
            for c, raw in zip(wanted, pipe.execute()):
                if len(raw) == RECORD_BYTES and raw[0] != 0:
                    records[c] = Fingerprint.from_bytes(raw)
        return [[(c, records[c]) for c in sorted(found[d]) if c in records] for d, _ in items]

    def _remove_exact(self, doc_id: int, fpb: bytes) -> int:
        """Remove ``doc_id`` if it holds ``fpb``: its record, then its bucket entries."""
        key, off = self._slot(doc_id)
        shard = doc_id // SLOTS
        done = int(self._run([(self._unrecord, [self._g(shard % self.groups, "rc"), key],
                               [RECORD_BYTES, shard, off, fpb])])[0])
        if done == 1:
            self._unbucket([(doc_id, Fingerprint.from_bytes(fpb))])
        return done

    def _unbucket(self, items) -> None:
        groups = self._by_group(items)
        for _ in range(_ROUNDS):
            plans = self._plan(groups, splits=False)
            replies = self._run([(self._remove, keys, args) for _, keys, args in plans])
            again: dict[int, list] = {}
            for (group, _, _), reply in zip(plans, replies):
                self._state[group] = (int(reply[1]), int(reply[2]), int(reply[3]))
                for (doc_id, _), missed in zip(groups[group], reply[4:]):
                    if missed:
                        again.setdefault(group, []).append(
                            (doc_id, [missed[j : j + 8] for j in range(0, len(missed), 8)]))
            if not again:
                return
            groups = again
        raise RuntimeError("could not remove: bucket groups kept splitting under us")

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

    def _scan(self, pattern: str):
        """Every key matching ``pattern``: on a cluster, on every master."""
        if is_cluster(self.r):
            for node in self.r.get_primaries():
                yield from self.r.get_redis_connection(node).scan_iter(match=pattern, count=1000)
        else:
            yield from self.r.scan_iter(match=pattern, count=1000)

    def records(self) -> dict[int, bytes]:
        """Every record in the index: doc id -> fingerprint bytes (a full scan: ``corpus verify``)."""
        found: dict[int, bytes] = {}
        for key in self._scan(glob_escape(self.prefix) + "{*}r:*"):
            name = key if isinstance(key, bytes) else key.encode()
            try:
                shard = int(name.rsplit(b"}r:", 1)[1])
            except (IndexError, ValueError):
                continue
            raw = self.r.get(key) or b""
            for slot in range(len(raw) // RECORD_BYTES):
                off = slot * RECORD_BYTES
                if raw[off] != 0:
                    found[shard * SLOTS + slot] = raw[off : off + dedup.FP_BYTES]
        return found

    def records_of(self, doc_ids) -> dict[int, bytes]:
        """The records of ``doc_ids`` that exist: doc id -> fingerprint bytes, as :meth:`records`."""
        found: dict[int, bytes] = {}
        for doc_id in doc_ids:
            raw = self._get_raw(self._check_id(doc_id))
            if raw is not None:
                found[doc_id] = raw[: dedup.FP_BYTES]
        return found

    def unbucketed(self, records: dict[int, bytes]) -> list[int]:
        """Ids of ``records`` missing from one of their buckets (a write lost in a failover
        between the record and its buckets): reinserting them mends it. A full bucket
        (``BUCKET_CAP`` ids) takes no more, so an id absent from a full bucket is fine."""
        states = self._group_states()
        missing = []
        ids = sorted(records)
        for start in range(0, len(ids), 200):
            chunk = ids[start : start + 200]
            asks = []
            pipe = self._pipeline()
            for doc_id in chunk:
                for bk in index_keys(Fingerprint.from_bytes(records[doc_id])):
                    group = _h(bk) % self.groups
                    pipe.hget(self._address(group, _h(bk), states.get(group, (0, 0, 0))), bk)
                    asks.append(doc_id)
            lost = set()
            for doc_id, value in zip(asks, pipe.execute()):
                value = value or b""
                if len(value) < 4 * BUCKET_CAP and struct.pack("<I", doc_id) not in {
                        value[j : j + 4] for j in range(0, len(value), 4)}:
                    lost.add(doc_id)
            missing += sorted(lost)
        return missing

    def _group_states(self) -> dict[int, tuple[int, int, int]]:
        pipe = self._pipeline()
        for group in range(self.groups):
            pipe.hmget(self._g(group, "m"), "L", "p", "nent")
        states = {}
        for group, (L, p, nent) in enumerate(pipe.execute()):
            states[group] = (int(L or 0), int(p or 0), int(nent or 0))
        self._state.update(states)
        return states

    def count(self) -> int:
        pipe = self._pipeline()
        for group in range(self.groups):
            pipe.hget(self._g(group, "rc"), "n")
        return sum(int(n or 0) for n in pipe.execute())

    def clear(self) -> None:
        """Delete every key of this index (params included)."""
        batch = []
        for key in self._scan(glob_escape(self.prefix) + "*"):
            batch.append(key)
            if len(batch) >= 1000:
                self.r.unlink(*batch)
                batch.clear()
        if batch:
            self.r.unlink(*batch)
        self._state.clear()

    def has_params(self) -> bool:
        """Whether the index has its parameters (a new or lost index has none)."""
        return bool(self.r.hexists(self._k("meta"), "params"))

    def ensure_params(self, params: dict | None = None) -> None:
        """Record ``params`` on first use; raise :class:`ParamsMismatch` if the index has others
        (or was laid out by another version of corpus)."""
        params = dedup.params() if params is None else params
        want = json.dumps(params, sort_keys=True)
        meta = self._k("meta")
        # Two commands, each idempotent: a worker killed between them, or two starting at once,
        # leave nothing to trip over (a missing layout is written by the next one).
        self.r.hsetnx(meta, "params", want)
        self.r.hsetnx(meta, "layout", self.layout)
        have, layout, old = (v.decode() if isinstance(v, bytes) else v for v in self.r.hmget(meta, "params", "layout", "L"))
        if have != want:
            raise ParamsMismatch(
                f"LSH index {self.prefix!r} was built with dedup params {have}, this worker has {want}; "
                "run `corpus reindex` (or point the worker at the matching configuration)"
            )
        if old is not None:  # the single-script layout kept its table state in this hash
            raise ParamsMismatch(
                f"LSH index {self.prefix!r} was written by an older corpus (single-script layout); run `corpus reindex`"
            )
        if layout != self.layout:
            raise ParamsMismatch(
                f"LSH index {self.prefix!r} is laid out as {layout!r}, this worker uses {self.layout!r} "
                "(one Redis and a cluster lay it out differently); run `corpus reindex`"
            )

    def expire_before(self, ts: float, *, batch: int = 1000) -> int:
        """Remove documents inserted before ``ts`` (whole UTC days older than ts's day, and the
        records of ts's day inserted earlier). Returns how many were removed."""
        cut_day = _day(ts)
        removed = 0
        pipe = self._pipeline()
        for group in range(self.groups):
            pipe.zrangebyscore(self._g(group, "days"), "-inf", cut_day)
        for group, days in enumerate(pipe.execute()):
            for d in days:
                d = int(d)
                tkey = self._g(group, f"t:{d}")
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
                    self.r.zrem(self._g(group, "days"), d)
        return removed

    def stats(self) -> dict:
        """``params``, ``layout``, ``ndocs`` and the bucket table: ``nent`` (bucket fields),
        ``L`` (the deepest group's level) and ``groups``."""
        m = self.r.hgetall(self._k("meta"))
        out = {k.decode(): (v.decode() if k != b"params" else json.loads(v)) for k, v in m.items()}
        states = self._group_states()
        out.update(ndocs=self.count(), nent=sum(s[2] for s in states.values()),
                   L=max(s[0] for s in states.values()), groups=self.groups)
        return out

    def nodes(self) -> list[dict]:
        """Per master of the index's Redis: ``node`` (host:port), ``keys`` (all its keys; the
        index's when the cluster is the index's own) and ``used_memory`` bytes."""
        if is_cluster(self.r):
            targets = [(f"{n.host}:{n.port}", self.r.get_redis_connection(n)) for n in self.r.get_primaries()]
        else:
            kw = self.r.connection_pool.connection_kwargs
            where = kw.get("path") or f"{kw.get('host', 'localhost')}:{kw.get('port', 6379)}"
            targets = [(where, self.r)]
        out = []
        for name, client in sorted(targets):
            out.append({"node": name, "keys": int(client.dbsize()),
                        "used_memory": int(client.info("memory")["used_memory"])})
        return out
