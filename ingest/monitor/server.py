"""``corpus serve``: the monitor. Prometheus metrics, probes, a JSON API and a dashboard.

A small stdlib HTTP server (``http.server``, one thread per request). Endpoints:

    GET  /metrics                   Prometheus text format, every name prefixed ``corpus_``
    GET  /healthz                   liveness: the server answers
    GET  /readyz                    readiness: Redis and the store reachable, workers present (else 503)
    GET  /api/status                the same JSON as ``corpus status --json`` (503 when unreachable)
    GET  /api/history               the last hour, per minute: queue depth and documents finished
    GET  /api/failures?limit=       recent failed documents with their reasons
    GET  /api/articles?q=&limit=    recent canonical articles with their duplicate counts; q searches titles
    GET  /api/article?ref=          one article by id, URL or source: its copies and the evidence
                                    for each (the same JSON as ``corpus show --json``; 404 if none)
    GET  /api/dlq?limit=            dead letters
    POST /api/dlq/<id>/requeue      requeue one dead letter (``all`` for every one)
    GET  /                          the dashboard (static files from ``ingest/web``)

Access: binding to anything but loopback needs ``CORPUS_API_TOKEN``. GETs from loopback
clients need no token when their ``Host`` header names a loopback address (``localhost``,
``127.0.0.1``, ``[::1]``, never resolved through DNS) or a host of the allow-list
(``--allow-host``, ``CORPUS_ALLOWED_HOSTS``): a page of another site that a browser's DNS
rebinding points at 127.0.0.1 still says its own name, and is refused. Behind a reverse proxy
on the same host every request comes from loopback, so ``--behind-proxy``
(``CORPUS_BEHIND_PROXY=1``) turns that trust off: the token is then always required; GETs from elsewhere (but /healthz and /readyz) and every POST need
``Authorization: Bearer <token>`` or the ``corpus_token`` cookie, which ``GET /?token=<token>``
sets (HttpOnly, SameSite=Strict) before redirecting to the dashboard. Without a configured
token a loopback server makes one up at start and prints the URL that opens the dashboard
with it. A cookie-authenticated POST must also come from the same origin.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import signal
import socket
import sys
import threading
from datetime import timezone
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import func, select, text

from ingest.monitor.collector import CorpusCollector
from models.db import read_scope
from models.tables import DUPLICATE, FAILED, Article, Document
from workers.ops import metrics
from workers.ops.dlq import Ambiguous, DeadLetters, NotFound
from workers.ops import lookup
from workers.ops.status import Unreachable, collect, guarded, unreachable_report
from workers.queue.counters import sample_queues
from workers.queue.registry import alive_workers

log = logging.getLogger("corpus.serve")

COOKIE = "corpus_token"
SAMPLE_S = 10.0
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}


class ServeError(RuntimeError):
    """The monitor cannot start (e.g. a public address without CORPUS_API_TOKEN)."""


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except OSError:
            return False


def host_names_loopback(header: str | None, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether a ``Host`` header (``name[:port]``) names a loopback address or an allowed
    host. Literal addresses and ``localhost`` only: resolving the name would ask the very DNS
    a rebinding attack controls."""
    if not header:
        return False
    try:
        name = urlsplit(f"//{header.strip()}").hostname
    except ValueError:
        return False
    if not name:
        return False
    name = name.rstrip(".").lower()
    if name in allowed or name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------ /metrics


def iso(moment) -> str | None:
    """ISO 8601 with an offset (SQLite hands back naive datetimes, stored in UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def recent_failures(engine, *, limit: int = 20) -> list[dict]:
    with read_scope(engine) as session:
        rows = session.execute(
            select(Document.id, Document.source, Document.url, Document.site, Document.error, Document.processed_at)
            .where(Document.status == FAILED)
            .order_by(Document.processed_at.desc().nulls_last(), Document.id.desc())
            .limit(limit)
        ).all()
    return [{"id": r.id, "source": r.url or r.source, "site": r.site, "error": r.error,
             "processed_at": iso(r.processed_at)} for r in rows]


def recent_articles(engine, *, q: str = "", limit: int = 20) -> list[dict]:
    copies = (
        select(Document.article_id, func.count(Document.id).label("n"))
        .where(Document.status == DUPLICATE)
        .group_by(Document.article_id)
        .subquery()
    )
    query = (
        select(Article.id, Article.updated_at, Document.title, Document.source, Document.url, Document.site,
               func.coalesce(copies.c.n, 0).label("duplicates"))
        .join(Document, Document.id == Article.canonical_document_id)
        .outerjoin(copies, copies.c.article_id == Article.id)
        .where(Article.merged_into_id.is_(None))
        .order_by(Article.change_seq.desc(), Article.id.desc())
        .limit(limit)
    )
    q = q.strip()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Document.title.ilike(f"%{escaped}%", escape="\\"))
    with read_scope(engine) as session:
        rows = session.execute(query).all()
    return [{"id": r.id, "title": r.title, "source": r.url or r.source, "site": r.site, "duplicates": r.duplicates,
             "updated_at": iso(r.updated_at)} for r in rows]


# --------------------------------------------------------------------------- server


class Monitor:
    """What the request handlers share: the runtime, the token and the metrics registry."""

    def __init__(self, runtime, *, token: str, behind_proxy: bool = False,
                 allowed_hosts: frozenset[str] = frozenset()) -> None:
        self.behind_proxy = behind_proxy
        self.allowed_hosts = allowed_hosts
        self.runtime = runtime
        self.token = token
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(CorpusCollector(runtime))
        self.stop = threading.Event()

    def check_token(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), self.token.encode())

    def sample_forever(self) -> None:
        """Sample the queue depth into the minute history while the server runs (the
        workers sample too; the dashboard's hour then has no gaps while either runs)."""
        while not self.stop.is_set():
            try:
                guarded(self.runtime, lambda: sample_queues(self.runtime.redis, self.runtime.settings.namespace))
            except Exception as exc:
                log.debug("sample skipped: %s", exc)
            self.stop.wait(SAMPLE_S)


class Handler(BaseHTTPRequestHandler):
    server_version = "corpus"
    monitor: Monitor  # set on the subclass made by make_server

    # -- plumbing --------------------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        log.debug("%s %s", self.address_string(), format % args)

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, payload) -> None:
        self.send_body(status, json.dumps(payload, default=str).encode(), "application/json")

    def client_is_loopback(self) -> bool:
        """A client trusted without a token: on loopback, naming a loopback (or allowed) host,
        and not behind a proxy (where every client is loopback)."""
        if self.monitor.behind_proxy:
            return False
        return is_loopback(self.client_address[0]) and host_names_loopback(self.headers.get("Host"),
                                                                           self.monitor.allowed_hosts)

    def cookie_token(self) -> str | None:
        raw = self.headers.get("Cookie")
        if not raw:
            return None
        cookie = SimpleCookie()
        try:
            cookie.load(raw)
        except Exception:
            return None
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    def bearer_token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        if value.lower().startswith("bearer "):
            return value[7:].strip()
        return None

    def authorized(self, *, state_changing: bool) -> bool:
        if self.monitor.check_token(self.bearer_token()):
            return True
        if self.monitor.check_token(self.cookie_token()):
            if not state_changing:
                return True
            origin = self.headers.get("Origin")
            if origin is None:
                return True  # SameSite=Strict: a cross-site request never carries the cookie
            return urlsplit(origin).netloc == self.headers.get("Host")
        return False

    def deny(self) -> None:
        self.send_json(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized: send Authorization: Bearer <CORPUS_API_TOKEN>"})

    # -- routes ----------------------------------------------------------------------

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        try:
            if path == "/healthz":
                return self.send_json(HTTPStatus.OK, {"status": "ok"})
            if path == "/readyz":
                return self.readyz()
            if path == "/" and "token" in query:
                return self.login(query["token"][0])
            if path in STATIC:
                return self.static(*STATIC[path])
            if not self.client_is_loopback() and not self.authorized(state_changing=False):
                return self.deny()
            if path == "/metrics":
                body = generate_latest(self.monitor.registry)
                return self.send_body(HTTPStatus.OK, body, CONTENT_TYPE_LATEST)
            if path == "/api/status":
                return self.api_status()
            limit = _int(query, "limit", 20, 1, 500)
            rt = self.monitor.runtime
            if path == "/api/history":
                minutes = _int(query, "minutes", 60, 1, 120)
                return self.guarded_json(lambda: {"minutes": metrics.history(rt.redis, rt.settings.namespace,
                                                                            minutes=minutes)})
            if path == "/api/failures":
                return self.guarded_json(lambda: {"failures": recent_failures(rt.engine, limit=limit)})
            if path == "/api/articles":
                q = (query.get("q") or [""])[0][:200]
                return self.guarded_json(lambda: {"q": q, "articles": recent_articles(rt.engine, q=q, limit=limit)})
            if path == "/api/article":
                return self.article((query.get("ref") or [""])[0][:2000])
            if path == "/api/dlq":
                return self.guarded_json(lambda: self.dlq_payload(limit))
            return self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: {path}"})
        except (BrokenPipeError, ConnectionResetError):
            return None
        except Exception as exc:  # never a traceback to the client
            log.exception("GET %s failed", path)
            return self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"})

    def do_POST(self):
        path = urlsplit(self.path).path
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 1 << 16))
            if not self.authorized(state_changing=True):
                return self.deny()
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["api", "dlq"] and parts[3] == "requeue":
                return self.requeue(parts[2])
            return self.send_json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: POST {path}"})
        except (BrokenPipeError, ConnectionResetError):
            return None
        except Exception as exc:
            log.exception("POST %s failed", path)
            return self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"})

    # -- handlers --------------------------------------------------------------------

    def static(self, name: str, content_type: str) -> None:
        body = resources.files("ingest.monitor").joinpath("web", name).read_bytes()
        self.send_body(HTTPStatus.OK, body, content_type)

    def login(self, token: str) -> None:
        if not self.monitor.check_token(token):
            return self.send_body(HTTPStatus.UNAUTHORIZED, b"wrong token\n", "text/plain; charset=utf-8")
        cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        rest = urlencode([(k, v) for k, v in parse_qsl(urlsplit(self.path).query) if k != "token"])
        location = "/" + (f"?{rest}" if rest else "")  # the token leaves the address bar and history
        self.send_body(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": location, "Set-Cookie": cookie})

    def guarded_json(self, fn) -> None:
        try:
            payload = guarded(self.monitor.runtime, fn)
        except Unreachable as exc:
            return self.send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
        self.send_json(HTTPStatus.OK, payload)

    def api_status(self) -> None:
        try:
            report = collect(self.monitor.runtime)
        except Unreachable as exc:
            return self.send_json(HTTPStatus.SERVICE_UNAVAILABLE, unreachable_report(str(exc)))
        self.send_json(HTTPStatus.OK, report)

    def readyz(self) -> None:
        rt = self.monitor.runtime
        checks: dict[str, object] = {}
        problems: list[str] = []
        try:
            client = guarded(rt, lambda: rt.redis)
            guarded(rt, client.ping)
            checks["redis"] = True
            alive = guarded(rt, lambda: len(alive_workers(client, rt.settings.namespace)))
            checks["workers"] = alive
            if not alive:
                problems.append("no worker alive")
        except Unreachable as exc:
            checks["redis"] = False
            problems.append(str(exc))

        def ping_store():
            with read_scope(rt.engine) as session:
                session.execute(text("SELECT 1"))

        try:
            guarded(rt, ping_store)
            checks["store"] = True
        except Unreachable as exc:
            checks["store"] = False
            problems.append(str(exc))
        ready = not problems
        self.send_json(HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE,
                       {"ready": ready, "checks": checks, "problems": problems})

    def article(self, ref: str) -> None:
        def find():
            with read_scope(self.monitor.runtime.engine) as session:
                try:
                    return lookup.detail(session, lookup.resolve(session, ref)[0])
                except lookup.NotFound as exc:
                    return exc

        try:
            found = guarded(self.monitor.runtime, find) if ref else lookup.NotFound("give ?ref=ID|URL|SOURCE")
        except Unreachable as exc:
            return self.send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
        if isinstance(found, lookup.NotFound):
            return self.send_json(HTTPStatus.NOT_FOUND, {"error": str(found)})
        return self.send_json(HTTPStatus.OK, found)

    def dlq_payload(self, limit: int) -> dict:
        rt = self.monitor.runtime
        letters = DeadLetters(rt.redis, rt.settings.namespace)
        return {"count": letters.count(), "dead_letters": letters.list(limit=limit)}

    def requeue(self, message_id: str) -> None:
        rt = self.monitor.runtime
        try:
            letters = DeadLetters(guarded(rt, lambda: rt.redis), rt.settings.namespace)
            if message_id == "all":
                n = guarded(rt, letters.requeue_all)
            else:
                n = int(guarded(rt, lambda: letters.requeue(message_id)))
                if not n:
                    return self.send_json(HTTPStatus.CONFLICT, {"error": "taken meanwhile (requeued or purged)"})
        except Unreachable as exc:
            return self.send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)})
        except NotFound as exc:
            return self.send_json(HTTPStatus.NOT_FOUND, {"error": exc.args[0]})
        except Ambiguous as exc:
            return self.send_json(HTTPStatus.CONFLICT, {"error": exc.args[0]})
        log.info("requeued %s dead letter(s) (%s) for %s", n, message_id, self.client_address[0])
        self.send_json(HTTPStatus.OK, {"requeued": n})


def _int(query: dict, name: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(query.get(name, [default])[0])))
    except ValueError:
        return default


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


def make_server(runtime, *, host: str, port: int, token: str, behind_proxy: bool = False,
                allowed_hosts: frozenset[str] = frozenset()) -> tuple[ThreadingHTTPServer, Monitor]:
    monitor = Monitor(runtime, token=token, behind_proxy=behind_proxy, allowed_hosts=allowed_hosts)
    handler = type("CorpusHandler", (Handler,), {"monitor": monitor})
    server_class = _Server6 if ":" in host else _Server
    try:
        server = server_class((host.strip("[]"), port), handler)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return server, monitor


def run(runtime, *, host: str, port: int, behind_proxy: bool = False, allowed_hosts: frozenset[str] = frozenset(),
        loopback_without_token: bool = False) -> None:
    """Serve until SIGTERM or Ctrl-C. ``loopback_without_token``: a public ``host`` without a
    token binds to 127.0.0.1 instead of refusing (a container that starts before its token
    is set: its own health check still reaches it)."""
    configured = runtime.settings.api_token
    loopback = is_loopback(host)
    if not loopback and not configured:
        if not loopback_without_token:
            raise ServeError(f"refusing to serve on {host} without a token: set CORPUS_API_TOKEN "
                             "(or bind to 127.0.0.1)")
        print(f"warning: CORPUS_API_TOKEN is not set: serving on 127.0.0.1 only, not on {host}",
              file=sys.stderr, flush=True)
        host = "127.0.0.1"
    if behind_proxy and not configured:
        raise ServeError("--behind-proxy needs CORPUS_API_TOKEN: every request must carry it")
    token = configured or secrets.token_urlsafe(24)
    server, monitor = make_server(runtime, host=host, port=port, token=token, behind_proxy=behind_proxy,
                                  allowed_hosts=allowed_hosts)
    bound_port = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{bound_port}/"
    print(f"corpus monitor on {base} (metrics: {base}metrics)", flush=True)
    if configured:
        print("dashboard: open it with ?token=<CORPUS_API_TOKEN> once to requeue from it", flush=True)
    else:
        print(f"dashboard (this token lives as long as the server): {base}?token={token}", flush=True)
    for name, connect in (("Redis", lambda: runtime.redis), ("store", lambda: runtime.engine)):
        try:  # connect once before the request threads race to (and to say so now)
            guarded(runtime, connect)
        except Unreachable as exc:
            print(f"warning: {exc} (the monitor reports it until it is back)", file=sys.stderr, flush=True)
    sampler = threading.Thread(target=monitor.sample_forever, name="corpus-sampler", daemon=True)
    sampler.start()

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        monitor.stop.set()
        server.server_close()
        print("corpus monitor stopped", file=sys.stderr, flush=True)
