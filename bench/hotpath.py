"""Per-batch costs of the pipeline's hot path that are not cleaning or linking, old call
pattern (A) against new (B), side by side in one run, A B A B (issue 17):

- ``site-stream``: a batch's site chrome through Redis, one script call per document (A:
  lines, clean, observe, one after the other) or one pipeline per batch (B:
  ``SiteStream.clean_in_order``); the same pages, a fresh namespace per run (the sites learn
  from nothing: the worst case for B's re-cleaning) and a warm one (the sites already learned).
- ``candidates``: the exact check's clean texts of a batch, read from the store (A) or taken
  from what the batch has just cleaned (B), ``workers.candidates._sequences``.
- ``status``: ``corpus status``'s count of the dead letters of an outage, listing up to 1,000
  dead letters (A) or from the set of those that died of an outage (B).

    .venv/bin/python bench/hotpath.py [--docs 256] [--rounds 2] [--dead 5000]

Needs a Redis (``--redis``, default 127.0.0.1:6379, its own namespace, deleted after).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.common import machine_info  # noqa: E402
from bench.corpus import generate  # noqa: E402


def _drop(client, namespace: str) -> None:
    for key in client.scan_iter(match=f"{namespace}:*", count=1000):
        client.delete(key)


def _counting(client):
    """The client, counting its round trips (a pipeline is one)."""
    calls = [0]
    original = client.connection_pool.get_connection

    def get_connection(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    client.connection_pool.get_connection = get_connection
    return calls


def site_stream(url: str, docs: list[dict], rounds: int) -> list[dict]:
    from workers.sites import SiteStream
    from workers.steps.cleaning import clean_text

    def old(stream, pages):
        for site, text in pages:
            cleaned = clean_text(text, site=site, learned=stream.lines(site), observe=bool(site))
            stream.observe(site, cleaned.evidence)

    def new(stream, pages, cleans):
        def clean(i, learned):
            cleans[0] += 1
            site, text = pages[i]
            return clean_text(text, site=site, learned=learned, observe=bool(site)).evidence

        stream.clean_in_order(list(range(len(pages))), lambda i: pages[i][0], clean)

    pages = [(d["site"], d["text"]) for d in docs]
    out = []
    for n in range(rounds):
        for variant in ("A", "B"):
            client = redis.Redis.from_url(url)
            namespace = f"bench-hotpath-{uuid.uuid4().hex[:8]}"
            try:
                for state in ("fresh", "warm"):
                    stream = SiteStream(client, namespace)
                    calls, cleans = _counting(client), [0]
                    started = time.perf_counter()
                    old(stream, pages) if variant == "A" else new(stream, pages, cleans)
                    took = time.perf_counter() - started
                    out.append({"round": n, "variant": variant, "state": state, "docs": len(pages),
                                "ms_per_doc": 1000 * took / len(pages), "round_trips": calls[0],
                                "cleans": cleans[0] if variant == "B" else len(pages)})
                    del client.connection_pool.get_connection  # the class's again
            finally:
                _drop(client, namespace)
    return out


def candidates(docs: list[dict], rounds: int) -> list[dict]:
    from sqlalchemy import bindparam, select, update

    from models.db import open_store, read_scope, session_scope
    from models.documents import NewDocument, record
    from models.tables import Document
    from workers.candidates import _sequences

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{tmp}/bench.db")
        with session_scope(engine) as session:
            ids = [i for i, _ in record(session, [NewDocument(source=f"d{n}", data=d["text"].encode(), format="text")
                                                  for n, d in enumerate(docs)])]
            session.execute(update(Document.__table__).where(Document.__table__.c.id == bindparam("doc_id"))
                            .values(text=bindparam("t")),
                            [{"doc_id": i, "t": d["text"]} for i, d in zip(ids, docs)])
        runtime = SimpleNamespace(engine=engine)
        texts = {i: d["text"] for i, d in zip(ids, docs)}
        wanted = set(ids)
        _sequences(runtime, wanted, {})  # warm: the first read opens the file and fills SQLite's cache
        for n in range(rounds):
            for variant, given in (("A", {}), ("B", texts)):
                started = time.perf_counter()
                for _ in range(5):
                    _sequences(runtime, wanted, given)
                took = (time.perf_counter() - started) / 5
                started = time.perf_counter()
                for _ in range(5):  # the same without shingling: what reading the texts costs
                    with read_scope(engine) as session:
                        found = {i: given[i] for i in wanted if i in given}
                        if len(found) < len(wanted):
                            found.update(session.execute(select(Document.id, Document.text)
                                                         .where(Document.id.in_(sorted(wanted - found.keys())))).all())
                read = (time.perf_counter() - started) / 5
                out.append({"round": n, "variant": variant, "docs": len(wanted), "ms_per_batch": 1000 * took,
                            "ms_per_doc": 1000 * took / len(wanted), "read_ms_per_doc": 1000 * read / len(wanted)})
        engine.dispose()
    return out


def status(url: str, dead: int, rounds: int) -> list[dict]:
    from workers.keys import QUEUE, broker_namespace
    from workers.ops.dlq import DeadLetters
    from workers.queue.dead_letters import record_reason
    from workers.queue.selfheal import MAX_AUTO_RETRIES

    client = redis.Redis.from_url(url)
    namespace = f"bench-hotpath-{uuid.uuid4().hex[:8]}"
    base = f"{broker_namespace(namespace)}:{QUEUE}"
    out = []
    try:
        pipe = client.pipeline(transaction=False)
        for n in range(dead):
            rid = str(uuid.uuid4())
            message = {"queue_name": QUEUE, "actor_name": "process_documents", "args": [list(range(n * 256, n * 256 + 256))],
                       "kwargs": {}, "options": {"redis_message_id": rid, "retries": 20}, "message_id": rid,
                       "message_timestamp": int(time.time() * 1000)}
            pipe.zadd(f"{base}.XQ", {rid: time.time() * 1000 + n})
            pipe.hset(f"{base}.XQ.msgs", rid, json.dumps(message))
            pipe.execute()
            record_reason(client, namespace, rid, None, "ValueError: bad" if n % 50 else "OperationalError: gone")
        letters = DeadLetters(client, namespace)
        for n in range(rounds):
            for variant in ("A", "B"):
                started = time.perf_counter()
                for _ in range(5):
                    if variant == "A":
                        waiting = sum(1 for entry in letters.list(limit=1000)
                                      if entry["outage"] and entry["requeued"] < MAX_AUTO_RETRIES)
                    else:
                        waiting = letters.outage_waiting(MAX_AUTO_RETRIES)
                took = (time.perf_counter() - started) / 5
                out.append({"round": n, "variant": variant, "dead_letters": dead, "outage_waiting": waiting,
                            "ms_per_status": 1000 * took})
    finally:
        _drop(client, namespace)
    return out


def _table(rows: list[dict], key: str, by: tuple[str, ...] = ()) -> None:
    for row in rows:
        print("  " + "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[b] for b in by), {}).setdefault(row["variant"], []).append(row[key])
    for group, variants in groups.items():
        a, b = (sum(variants[v]) / len(variants[v]) for v in ("A", "B"))
        label = " ".join(f"{k}={g}" for k, g in zip(by, group))
        print(f"  => {label} {key}: A {a:.3f}  B {b:.3f}  B/A {b / a:.3f}  (A/B {a / b:.1f}x)")


def _ratio(rows: list[dict], key: str) -> None:
    a, b = (sum(r[key] for r in rows if r["variant"] == v) / sum(r["variant"] == v for r in rows) for v in ("A", "B"))
    print(f"  => {key}: A {a:.4f}  B {b:.4f}  B/A {b / a:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=256, help="documents per batch (CORPUS_BATCH_SIZE)")
    ap.add_argument("--rounds", type=int, default=2, help="A B rounds")
    ap.add_argument("--dead", type=int, default=5000, help="dead letters for the status figure")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--only", choices=["site-stream", "candidates", "status"])
    a = ap.parse_args()
    print(machine_info())
    docs = [d for d in generate(a.docs * 2, seed=7) if d.get("site")][: a.docs]
    print(f"{len(docs)} generated text documents, {len({d['site'] for d in docs})} sites")
    if a.only in (None, "site-stream"):
        print("site-stream (one batch, per document: A one script call each, B one pipeline per batch)")
        _table(site_stream(a.redis, docs, a.rounds), "ms_per_doc", ("state",))
    if a.only in (None, "candidates"):
        print("candidates (exact check's texts: A read from the store, B the batch's own)")
        rows = candidates(docs, a.rounds)
        _table(rows, "ms_per_doc")
        _ratio(rows, "read_ms_per_doc")
    if a.only in (None, "status"):
        print(f"status ({a.dead} dead letters, 1 in 50 of an outage: A lists 1,000, B counts the outage set)")
        _table(status(a.redis, a.dead, a.rounds), "ms_per_status")


if __name__ == "__main__":
    main()
