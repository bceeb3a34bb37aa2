"""The watched inbox: files dropped into a folder become documents.

Inbox semantics: a ready file is claimed by an atomic rename into ``processing/`` (so two
watchers never take the same file), read, recorded and enqueued, and moved to ``done/``
or to ``failed/`` beside ``NAME.error.txt`` once every document it gave is settled.
Nothing is deleted. ``DIR/<site>/file`` records ``<site>``.

Ready: a name that is not temporary or hidden (``.part``, ``.tmp``, ``~``, dotfiles) whose
size and modification time have not moved for ``settle_s`` (``CORPUS_INBOX_SETTLE_S``) —
every write moves the mtime, so an mtime ``settle_s`` old is that, without remembering
anything per file — and that no writer holds open: where inotify is available, a file
with a write seen and no close-after-write yet is not ready, however long its writer
pauses (for at most ``WRITER_EXPIRY_S`` without a write, in case an event was lost). A
file renamed into the inbox (a watchdog move event) is ready at once.

A claimed file is checked again after it is read: when its size or mtime moved while it
was read, what was read is dropped and the file read again (the last document read is
held back until the check passes: with an appending writer only it can be cut short),
and once more before it moves to ``done/``: a file that changed after it was recorded is
read and recorded again, never left truncated in the store while the whole file sits in
``done/``.

The state is the folders and the store, never the watcher's memory: watchdog events wake
the loop early, a periodic rescan catches what events miss (network file systems, files
dropped while stopped), and every file in ``processing/`` that this watcher is not
following — left by a crash, or by a step that Redis or the database interrupted — is
read and recorded again (recording is idempotent: same source, same bytes, same
document). At most ``window`` files are in ``processing/`` at once, so a 100,000-file drop
costs a directory scan per step, not a list in memory. The backlog is published for
``corpus status`` in the Redis hash ``{namespace}:inbox``.
"""

from __future__ import annotations

import logging
import os
import signal
import stat
import threading
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from ingest import readers
from ingest.formats.base import not_regular
from ingest.intake import Intake, Recorded
from models.db import read_scope, session_scope
from models.documents import move_sources
from models.tables import PENDING, Document
from workers.keys import inbox_key

log = logging.getLogger("corpus.watch")

STATE_DIRS = ("processing", "done", "failed")
RECORD_BATCH = 500  # documents per store transaction
STATUS_CHUNK = 900  # ids per IN (...) query
MAX_BACKOFF_S = 30.0
#: a file with a write seen and no close-after-write counts as open for this long after its
#: last write: inotify drops events when its queue overflows, and a lost close must not
#: hold a file back for ever; ten minutes is far longer than any pause of a live copy
WRITER_EXPIRY_S = 600.0
#: reads of a file that keeps changing while it is read before it is left for the next step
REREADS = 3


class _Stopped(Exception):
    """SIGTERM/SIGINT arrived in the middle of a step; the step's files stay in processing/."""


@dataclass
class Claimed:
    """A file in ``processing/`` whose documents are recorded and enqueued."""

    path: Path
    container: bool
    ids: array = field(default_factory=lambda: array("q"))
    position: int = 0  # ids before this one are settled
    failed: int = 0
    first_error: str | None = None
    skipped: int = 0
    error: str | None = None  # the file itself could not be read
    signature: tuple[int, int] | None = None  # (size, mtime_ns) of what was read

    def outcome(self) -> str | None:
        """None when the file goes to done/, else the reason it goes to failed/."""
        if self.error:
            return self.error
        if not self.container:
            return self.first_error if self.failed else None
        if not self.ids:
            extra = f" ({self.skipped} record(s) that are not documents skipped)" if self.skipped else ""
            return f"no documents in this file{extra}"
        if self.failed == len(self.ids):
            return f"all {self.failed} record(s) failed; the first: {self.first_error}"
        return None


class Watcher:
    def __init__(self, runtime, inbox: Path, *, interval: float = 2.0, settle_s: float | None = None,
                 window: int = 1000) -> None:
        self.runtime = runtime
        self.inbox = inbox.absolute()
        self.processing = self.inbox / "processing"
        self.interval = interval
        self.settle_s = runtime.settings.inbox_settle_s if settle_s is None else settle_s
        self.skipped = 0  # entries set aside or passed over since the start (links, FIFOs, unreadable folders)
        self.passed_over: set[Path] = set()
        self.writing: dict[Path, float] = {}  # open for writing (inotify): path -> monotonic time of its last write
        self.window = window
        self.tracked: dict[Path, Claimed] = {}
        self.backlog = 0
        self.in_processing = 0
        self.renamed_in: set[Path] = set()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stop = threading.Event()
        for name in STATE_DIRS:
            (self.inbox / name).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ lifecycle

    def run(self) -> None:
        """Watch until SIGTERM/SIGINT. Redis or the database going away is logged and
        waited out with backoff; unreachable at start, they raise (exit 2 in the CLI)."""
        self.runtime.engine, self.runtime.redis  # noqa: B018 - fail now, naming the variable to fix
        _log_to_stderr()
        self._install_signals()
        observer = self._start_observer()
        log.info("watching %s", self.inbox)
        left = self._count_processing()
        if left:
            log.info("taking up %d file(s) left in processing/ by an earlier run", left)
        failures = 0
        try:
            while not self.stop.is_set():
                try:
                    self.step()
                    failures = 0
                except _Stopped:
                    break
                except Exception as exc:  # Redis/database hiccups above all: log, back off, go on
                    failures += 1
                    delay = min(MAX_BACKOFF_S, 0.5 * 2**failures)
                    log.warning("inbox step failed (%s: %s); trying again in %.0fs", type(exc).__name__,
                                str(exc).splitlines()[0] if str(exc) else "", delay,
                                exc_info=log.isEnabledFor(logging.DEBUG))
                    self.stop.wait(delay)
                    continue
                self.wake.wait(self.interval if not self._busy() else min(self.interval, 0.5))
                self.wake.clear()
                time.sleep(0.05)  # let a burst of events coalesce
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            self.publish()
            log.info("stopped; %d file(s) left in processing/ are taken up at the next start", self.in_processing)

    def request_stop(self, *_args) -> None:
        self.stop.set()
        self.wake.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.request_stop)

    def _busy(self) -> bool:
        return bool(self.tracked)

    def _start_observer(self):
        watcher = self
        state_dirs = tuple(str(self.inbox / name) + os.sep for name in STATE_DIRS)

        class Wake(FileSystemEventHandler):
            def on_any_event(self, event):
                path = os.fsdecode(event.src_path)
                dest = os.fsdecode(getattr(event, "dest_path", "") or "")
                if not event.is_directory:
                    watcher._writes(event.event_type, Path(path))
                if dest and event.event_type == "moved" and not dest.startswith(state_dirs):
                    if readers.is_hidden_or_temporary(Path(path)) or not path.startswith(str(watcher.inbox)):
                        with watcher.lock:
                            if len(watcher.renamed_in) < 100_000:
                                watcher.renamed_in.add(Path(dest))
                if path.startswith(state_dirs) or dest.startswith(state_dirs):
                    return  # our own moves
                watcher.wake.set()

        try:
            observer = Observer()
            observer.schedule(Wake(), str(self.inbox), recursive=True)
            observer.daemon = True
            observer.start()
        except OSError as exc:  # inotify limits: rescans alone still find everything
            log.warning("file events unavailable (%s); rescanning every %.1fs", exc, self.interval)
            return None
        return observer

    def _writes(self, event_type: str, path: Path) -> None:
        """Follow which files a writer holds open: a write marks it, its close (inotify's
        IN_CLOSE_WRITE, watchdog's ``closed``) or a move clears it."""
        with self.lock:
            if event_type == "modified":  # IN_MODIFY, a write (a "created" may be a synthetic event of a rescan)
                if len(self.writing) < 100_000 or path in self.writing:
                    self.writing[path] = time.monotonic()
            elif event_type in ("closed", "moved", "deleted"):
                self.writing.pop(path, None)

    def _held_open(self, path: Path) -> bool:
        with self.lock:
            last_write = self.writing.get(path)
            if last_write is None:
                return False
            if time.monotonic() - last_write < WRITER_EXPIRY_S:
                return True
            del self.writing[path]
            return False

    def step(self) -> None:
        self.settle()
        self.claim()
        self.ingest_untracked()
        self.settle()
        self.publish()

    # ------------------------------------------------------------------- claiming

    def candidates(self) -> Iterator[Path]:
        """Entries waiting in the inbox (not in the state folders, not hidden or temporary),
        streamed from the directory scan: files, and anything else that is not a folder
        (links, FIFOs, sockets: ``claim`` sets those aside). A folder that cannot be listed
        is logged once and passed over; the rest of the inbox goes on."""
        stack = [self.inbox]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.name.startswith("."):
                            continue
                        if entry.is_dir(follow_symlinks=False):
                            if folder != self.inbox or entry.name not in STATE_DIRS:
                                stack.append(Path(entry.path))
                        elif not readers.is_hidden_or_temporary(Path(entry.name)):
                            yield Path(entry.path)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                self._pass_over(folder, str(readers.open_error(folder, exc)))

    def _pass_over(self, path: Path, reason: str) -> None:
        """Log and count an entry that cannot be read and cannot be moved aside (once per path)."""
        if path in self.passed_over or len(self.passed_over) >= 100_000:
            return
        self.passed_over.add(path)
        self.skipped += 1
        log.warning("skipped %s", reason)

    def _set_aside(self, path: Path) -> bool:
        """Move an entry that is not a regular file (a symbolic link, a FIFO, a socket, a
        device) to failed/ with its reason, without opening it; True when it was one."""
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return True  # gone: nothing to claim
        except OSError as exc:
            self._pass_over(path, str(readers.open_error(path, exc)))
            return True
        if stat.S_ISLNK(info.st_mode):
            reason = (f"a symbolic link (to {os.path.realpath(path)}): the inbox reads only regular files "
                      "dropped into it; copy or move the file itself in")
        else:
            reason = not_regular(info.st_mode)
            if reason is None:
                return False
        relative = path.relative_to(self.inbox)
        target = unique(self.inbox / "failed" / relative)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(path, target)
            target.with_name(target.name + ".error.txt").write_text(f"{relative}: {reason}\n", encoding="utf-8")
        except FileNotFoundError:
            return True
        except OSError as exc:
            self._pass_over(path, f"{relative}: {reason} (and it could not be moved to failed/: {exc.strerror})")
            return True
        self.skipped += 1
        log.warning("set aside %s: %s", relative, reason)
        return True

    def _ready(self, path: Path, now: float) -> bool:
        if self._held_open(path):
            return False  # a writer holds it open, maybe only pausing
        with self.lock:
            if path in self.renamed_in:
                self.renamed_in.discard(path)
                return True
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        return now - stat.st_mtime >= self.settle_s

    def claim(self) -> None:
        """Rename ready files into processing/ while the window has room; count the rest."""
        free = self.window - self._count_processing()
        backlog = 0
        now = time.time()
        for path in self.candidates():
            if self.stop.is_set():
                raise _Stopped
            if path in self.passed_over or self._set_aside(path):
                continue
            if free <= 0 or not self._ready(path, now):
                backlog += 1
                continue
            target = unique(self.processing / path.relative_to(self.inbox))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(path, target)
            except FileNotFoundError:  # taken by another watcher, or gone
                continue
            free -= 1
        with self.lock:
            self.renamed_in = {p for p in self.renamed_in if p.exists()}
            self.writing = {p: t for p, t in self.writing.items() if p.exists()}
        self.backlog = backlog

    def _count_processing(self) -> int:
        self.in_processing = sum(1 for _ in self._processing_files())
        return self.in_processing

    def _processing_files(self) -> Iterator[Path]:
        for root, dirs, files in os.walk(self.processing):
            dirs.sort()
            for name in sorted(files):
                yield Path(root) / name

    # ------------------------------------------------------------------ recording

    def ingest_untracked(self) -> None:
        """Read, record and enqueue every file in processing/ not followed yet: just
        claimed, left by a crash, or interrupted by a Redis/database error."""
        pending: list[Claimed] = []  # complete once their documents are recorded and sent

        def attach(recorded: list[Recorded]) -> None:
            for item in recorded:
                item.owner.ids.append(item.id)

        intake = Intake(self.runtime, on_recorded=attach, first=RECORD_BATCH, most=RECORD_BATCH)
        for path in self._processing_files():
            if path in self.tracked:
                continue
            if self.stop.is_set():
                raise _Stopped
            relative = path.relative_to(self.processing)
            original = self.inbox / relative
            site = relative.parts[0] if len(relative.parts) > 1 else None
            claimed = self._read_whole(path, original, site, intake)
            if claimed is None:
                continue  # still changing: read again at the next step
            pending.append(claimed)
            if len(pending) >= RECORD_BATCH:
                intake.flush()
                self._track(pending)
        intake.flush()
        self._track(pending)

    def _read_whole(self, path: Path, original: Path, site: str | None, intake: Intake) -> Claimed | None:
        """Read a claimed file into ``intake``, checking afterwards that it did not change
        while it was read; None when it kept changing (it stays in processing/)."""
        found = readers.format_of(path)
        for attempt in range(REREADS):
            before = signature(path)
            claimed = Claimed(path=path, container=bool(found and found.container), signature=before)
            stats = readers.ReadStats()
            last = None  # held back until the file is known not to have moved: it may be cut short
            try:
                for document in readers.documents(path, source=str(original), site=site, stats=stats):
                    if last is not None:
                        intake.add(last, claimed)
                    last = document
                    if self.stop.is_set():
                        raise _Stopped
            except readers.ReadError as exc:
                claimed.error = str(exc).replace(str(path), str(original))
            after = signature(path)
            if self._held_open(path):  # a writer is still at it (it started before we saw it)
                if path not in self.passed_over:
                    self.passed_over.add(path)  # log it once
                    log.info("%s is still being written; reading it once its writer closes it", original)
                return None
            if before == after:
                if last is not None:
                    intake.add(last, claimed)
                claimed.skipped = stats.skipped
                if stats.skipped:
                    log.info("%s: %d record(s) that are not documents skipped", original, stats.skipped)
                return claimed
            log.warning("%s changed while it was read (%s -> %s bytes); reading it again", original,
                        before[0] if before else "?", after[0] if after else "gone")
            self.stop.wait(min(self.settle_s, 1.0) * (attempt + 1))
        log.warning("%s keeps changing; leaving it in processing/ for the next step", original)
        return None

    def _track(self, pending: list[Claimed]) -> None:
        for claimed in pending:
            self.tracked[claimed.path] = claimed
        pending.clear()

    # ------------------------------------------------------------------- settling

    def settle(self) -> None:
        """Move every file whose documents are all settled to done/ or failed/."""
        if not self.tracked:
            return
        wanted: list[int] = []
        for claimed in self.tracked.values():
            wanted.extend(claimed.ids[claimed.position : claimed.position + STATUS_CHUNK])
            if len(wanted) >= 20 * STATUS_CHUNK:
                break
        found: dict[int, tuple[str, str | None]] = {}
        if wanted:
            with read_scope(self.runtime.engine) as session:
                for start in range(0, len(wanted), STATUS_CHUNK):
                    rows = session.execute(select(Document.id, Document.status, Document.error)
                                           .where(Document.id.in_(wanted[start : start + STATUS_CHUNK])))
                    found.update({doc_id: (status, error) for doc_id, status, error in rows})
        for path, claimed in list(self.tracked.items()):
            while claimed.position < len(claimed.ids):
                status, error = found.get(claimed.ids[claimed.position], (PENDING, None))
                if status == PENDING:
                    break
                if status == "failed":
                    claimed.failed += 1
                    claimed.first_error = claimed.first_error or error or "failed"
                claimed.position += 1
            if claimed.position >= len(claimed.ids):
                if self._held_open(path):
                    continue  # a writer still at it after the claim: wait for its close
                del self.tracked[path]
                if self._changed_since_read(path, claimed):
                    continue  # untracked: read and recorded again at the next step
                try:
                    self.finish(path, claimed.outcome(), claimed.ids)
                except OSError as exc:  # vanished from processing/, or a folder we may not write
                    self.skipped += 1
                    log.warning("could not move %s out of processing/: %s", path.relative_to(self.processing),
                                exc.strerror or exc)

    def _changed_since_read(self, path: Path, claimed: Claimed) -> bool:
        """Whether the file moved on after it was read (a writer still at it after the
        claim): then what was recorded is not the whole file."""
        now = signature(path)
        if now == claimed.signature or now is None:
            return False
        log.warning("%s changed after it was read (%s -> %s bytes); reading it again",
                    path.relative_to(self.processing), claimed.signature[0] if claimed.signature else "?",
                    now[0] if now else "?")
        return True

    def finish(self, claimed: Path, error: str | None, ids=()) -> None:
        """Move a settled file to done/ or failed/, and its documents' sources with it (the
        store names the file where it is, not where it was dropped)."""
        relative = claimed.relative_to(self.processing)
        target = unique(self.inbox / ("failed" if error else "done") / relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(claimed, target)
        if ids:
            with session_scope(self.runtime.engine) as session:
                move_sources(session, ids, str(self.inbox / relative), str(target))
        if error:
            target.with_name(target.name + ".error.txt").write_text(error.rstrip() + "\n", encoding="utf-8")
        log.debug("%s -> %s%s", relative, target.parent.name if target.parent != self.inbox else "",
                 f" ({error})" if error else "")

    # -------------------------------------------------------------------- status

    def publish(self) -> None:
        """The inbox's backlog for ``corpus status`` (Redis hash ``{namespace}:inbox``)."""
        try:
            processing = sum(1 for _ in self._processing_files())
            self.in_processing = processing
            key = inbox_key(self.runtime.settings.namespace)
            client = self.runtime.redis
            client.hset(key, mapping={"path": str(self.inbox), "backlog": self.backlog,
                                      "processing": processing, "skipped": self.skipped,
                                      "updated": f"{time.time():.3f}"})
            client.expire(key, 24 * 3600)
        except Exception as exc:  # status is best effort; the next step publishes again
            log.warning("could not publish the inbox status: %s", exc)


def _log_to_stderr() -> None:
    """The watcher's own messages (claims taken up, outages, skipped records) on stderr,
    unless the embedding application configured logging."""
    corpus_log = logging.getLogger("corpus")
    if logging.getLogger().handlers or corpus_log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    corpus_log.addHandler(handler)
    corpus_log.setLevel(logging.INFO)


def signature(path: Path) -> tuple[int, int] | None:
    """``(size, mtime_ns)``: what moves when a file is written; None when it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def unique(target: Path) -> Path:
    """``target``, or ``NAME.<n>.EXT`` beside it when that name is taken (nothing is overwritten)."""
    if not target.exists() and not target.with_name(target.name + ".error.txt").exists():
        return target
    stem, dot, suffixes = target.name.partition(".")
    n = 1
    while True:
        candidate = target.with_name(f"{stem}.{n}{dot}{suffixes}")
        if not candidate.exists() and not candidate.with_name(candidate.name + ".error.txt").exists():
            return candidate
        n += 1
