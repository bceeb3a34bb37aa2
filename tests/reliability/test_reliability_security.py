"""No pickle anywhere (the code, the wire, Redis), and passwords in URLs are never shown.
(Names from records and WARC headers staying names is checked in test_reliability_input;
the embedded Redis's unix socket permissions in test_embedded_redis.)"""

from __future__ import annotations

import json
import re
import string

import redis

from tests.conftest import ROOT

PICKLE = re.compile(r"\b(c?[Pp]ickle|dill|marshal\.loads|PickleEncoder|shelve)\b")


def test_no_pickle_in_the_code():
    offenders = []
    for folder in ("ingest", "workers", "models", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if PICKLE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


def _printable(value: bytes) -> bool:
    return all(chr(b) in string.printable for b in value)


def assert_redis_holds_only_json_and_our_records(env) -> None:
    """Every value corpus wrote under ``env``'s namespace is JSON, a plain id or number,
    or one of the LSH index's own binary records: never a pickle. Called at the end of
    the runs of test_reliability_input and test_reliability_database (messages, retries
    with their tracebacks, worker records, metrics, the index)."""
    import dramatiq
    from dramatiq.encoder import JSONEncoder

    from workers.steps import dedup
    from workers.index.lsh import RECORD_BYTES

    assert isinstance(dramatiq.get_encoder(), JSONEncoder)
    client = redis.Redis.from_url(env.redis_url)
    lsh = f"{env.namespace}:lsh:".encode()
    checked = 0
    for key in client.scan_iter(match=f"{env.namespace}:*", count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key)]
        elif kind == "hash":
            values = [v for pair in client.hgetall(key).items() for v in pair]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        else:
            raise AssertionError(f"unexpected {kind} at {key!r}")
        for value in values:
            checked += 1
            if key.startswith(lsh):
                name = key[len(lsh):]
                if name.startswith(b"r:"):  # fingerprint records in fixed slots
                    assert len(value) % RECORD_BYTES == 0
                    assert {value[i] for i in range(0, len(value), RECORD_BYTES)} <= {0, dedup.VERSION}
                elif name == b"meta" and value.startswith(b"{"):
                    json.loads(value)
                continue  # bucket and day lists: packed uint32 ids
            assert not value.startswith(b"\x80"), f"pickle-like value at {key!r}"
            if value[:1] in (b"{", b"["):
                message = json.loads(value)  # messages, worker records, dead-letter reasons, metrics
                if b".msgs" in key and isinstance(message, dict) and "actor_name" in message:
                    assert message["actor_name"] == "process_documents"
            else:
                assert _printable(value), f"binary value {value[:40]!r} at {key!r}"
    assert checked > 20


def test_passwords_in_urls_are_masked_everywhere(sqlite_corpus, tmp_path):
    from models.db import mask_url

    assert mask_url("postgresql+psycopg://corpus:sekret@db:5432/corpus") == "postgresql+psycopg://corpus:***@db:5432/corpus"
    env = sqlite_corpus
    env.database_url = "postgresql+psycopg://corpus:sekret-db@127.0.0.1:1/corpus"
    for command in (["status", "--json"], ["verify"], ["worker"]):
        result = env.run(*command, timeout=120)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        shown = result.stdout + result.stderr
        assert "CORPUS_DATABASE_URL" in shown, (command, shown)
        assert "sekret" not in shown and "Traceback" not in shown, (command, shown)
        assert "corpus:***@" in shown, (command, shown)


def test_a_url_encoded_password_works_and_is_never_shown(sqlite_corpus, postgres_server):
    """``p%40ss`` (``p@ss``) used to break every command in Alembic's config parser, and the
    error quoted the whole URL. The test server trusts local connections, so any password is
    accepted: what is checked is that the URL reaches the driver intact and is never printed."""
    from models.db import mask_url, redact

    url = postgres_server.create_database()
    secret_url = url.replace("postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:p%40ss@")
    assert secret_url != url
    assert mask_url(secret_url) == url.replace("postgres@", "postgres:***@")
    assert redact(f"at {secret_url}: p@ss", secret_url) == f"at {mask_url(secret_url)}: ***"
    env = sqlite_corpus
    try:
        env.database_url = secret_url
        result = env.run("status", "--json", timeout=120)
        assert result.returncode == 0, (result.stdout, result.stderr)
        assert json.loads(result.stdout)["health"] == "healthy"
        result = env.run("ingest", str(ROOT / "seeds"), "--json", timeout=120)
        assert result.returncode == 0, (result.stdout, result.stderr)
        for shown in (result.stdout + result.stderr, env.run("verify").stdout):
            assert "p@ss" not in shown and "p%40ss" not in shown
        env.database_url = secret_url.replace(":5432/", ":1/").replace(f":{postgres_server.port}/", ":1/")
        for command in (["status", "--json"], ["verify"]):
            result = env.run(*command, timeout=120)
            shown = result.stdout + result.stderr
            assert result.returncode == 2, (command, shown)
            assert "p@ss" not in shown and "p%40ss" not in shown and "Traceback" not in shown, (command, shown)
            assert "postgres:***@" in shown, (command, shown)
    finally:
        postgres_server.drop_database(url)
