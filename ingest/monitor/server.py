"""``corpus serve``: the monitor (``ingest.monitor.app``) under uvicorn.

Binding to anything but loopback needs ``CORPUS_API_TOKEN``; without a configured token a
loopback server makes one up at start and prints the URL that opens the dashboard with it.
``--behind-proxy`` (``CORPUS_BEHIND_PROXY=1``) needs the token: behind a reverse proxy on
the same host every request comes from loopback, so loopback is not trusted there. Uvicorn
reads no ``X-Forwarded-*`` header: the client address the token rule sees is the socket's.
"""

from __future__ import annotations

import secrets
import signal
import socket
import sys
import threading

import uvicorn

from ingest.monitor.app import host_names_loopback, is_loopback, log, make_app  # noqa: F401 - re-exported
from workers.ops.status import Unreachable, guarded
from workers.queue.counters import sample_queues

SAMPLE_S = 10.0


class ServeError(RuntimeError):
    """The monitor cannot start (e.g. a public address without CORPUS_API_TOKEN)."""


def sample_forever(runtime, stop: threading.Event) -> None:
    """Sample the queue depth into the minute history while the server runs (the workers
    sample too; the dashboard's hour then has no gaps while either runs)."""
    while not stop.is_set():
        try:
            guarded(runtime, lambda: sample_queues(runtime.redis, runtime.settings.namespace))
        except Exception as exc:
            log.debug("sample skipped: %s", exc)
        stop.wait(SAMPLE_S)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before uvicorn starts (a clear error, and the real port)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(runtime, *, host: str, port: int, behind_proxy: bool = False, allowed_hosts: frozenset[str] = frozenset(),
        loopback_without_token: bool = False) -> None:
    """Serve until SIGTERM or Ctrl-C. ``loopback_without_token``: a public ``host`` without a
    token binds to 127.0.0.1 instead of refusing (a container that starts before its token
    is set: its own health check still reaches it)."""
    configured = runtime.settings.api_token
    if not is_loopback(host) and not configured:
        if not loopback_without_token:
            raise ServeError(f"refusing to serve on {host} without a token: set CORPUS_API_TOKEN "
                             "(or bind to 127.0.0.1)")
        print(f"warning: CORPUS_API_TOKEN is not set: serving on 127.0.0.1 only, not on {host}",
              file=sys.stderr, flush=True)
        host = "127.0.0.1"
    if behind_proxy and not configured:
        raise ServeError("--behind-proxy needs CORPUS_API_TOKEN: every request must carry it")
    token = configured or secrets.token_urlsafe(24)
    sock = listen(host, port)
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    base = f"http://{shown}:{sock.getsockname()[1]}/"
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
    app = make_app(runtime, token=token, behind_proxy=behind_proxy, allowed_hosts=allowed_hosts)
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False, server_header=False,
                            lifespan="off", timeout_graceful_shutdown=5)
    stop = threading.Event()
    threading.Thread(target=sample_forever, args=(runtime, stop), name="corpus-sampler", daemon=True).start()
    # uvicorn stops on SIGTERM and SIGINT, then raises the signal again to the handler it found:
    # a quiet one here, so that an orderly stop exits 0 (and not by the signal or a traceback).
    previous = {sig: signal.signal(sig, lambda signum, frame: None) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop.set()
        sock.close()
        print("corpus monitor stopped", file=sys.stderr, flush=True)
