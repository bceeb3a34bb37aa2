"""corpus serve trusts loopback only for loopback Host names (DNS rebinding), and never
behind a proxy: a real server, real requests from 127.0.0.1."""

from __future__ import annotations

import uuid

import pytest

from tests.support import servers
from tests.support.ops import Proc, get, request

TOKEN = "test-token-" + uuid.uuid4().hex


def start(env, log_dir, *args: str) -> tuple[Proc, str]:
    port = servers.free_port()
    proc = Proc.start(env, f"serve-{uuid.uuid4().hex[:6]}", "serve", "--port", str(port), *args, log_dir=log_dir)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if not proc.alive():
            return True
        try:
            return get(base + "/healthz")[0] == 200
        except OSError:
            return False

    servers.wait_until(answers, 60, interval=0.2, message="corpus serve to answer /healthz")
    assert proc.alive(), proc.output()[-3000:]
    return proc, base


def status_with_host(base: str, host: str | None, **headers) -> int:
    if host is not None:
        headers["Host"] = host
    return request(base + "/api/status", headers=headers)[0]


def test_loopback_trust_needs_a_loopback_host_name(sqlite_corpus, tmp_path):
    proc, base = start(sqlite_corpus, tmp_path, "--host", "127.0.0.1", "--allow-host", "corpus.internal")
    try:
        port = base.rsplit(":", 1)[1]
        assert status_with_host(base, f"127.0.0.1:{port}") == 200
        assert status_with_host(base, f"localhost:{port}") == 200
        assert status_with_host(base, "corpus.internal") == 200  # the allow-list
        assert status_with_host(base, "evil.example") == 401  # a rebinding page says its own name
        assert status_with_host(base, f"evil.example:{port}") == 401
        assert status_with_host(base, "127.0.0.1.evil.example") == 401
        assert status_with_host(base, "") == 401
        assert request(base + "/metrics", headers={"Host": "evil.example"})[0] == 401
        assert status_with_host(base, "evil.example") == 401
        assert get(base + "/healthz", headers={"Host": "evil.example"})[0] == 200  # probes stay open
    finally:
        proc.stop()


def test_behind_a_proxy_the_token_is_always_required(sqlite_corpus, tmp_path):
    sqlite_corpus.extra["CORPUS_API_TOKEN"] = TOKEN
    sqlite_corpus.extra["CORPUS_BEHIND_PROXY"] = "1"
    proc, base = start(sqlite_corpus, tmp_path, "--host", "127.0.0.1")
    try:
        port = base.rsplit(":", 1)[1]
        assert status_with_host(base, f"127.0.0.1:{port}") == 401
        assert status_with_host(base, f"127.0.0.1:{port}", Authorization=f"Bearer {TOKEN}") == 200
    finally:
        proc.stop()


def test_a_public_address_without_a_token_falls_back_to_loopback_when_asked(sqlite_corpus, tmp_path):
    proc, base = start(sqlite_corpus, tmp_path, "--host", "0.0.0.0", "--loopback-without-token")
    try:
        assert get(base + "/healthz")[0] == 200
        assert "serving on 127.0.0.1 only" in proc.output()
    finally:
        proc.stop()


def test_host_names_loopback():
    from ingest.monitor.server import host_names_loopback

    assert host_names_loopback("localhost:8000") and host_names_loopback("127.0.0.1") and host_names_loopback("[::1]:80")
    assert host_names_loopback("app.localhost") and host_names_loopback("x.internal", frozenset({"x.internal"}))
    for bad in ("evil.example", "127.0.0.1.nip.io", "", None, "[::1", "0.0.0.0", "10.0.0.1:80"):
        assert not host_names_loopback(bad), bad
