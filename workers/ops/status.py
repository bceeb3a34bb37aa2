"""The status report: queues, workers, throughput, the ledger and the inbox, as
``corpus status`` prints it and ``corpus serve`` answers ``/api/status``.

Its JSON shape is a contract other tools read; add to it, never rename:

    {"queues": {NAME: {"ready", "delayed", "in_flight", "dead", "oldest_age_s"}},
     "workers": {"alive", "processes": [{"host", "pid", "id", "threads", "age_s"}], "stale": [...]},
     "throughput": {"1m"|"5m"|"15m": {"per_minute", "canonical", "duplicate", "failed"}},
     "documents": {"total", "canonical", "duplicate", "failed", "pending", "recleaning"},
     "duplicates": {KIND: n}, "articles": n,
     "inbox": {"path", "backlog", "processing", "skipped", "updated", "age_s"} or null,
     "store": {"database", "data_dir", "data_dir_found_by"},
     "index": {"state": "ok"|"lost"|"rebuilding", "generation": {"id", "created"} or null,
               "cluster": bool, "records": n, "nodes": [{"node", "keys", "used_memory"}]},
     "repairs": {"index_rebuilds", "stranded_requeued", "dead_letters_retried",
                 "dead_letters_outage", "last": {"kind", "count", "at"} or null},
     "health": "healthy"|"degraded", "problems": [str], "checked_at": unix seconds}

``recleaning`` counts the canonical and duplicate documents sent back for cleaning (a site's
chrome learned meanwhile, or ``corpus reclean``): they keep their status until re-linked, so
they are among the canonical and duplicate counts too, and still in progress.

When Redis or the database cannot be reached: ``{"health": "unreachable", "problems": [one
line naming CORPUS_REDIS_URL or CORPUS_DATABASE_URL]}``.
"""

from __future__ import annotations

import time

import redis
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from models.articles import counts, duplicates_by_kind, live_article_count
from models.events import event_failures
from models.db import StoreUnavailable, mask_url, read_scope, redact
from models.meta import get_meta
from models.tables import CANONICAL, DUPLICATE, LINKED, Document
from workers.index import generation
from workers.keys import QUEUE, broker_namespace, inbox_key
from workers.ops.dlq import DeadLetters
from workers.ops.metrics import throughput, totals
from workers.queue.counters import sample_depth
from workers.queue.selfheal import MAX_AUTO_RETRIES, last_repair, locked
from workers.queue.registry import alive_workers, stale_workers
from workers.queue.stats import queue_stats
from workers.runtime import RedisUnavailable

HEALTHY, DEGRADED, UNREACHABLE = 0, 1, 2
INBOX_FRESH_S = 60.0


class Unreachable(RuntimeError):
    """Redis or the store cannot be reached; the message names the variable to fix."""


def redis_problem(settings, exc: BaseException) -> str:
    if isinstance(exc, RedisUnavailable):
        return str(exc)
    where = (f"{mask_url(settings.redis_url)} (CORPUS_REDIS_URL)" if settings.redis_url
             else "the embedded Redis (CORPUS_DATA_DIR; set CORPUS_REDIS_URL for a shared one)")
    return f"cannot reach Redis at {where}: {exc}"


def store_problem(settings, exc: BaseException) -> str:
    if isinstance(exc, StoreUnavailable):
        return str(exc)
    variable = "CORPUS_DATABASE_URL" if settings.database_url else "CORPUS_DATA_DIR"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot use the database at {mask_url(settings.effective_database_url)} ({variable}): {reason}"


def scrub(settings, message: str) -> str:
    """Hide the configured passwords wherever they appear (``mask_url`` misses the
    ``redis://:password@host`` form, and driver messages may quote a URL)."""
    return " ".join(redact(message, settings.redis_url, settings.database_url).split())  # one line


def guarded(runtime, fn):
    """Run ``fn()``, turning any Redis or store failure into ``Unreachable`` with one line."""
    try:
        return fn()
    except (RedisUnavailable, redis.RedisError, ConnectionError, TimeoutError) as exc:
        raise Unreachable(scrub(runtime.settings, redis_problem(runtime.settings, exc))) from None
    except (StoreUnavailable, SQLAlchemyError) as exc:
        raise Unreachable(scrub(runtime.settings, store_problem(runtime.settings, exc))) from None


def unreachable_report(problem: str) -> dict:
    return {"health": "unreachable", "problems": [problem], "checked_at": round(time.time(), 3)}


def read_inbox(client, namespace: str, *, now: float) -> dict | None:
    raw = client.hgetall(inbox_key(namespace))
    if not raw:
        return None
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    try:
        updated = float(fields.get("updated", 0))
    except ValueError:
        return None
    age = now - updated
    if age > INBOX_FRESH_S:
        return None

    def number(name: str) -> int:
        try:
            return int(float(fields.get(name, 0)))
        except ValueError:
            return 0

    return {"path": fields.get("path"), "backlog": number("backlog"), "processing": number("processing"),
            "skipped": number("skipped"), "updated": updated, "age_s": round(max(0.0, age), 1)}


def index_report(runtime) -> dict:
    """The duplicate index: its records and, per master (one unless CORPUS_INDEX_URL names a
    cluster), the keys and memory of that node."""
    from workers.index.lsh import is_cluster  # the index's client: imported when asked

    index = runtime.bare_index
    return {"cluster": is_cluster(index.r), "records": index.count(), "nodes": index.nodes()}


def collect(runtime, *, now: float | None = None, sample: bool = True) -> dict:
    """The report; raises ``Unreachable`` when Redis or the store cannot be used."""
    return guarded(runtime, lambda: _collect(runtime, now=now, sample=sample))


def _collect(runtime, *, now: float | None, sample: bool) -> dict:
    now = time.time() if now is None else now
    settings = runtime.settings
    client = runtime.redis
    queues = {QUEUE: queue_stats(client, broker_namespace(settings.namespace), QUEUE, now=now)}
    if sample:  # every look feeds the dashboard's hour of history
        sample_depth(client, settings.namespace, queues[QUEUE], now=now)
    alive = alive_workers(client, settings.namespace, now=now)
    stale = stale_workers(client, settings.namespace, now=now)
    flow = throughput(client, settings.namespace, now=now)
    inbox = read_inbox(client, settings.namespace, now=now)
    index = index_report(runtime)
    with read_scope(runtime.engine) as session:
        documents = counts(session)
        documents["recleaning"] = recleaning_count(session)
        duplicates = duplicates_by_kind(session)
        articles = live_article_count(session)
        store_mark = get_meta(session, generation.STORE_KEY)
        events_failed, events_reason = event_failures(session)
    documents["pending"] = max(0, documents["total"] - documents["canonical"] - documents["duplicate"] - documents["failed"])
    report = {
        "queues": queues,
        "workers": {"alive": len(alive), "processes": alive, "stale": stale},
        "throughput": flow,
        "documents": documents,
        "duplicates": duplicates,
        "articles": articles,
        "events": {"failed": events_failed, "reason": events_reason},
        "inbox": inbox,
        "store": store_location(settings),
        "index": {**index_state(runtime.bare_index, client, settings.namespace, store_mark, documents), **index},
        "repairs": repairs(client, settings.namespace),
        "checked_at": round(now, 3),
    }
    report["health"], report["problems"] = assess(report)
    return report


def recleaning_count(session) -> int:
    """Settled documents sent back for cleaning and not yet re-linked (``workers.sites.reopen``)."""
    return session.scalar(select(func.count()).select_from(Document).where(
        Document.status.in_((CANONICAL, DUPLICATE)), Document.stage != LINKED)) or 0


def store_location(settings) -> dict:
    """Which store this report reads, so that a command run from the wrong place says so:
    the database (password hidden), the data dir, and how the data dir was found."""
    return {"database": mask_url(settings.effective_database_url), "data_dir": str(settings.data_dir),
            "data_dir_found_by": settings.data_dir_found_by}


def index_state(index, client, namespace: str, store_mark: str | None, documents: dict) -> dict:
    """``ok`` while the index's generation mark is the store's (or nothing was indexed yet),
    ``rebuilding`` while a repair holds the lock, ``lost`` otherwise (the janitor rebuilds it
    at its next round when a worker runs)."""
    mark = generation.index_mark(index)  # beside the index, wherever CORPUS_INDEX_URL puts it
    settled = documents.get("canonical", 0) + documents.get("duplicate", 0)
    if mark is not None and (mark == store_mark or store_mark is None):
        state = "ok"
    elif locked(client, namespace):
        state = "rebuilding"
    else:
        state = "ok" if store_mark is None and not settled else "lost"
    return {"state": state, "generation": generation.describe(mark)}


def repairs(client, namespace: str) -> dict:
    """What the janitor mended by itself (counts since the namespace began in this Redis),
    and the dead letters of an outage still waiting for their automatic retry (counted from the
    few that died of an outage: ``corpus dlq list`` is where the dead letters are listed)."""
    events = totals(client, namespace)["events"]
    waiting = DeadLetters(client, namespace).outage_waiting(MAX_AUTO_RETRIES)
    return {"index_rebuilds": events["index_rebuilds"], "stranded_requeued": events["stranded_requeued"],
            "dead_letters_retried": events["dead_letters_retried"], "dead_letters_outage": waiting,
            "last": last_repair(client, namespace)}


def assess(report: dict) -> tuple[str, list[str]]:
    problems = []
    dead = sum(q["dead"] for q in report["queues"].values())
    outage = (report.get("repairs") or {}).get("dead_letters_outage", 0)
    if dead and outage:
        problems.append(f"{dead} dead-lettered message(s), {outage} of them from an outage (retried automatically "
                        "once the dependency is back): see `corpus dlq list`")
    elif dead:
        problems.append(f"{dead} dead-lettered message(s): see `corpus dlq list`")
    state = (report.get("index") or {}).get("state", "ok")
    if state == "lost":
        problems.append("the duplicate index in Redis is lost (emptied or replaced): workers wait; their janitor "
                        "rebuilds it from the store (or run `corpus reindex`)")
    elif state == "rebuilding":
        problems.append("the duplicate index is being rebuilt from the store: workers wait until it is whole")
    failed_events = (report.get("events") or {}).get("failed", 0)
    if failed_events:
        problems.append(f"{failed_events} article(s) could not be given an event ({report['events']['reason']}): "
                        "`corpus events rebuild` tries them again")
    stale = report["workers"].get("stale") or []
    if stale:
        ages = ", ".join(f"{w.get('host', '?')}:{w.get('pid', '?')} {w['age_s']:.0f}s ago" for w in stale[:5])
        problems.append(f"{len(stale)} worker(s) stopped beating without leaving ({ages})")
    if not report["workers"]["alive"]:
        queued = sum(q["ready"] + q["delayed"] + q["in_flight"] for q in report["queues"].values())
        pending = report["documents"]["pending"]
        recleaning = report["documents"].get("recleaning", 0)
        inbox = (report.get("inbox") or {}).get("backlog", 0)
        waiting = [text for n, text in ((pending, f"{pending} document(s) pending"),
                                        (recleaning, f"{recleaning} being re-cleaned"),
                                        (queued, f"{queued} queued message(s)"),
                                        (inbox, f"{inbox} file(s) in the inbox")) if n]
        if waiting:
            problems.append(f"{', '.join(waiting)} and no worker alive: start `corpus worker`")
    return ("degraded" if problems else "healthy"), problems


def exit_code(report: dict) -> int:
    return {"healthy": HEALTHY, "degraded": DEGRADED}.get(report.get("health"), UNREACHABLE)
