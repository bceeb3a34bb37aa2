"""The watched inbox: files dropped into a folder become documents.

Inbox semantics: a ready file is claimed by an atomic rename into ``processing/`` (so two
watchers never take the same file), recorded and enqueued, and moved to ``done/`` or to
``failed/`` beside ``NAME.error.txt`` once its document is settled. Nothing is deleted.

A file is ready when its name is not temporary or hidden and its size and modification
time have not changed for ``settle_s``. watchdog events wake the loop early; a periodic
rescan catches what events miss (network file systems, files dropped while stopped), and
files left in ``processing/`` by a crash are taken up again at start.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from models.db import session_scope
from models.store import record, statuses
from models.tables import Document
from ingest import readers

log = logging.getLogger("corpus.watch")

STATE_DIRS = ("processing", "done", "failed")


class Watcher:
    def __init__(self, runtime, inbox: Path, *, interval: float = 2.0, settle_s: float = 1.0) -> None:
        self.runtime = runtime
        self.inbox = inbox.absolute()
        self.interval = interval
        self.settle_s = settle_s
        self.seen: dict[Path, tuple[int, float, float]] = {}  # path -> (size, mtime, first seen unchanged)
        self.claimed: dict[int, Path] = {}  # document id -> file in processing/
        self.wake = threading.Event()
        self.stop = threading.Event()
        for name in STATE_DIRS:
            (self.inbox / name).mkdir(parents=True, exist_ok=True)

    # -- lifecycle

    def run(self) -> None:
        from workers.actors import enqueue

        self.send = enqueue
        observer = self._start_observer()
        log.info("watching %s", self.inbox)
        try:
            self.resume()
            while not self.stop.is_set():
                self.step()
                self.wake.wait(self.interval)
                self.wake.clear()
        except KeyboardInterrupt:
            pass
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def _start_observer(self):
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency; rescans still work
            return None
        watcher = self

        class Wake(FileSystemEventHandler):
            def on_any_event(self, event):
                watcher.wake.set()

        observer = Observer()
        observer.schedule(Wake(), str(self.inbox), recursive=True)
        observer.daemon = True
        observer.start()
        return observer

    def step(self) -> None:
        self.claim_ready()
        self.settle()

    # -- claiming

    def candidates(self):
        for root, dirs, files in os.walk(self.inbox):
            here = Path(root)
            if here == self.inbox:
                dirs[:] = sorted(d for d in dirs if d not in STATE_DIRS and not d.startswith("."))
            else:
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = here / name
                if not readers.is_hidden_or_temporary(path):
                    yield path

    def claim_ready(self) -> None:
        now = time.monotonic()
        present = set()
        batch: list[tuple[Path, Path]] = []
        for path in self.candidates():
            present.add(path)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            previous = self.seen.get(path)
            if previous is None or previous[:2] != (stat.st_size, stat.st_mtime):
                self.seen[path] = (stat.st_size, stat.st_mtime, now)
                continue
            if now - previous[2] < self.settle_s:
                continue
            target = self.inbox / "processing" / path.relative_to(self.inbox)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(path, target)
            except FileNotFoundError:  # another watcher took it
                continue
            self.seen.pop(path, None)
            batch.append((path, target))
            if len(batch) >= 500:
                self.enqueue(batch)
                batch = []
        for gone in set(self.seen) - present:
            self.seen.pop(gone, None)
        if batch:
            self.enqueue(batch)

    def resume(self) -> None:
        processing = self.inbox / "processing"
        left = [p for p in sorted(processing.rglob("*")) if p.is_file()]
        if left:
            log.info("taking up %d file(s) left in processing/", len(left))
        for start in range(0, len(left), 500):
            chunk = left[start : start + 500]
            self.enqueue([(self.inbox / p.relative_to(processing), p) for p in chunk])

    def enqueue(self, batch: list[tuple[Path, Path]]) -> None:
        documents, files = [], []
        for original, claimed in batch:
            relative = original.relative_to(self.inbox)
            site = relative.parts[0] if len(relative.parts) > 1 else None
            try:
                documents.append(readers.read(claimed, source=str(original), site=site))
                files.append(claimed)
            except readers.ReadError as exc:
                self.finish(claimed, str(exc))
        if not documents:
            return
        with session_scope(self.runtime.engine) as session:
            recorded = record(session, documents)
        for claimed, (doc_id, _new) in zip(files, recorded):
            self.claimed[doc_id] = claimed
        self.send(doc_id for doc_id, _ in recorded)

    # -- settling

    def settle(self) -> None:
        if not self.claimed:
            return
        with session_scope(self.runtime.engine) as session:
            current = statuses(session, self.claimed)
            errors = {
                doc_id: session.get(Document, doc_id).error
                for doc_id, status in current.items()
                if status == "failed"
            }
        for doc_id, status in current.items():
            if status == "pending":
                continue
            self.finish(self.claimed.pop(doc_id), errors.get(doc_id))

    def finish(self, claimed: Path, error: str | None) -> None:
        relative = claimed.relative_to(self.inbox / "processing")
        target = self.inbox / ("failed" if error else "done") / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            stem = f"{target.name}.{int(time.time() * 1000)}"
            target = target.with_name(stem)
        shutil.move(str(claimed), target)
        if error:
            target.with_name(target.name + ".error.txt").write_text(error + "\n", encoding="utf-8")
