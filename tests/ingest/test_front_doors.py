"""`corpus ingest` over folders holding more than news files: FIFOs, sockets, devices,
symbolic links in, out and round, broken WARCs, unsupported files, files ingested twice.
Real CLI processes, real workers, real Redis and store; each test asserts what is
reported for every entry and that every good file is stored whole."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat

from tests.conftest import SEEDS

SEED_003 = SEEDS / "003_a7f81f6fd957c2d8.txt"
SEED_000 = SEEDS / "000_70a8d031dbab6394.txt"


def odd_folder(tmp_path):
    """Two good files beside every kind of entry that must not be read."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SEED_003, folder / "good.txt")
    shutil.copy(SEED_000, folder / "sub" / "inner.txt")
    os.mkfifo(folder / "pipe.txt")  # reading it would block until a writer comes
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(folder / "live.sock.txt"))
    os.mknod(folder / "null.txt", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("root:x:0:0:the system file a link must not expose\n" * 20)
    (folder / "escape.txt").symlink_to(secret)
    (folder / "escape-dir").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(SEEDS / "001_30c1715f844a88e2.txt", tmp_path / "elsewhere" / "far.txt")
    (folder / "inner-link.txt").symlink_to(folder / "sub" / "inner.txt")  # inside the folder: read
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    (folder / "sub" / "back").symlink_to(folder)  # a folder loop
    (folder / "dangling.txt").symlink_to(tmp_path / "never-there.txt")
    return folder, listener


def test_ingest_reads_regular_files_only_and_reports_every_other_entry(sqlite_corpus, tmp_path):
    folder, listener = odd_folder(tmp_path)
    try:
        result = sqlite_corpus.run("ingest", str(folder), "--wait", "--json", timeout=240)
    finally:
        listener.close()
    assert result.returncode == 1, result.stderr  # something could not be read
    outcome = json.loads(result.stdout)
    reasons = {entry.split(": ", 1)[0].removeprefix(str(folder) + "/"): entry.split(": ", 1)[1]
               for entry in outcome["summary"]["unreadable"]}
    assert "named pipe (FIFO)" in reasons["pipe.txt"]
    assert "socket" in reasons["live.sock.txt"]
    assert "device" in reasons["null.txt"]
    assert "outside" in reasons["escape.txt"] and "--follow-symlinks" in reasons["escape.txt"]
    assert "outside" in reasons["escape-dir"]
    assert "loop" in reasons["loop-a.txt"] and "loop" in reasons["loop-b.txt"]
    assert "loop" in reasons["sub/back"]
    assert "broken symbolic link" in reasons["dangling.txt"]
    assert len(reasons) == 9, reasons
    stored = {d["source"].removeprefix(str(folder) + "/"): d for d in outcome["documents"]}
    assert set(stored) == {"good.txt", "sub/inner.txt", "inner-link.txt"}
    assert stored["good.txt"]["status"] == "canonical"
    assert {stored["sub/inner.txt"]["status"], stored["inner-link.txt"]["status"]} == {"canonical", "duplicate"}
    exported = sqlite_corpus.run("export").stdout
    assert "the system file" not in exported

    # --follow-symlinks reads the links out of the folder too; FIFOs and loops still not.
    followed = sqlite_corpus.run("ingest", str(folder), "--follow-symlinks", "--json", timeout=240)
    summary = json.loads(followed.stdout)
    still = {entry.split(": ", 1)[0].removeprefix(str(folder) + "/") for entry in summary["unreadable"]}
    assert still == {"pipe.txt", "live.sock.txt", "null.txt", "loop-a.txt", "loop-b.txt", "sub/back",
                     "dangling.txt"}


def test_a_fifo_named_on_the_command_line_is_refused_not_opened(sqlite_corpus, tmp_path):
    os.mkfifo(tmp_path / "pipe.jsonl")
    result = sqlite_corpus.run("ingest", str(tmp_path / "pipe.jsonl"), "--wait", timeout=120)
    assert "named pipe (FIFO)" in result.stderr
    assert result.returncode in (1, 2)
