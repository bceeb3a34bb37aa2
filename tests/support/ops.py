"""Helpers for the ops tests (no tests here): worker and monitor subprocesses, HTTP calls,
dead letters made through dramatiq's own Redis scripts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zlib
from email.message import Message
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import servers
from tests.conftest import ROOT, CorpusEnv


@dataclass
class Proc:
    """A CLI subprocess in its own process group, logging to files; ``stop`` ends the group."""

    name: str
    process: subprocess.Popen
    log: Path
    stopped: bool = field(default=False)

    @classmethod
    def start(cls, env: CorpusEnv, name: str, *args: str, log_dir: Path) -> "Proc":
        log = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        handle = open(log, "wb")
        process = subprocess.Popen([sys.executable, "-m", "ingest.cli", *args], env=env.env, cwd=ROOT,
                                   stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        return cls(name, process, log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            # The leader only: dramatiq's main process passes SIGTERM on to its workers, and
            # a worker that gets a second SIGTERM kills itself without its shutdown hooks.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        try:  # whatever is left of the group
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.stopped = True
        return self.process.returncode


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def cli(env: CorpusEnv, monkeypatch, *args: str, input: str | None = None) -> CliResult:
    """Run a corpus command in this process (typer's runner): the same code, exit code and
    output as ``env.run``, without a Python start-up per call."""
    from typer.testing import CliRunner

    from ingest.cli.main import app

    env.activate(monkeypatch)
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def alive_workers(env: CorpusEnv) -> int:
    import redis

    from workers.queue.registry import alive_workers as alive

    return len(alive(redis.Redis.from_url(env.redis_url), env.namespace))


def start_worker(env: CorpusEnv, log_dir: Path, *, timeout: float = 90) -> Proc:
    worker = Proc.start(env, "worker", "worker", "--processes", "1", "--threads", "2", log_dir=log_dir)
    try:
        servers.wait_until(lambda: alive_workers(env) > 0 or not worker.alive(), timeout, interval=0.2,
                           message="the worker's first heartbeat")
    except TimeoutError:
        worker.stop()
        raise
    if not worker.alive():
        raise AssertionError(f"the worker exited: {worker.output()[-3000:]}")
    return worker


def start_monitor(env: CorpusEnv, log_dir: Path, *, timeout: float = 60) -> tuple[Proc, str]:
    port = servers.free_port()
    monitor = Proc.start(env, "serve", "serve", "--host", "127.0.0.1", "--port", str(port), log_dir=log_dir)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if not monitor.alive():
            return True
        try:
            return get(base + "/healthz")[0] == 200
        except OSError:
            return False

    try:
        servers.wait_until(answers, timeout, interval=0.2, message="corpus serve to answer /healthz")
    except TimeoutError:
        monitor.stop()
        raise
    if not monitor.alive():
        raise AssertionError(f"corpus serve exited: {monitor.output()[-3000:]}")
    return monitor, base


def request(url: str, *, method: str = "GET", headers: dict | None = None, data: bytes | None = None,
            timeout: float = 30) -> tuple[int, Message, bytes]:
    """(status, headers, body) without raising on HTTP error statuses or following redirects.
    The headers are looked up ignoring case, as HTTP names them (uvicorn sends them lower-case)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def get(url: str, **kwargs) -> tuple[int, bytes]:
    status, _, body = request(url, **kwargs)
    return status, body


def get_json(url: str, **kwargs) -> tuple[int, dict]:
    status, body = get(url, **kwargs)
    return status, json.loads(body)


# ------------------------------------------------------------------- dead letters


def enqueue_message(env: CorpusEnv, monkeypatch, args: tuple, **options) -> str:
    """Put a process_document message on the env's queue (as ``process_document.send``
    would, without importing the actors module, which binds the first broker it sees)."""
    import dramatiq

    from workers.keys import QUEUE
    from workers.runtime import runtime

    env.activate(monkeypatch)
    message = dramatiq.Message(queue_name=QUEUE, actor_name="process_documents", args=args, kwargs={},
                               options=options)
    return runtime().broker.enqueue(message).options["redis_message_id"]


def dead_letter_without_worker(env: CorpusEnv, monkeypatch, args: tuple, *, traceback: str | None = None) -> str:
    """Make a dead letter the way a worker does (fetch, then nack, with dramatiq's own
    script), without running one; returns its id."""
    from workers.keys import QUEUE
    from workers.queue.dead_letters import record_reason
    from workers.runtime import runtime

    rid = enqueue_message(env, monkeypatch, args, max_retries=0)
    broker = runtime().broker
    fetched = broker.do_fetch(QUEUE, 100)
    assert fetched, "the message should have been fetched"
    broker.do_nack(QUEUE, rid)
    if traceback is not None:
        record_reason(runtime().redis, env.namespace, rid, traceback, None)
    return rid


def record_document(env: CorpusEnv, monkeypatch, source: str, text: str, *, corrupt: bool = False) -> int:
    """Store one text document (not enqueued); ``corrupt`` garbles its stored bytes so that
    processing it raises until ``repair_document`` is called."""
    from sqlalchemy import update

    from models.db import session_scope
    from models.documents import NewDocument, record
    from models.tables import Document
    from workers.runtime import runtime

    env.activate(monkeypatch)
    engine = runtime().engine
    with session_scope(engine) as session:
        [(doc_id, _)] = record(session, [NewDocument(source=source, data=text.encode(), format="text")])
    if corrupt:
        with session_scope(engine) as session:
            session.execute(update(Document).where(Document.id == doc_id).values(raw=b"\x00not zlib data"))
    return doc_id


def repair_document(env: CorpusEnv, monkeypatch, doc_id: int, text: str) -> None:
    from sqlalchemy import update

    from models.db import session_scope
    from models.tables import Document
    from workers.runtime import runtime

    env.activate(monkeypatch)
    with session_scope(runtime().engine) as session:
        session.execute(update(Document).where(Document.id == doc_id).values(raw=zlib.compress(text.encode())))


def document_row(env: CorpusEnv, monkeypatch, doc_id: int) -> dict:
    from models.db import session_scope
    from models.tables import Document
    from workers.runtime import runtime

    env.activate(monkeypatch)
    with session_scope(runtime().engine) as session:
        d = session.get(Document, doc_id)
        return {"status": d.status, "error": d.error, "source": d.source}
