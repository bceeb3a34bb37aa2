"""The monitor's web application (Starlette): routes, the token rule, static files.

    GET  /metrics                   Prometheus text format, every name prefixed ``corpus_``
    GET  /healthz                   liveness: the server answers
    GET  /readyz                    readiness: Redis and the store reachable, workers present (else 503)
    GET  /api/status                the same JSON as ``corpus status --json`` (503 when unreachable)
    GET  /api/history?minutes=      the last hour, per minute: queue depth and documents finished
    GET  /api/failures?limit=       recent failed documents with their reasons
    GET  /api/articles?q=&limit=    recent canonical articles with their duplicate counts; q searches titles
    GET  /api/article?ref=          one article by id, URL or source: its copies and the evidence
                                    for each (the same JSON as ``corpus show --json``; 404 if none)
    GET  /api/events?hours=&min_size=&limit=
                                    the largest events with an article in the last ``hours`` (72;
                                    0: any time), as ``corpus events --json`` lists them
    GET  /api/dlq?limit=            dead letters
    POST /api/dlq/<id>/requeue      requeue one dead letter (``all`` for every one)
    GET  /, /article?ref=           the dashboard and an article's page (static files from ``web/``)

Access (``Access``, a middleware): the probes and the static pages are open. Other GETs
need no token from a loopback client whose ``Host`` header names a loopback address or an
allowed host (``host_names_loopback``), unless the server is behind a proxy, where
every client is loopback. Everything else needs ``Authorization: Bearer <token>`` or the
``corpus_token`` cookie that ``GET /?token=<token>`` sets (HttpOnly, SameSite=Strict) before
redirecting to the dashboard; a cookie-authenticated POST must also come from the same origin.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ingest.monitor import queries
from ingest.monitor.collector import CorpusCollector
from workers.ops import metrics
from workers.ops.dlq import Ambiguous, DeadLetters, NotFound
from workers.ops.status import Unreachable, collect, guarded, unreachable_report

log = logging.getLogger("corpus.serve")

WEB = Path(__file__).with_name("web")
COOKIE = "corpus_token"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/", "/index.html", "/article", "/favicon.svg"})
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}


class Json(JSONResponse):
    """JSON that also carries what the store hands back (datetimes, decimals) as text."""

    def render(self, content) -> bytes:
        return json.dumps(content, default=str).encode()


def error(status: int, message: str) -> Json:
    return Json({"error": message}, status_code=status)


def bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter clamped to [low, high]; the default when it is not one."""
    try:
        return max(low, min(high, int(request.query_params.get(name, default))))
    except ValueError:
        return default


# ------------------------------------------------------------------------- access


class Access(BaseHTTPMiddleware):
    """The token rule (module docstring), the security headers on every response, and a
    JSON 500 for an endpoint that raised."""

    def __init__(self, app, *, token: str, behind_proxy: bool, allowed_hosts: frozenset[str]) -> None:
        super().__init__(app)
        self.token, self.behind_proxy, self.allowed_hosts = token, behind_proxy, allowed_hosts

    async def dispatch(self, request: Request, call_next) -> Response:
        if not self.allows(request):
            response = error(401, "unauthorized: send Authorization: Bearer <CORPUS_API_TOKEN>")
        else:
            try:
                response = await call_next(request)
            except Exception as exc:  # never a traceback to the client
                log.exception("%s %s failed", request.method, request.url.path)
                response = error(500, f"{type(exc).__name__}: {exc}")
        response.headers.update(SECURITY_HEADERS)
        return response

    def allows(self, request: Request) -> bool:
        if request.method in ("GET", "HEAD"):
            path = request.url.path
            return (path in OPEN_PATHS or path.startswith("/static/") or self.trusted_client(request)
                    or self.authorized(request, state_changing=False))
        return self.authorized(request, state_changing=True)

    def trusted_client(self, request: Request) -> bool:
        """On loopback, naming a loopback (or allowed) host, and not behind a proxy."""
        if self.behind_proxy or request.client is None:
            return False
        return is_loopback(request.client.host) and host_names_loopback(request.headers.get("host"),
                                                                        self.allowed_hosts)

    def authorized(self, request: Request, *, state_changing: bool) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer ") and check_token(header[7:].strip(), self.token):
            return True
        if check_token(request.cookies.get(COOKIE), self.token):
            origin = request.headers.get("origin")
            # SameSite=Strict: a cross-site request never carries the cookie; an Origin must be ours
            return not state_changing or origin is None or urlsplit(origin).netloc == request.headers.get("host")
        return False


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


def check_token(candidate: str | None, token: str) -> bool:
    return bool(candidate) and hmac.compare_digest(candidate.encode(), token.encode())


# ------------------------------------------------------------------------- routes


def make_app(runtime, *, token: str, behind_proxy: bool = False,
             allowed_hosts: frozenset[str] = frozenset()) -> Starlette:
    """The monitor for ``runtime``. Endpoints are plain functions: Starlette runs them in its
    thread pool, so a slow store query holds one thread, not the server."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CorpusCollector(runtime))

    def dashboard(request: Request) -> Response:
        if "token" not in request.query_params:
            return FileResponse(WEB / "index.html")
        if not check_token(request.query_params["token"], token):
            return PlainTextResponse("wrong token\n", status_code=401)
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        location = "/" + (f"?{rest}" if rest else "")  # the token leaves the address bar and history
        return Response(status_code=303, headers={
            "Location": location, "Set-Cookie": f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"})

    def page(name: str):
        return lambda request: FileResponse(WEB / name)

    def metrics_text(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def readyz(request: Request) -> Response:
        report = queries.readiness(runtime)
        return Json(report, status_code=200 if report["ready"] else 503)

    def status(request: Request) -> Response:
        try:
            return Json(collect(runtime))
        except Unreachable as exc:
            return Json(unreachable_report(str(exc)), status_code=503)

    def history(request: Request) -> Response:
        minutes = bounded(request, "minutes", 60, 1, 120)
        return Json({"minutes": guarded(runtime, lambda: metrics.history(runtime.redis, runtime.settings.namespace,
                                                                          minutes=minutes))})

    def failures(request: Request) -> Response:
        limit = bounded(request, "limit", 20, 1, 500)
        return Json({"failures": guarded(runtime, lambda: queries.recent_failures(runtime.engine, limit=limit))})

    def articles(request: Request) -> Response:
        q, limit = request.query_params.get("q", "")[:200], bounded(request, "limit", 20, 1, 500)
        return Json({"q": q, "articles": guarded(runtime, lambda: queries.recent_articles(runtime.engine, q=q,
                                                                                          limit=limit))})

    def article(request: Request) -> Response:
        ref = request.query_params.get("ref", "")[:2000]
        if not ref:
            return error(404, "give ?ref=ID|URL|SOURCE")
        found = guarded(runtime, lambda: queries.article(runtime.engine, ref))
        return Json(found) if found else error(404, f"no article {ref}: not an article id, nor the URL or source "
                                                    "of a document that has one")

    def events(request: Request) -> Response:
        hours = bounded(request, "hours", 72, 0, 24 * 3650)
        min_size, limit = bounded(request, "min_size", 2, 1, 1_000_000), bounded(request, "limit", 10, 1, 200)
        found = guarded(runtime, lambda: queries.largest_events(runtime.engine, hours=hours, min_size=min_size,
                                                                limit=limit))
        return Json({"hours": hours, "min_size": min_size, "events": found})

    def dlq(request: Request) -> Response:
        limit = bounded(request, "limit", 20, 1, 500)
        letters = DeadLetters(guarded(runtime, lambda: runtime.redis), runtime.settings.namespace)
        return Json(guarded(runtime, lambda: {"count": letters.count(), "dead_letters": letters.list(limit=limit)}))

    def requeue(request: Request) -> Response:
        message_id = request.path_params["message_id"]
        letters = DeadLetters(guarded(runtime, lambda: runtime.redis), runtime.settings.namespace)
        try:
            if message_id == "all":
                n = guarded(runtime, letters.requeue_all)
            else:
                n = int(guarded(runtime, lambda: letters.requeue(message_id)))
                if not n:
                    return error(409, "taken meanwhile (requeued or purged)")
        except NotFound as exc:
            return error(404, exc.args[0])
        except Ambiguous as exc:
            return error(409, exc.args[0])
        log.info("requeued %s dead letter(s) (%s) for %s", n, message_id, request.client and request.client.host)
        return Json({"requeued": n})

    routes = [
        Route("/healthz", lambda request: Json({"status": "ok"})),
        Route("/readyz", readyz),
        Route("/", dashboard),
        Route("/index.html", page("index.html")),
        Route("/article", page("article.html")),
        Route("/favicon.svg", page("favicon.svg")),
        Mount("/static", StaticFiles(directory=WEB)),
        Route("/metrics", metrics_text),
        Route("/api/status", status),
        Route("/api/history", history),
        Route("/api/failures", failures),
        Route("/api/articles", articles),
        Route("/api/article", article),
        Route("/api/events", events),
        Route("/api/dlq", dlq),
        Route("/api/dlq/{message_id}/requeue", requeue, methods=["POST"]),
    ]

    def unreachable(request: Request, exc: Unreachable) -> Response:
        return error(503, str(exc))

    def not_found(request: Request, exc) -> Response:
        return error(404, f"no such endpoint: {request.method} {request.url.path}")

    return Starlette(
        routes=routes,
        middleware=[Middleware(Access, token=token, behind_proxy=behind_proxy, allowed_hosts=allowed_hosts)],
        exception_handlers={Unreachable: unreachable, 404: not_found},
    )
