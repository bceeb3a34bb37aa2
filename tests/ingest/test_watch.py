"""The watched inbox as people use it: files dropped, copied slowly, renamed in, dropped
twice, left behind by a crash, ten thousand at once — into a real ``corpus watch`` with
real ``corpus worker`` processes; each test asserts where every file ends up and what
the store holds."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import time
from pathlib import Path

import redis

from tests.support import servers
from tests.conftest import SEEDS
from tests.support.inbox import documents, files_under, procs, wait_for  # noqa: F401 - procs is a fixture
from tests.support.warc import html_page, write_warc

SEED_003 = SEEDS / "003_a7f81f6fd957c2d8.txt"
RUSSIAN = ("Министр иностранных дел России Сергей Лавров прибыл в Бишкек, где проведёт переговоры с "
           "киргизским коллегой о торговле, транспорте и безопасности в регионе. ")


def settled(inbox: Path, expected: int):
    """Done when ``expected`` files are in done/ or failed/ (error files not counted)."""
    def check():
        finished = {f for f in files_under(inbox / "done") | files_under(inbox / "failed")
                    if not f.endswith(".error.txt")}
        return finished if len(finished) >= expected else None
    return check


def story(n: int, words: int = 60) -> str:
    """A distinct short news text (unique words so that no two are near copies)."""
    body = " ".join(f"w{n}x{i}" for i in range(words))
    return f"Report number {n}\n\nThe council met on day {n} and said: {body}.\n"


def test_every_format_ends_in_done_or_failed_and_in_the_store(corpus, procs, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    procs.worker(corpus, log=tmp_path / "worker.log")
    procs.watcher(corpus, inbox, log=tmp_path / "watch.log")

    site = inbox / "eurasia-wire.example"
    site.mkdir()
    shutil.copy(SEED_003, site / "lavrov.txt")
    shutil.copy(SEEDS / "000_70a8d031dbab6394.txt", inbox / "seed0.md")
    (inbox / "seed1.txt.gz").write_bytes(gzip.compress((SEEDS / "001_30c1715f844a88e2.txt").read_bytes()))
    (inbox / "ru.html").write_bytes(
        html_page("Лавров в Бишкеке", (RUSSIAN * 6 + "\n\n") * 3, charset_meta="windows-1251").encode("cp1251"))
    lines = [
        {"text": (SEEDS / "002_db096c9901c0e0ce.txt").read_text(), "url": "https://www.wire.example/a/2",
         "title": "Record two", "published": "2026-11-20", "metadata": {"lang": "en"}},
        "this line is not JSON",
        {"title": "no body"},
        {"html": html_page("Record four", story(4, 120)), "site": "four.example"},
    ]
    (inbox / "batch.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    write_warc(inbox / "crawl.warc.gz", [
        {"url": "https://www.crawl.example/story", "body": html_page("Crawled story", story(5, 150)).encode()},
        {"type": "request", "url": "https://www.crawl.example/story"},
        {"url": "https://www.crawl.example/logo.png", "body": b"\x89PNG\r\n", "content_type": "image/png"},
    ])
    (inbox / "record.json").write_text(json.dumps({"text": story(6, 80), "url": "https://one.example/r"}))
    (inbox / "report.pdf").write_bytes(b"%PDF-1.4 not for us")
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "notes.txt.part").write_text("still being written")
    (inbox / ".hidden.txt").write_text("a dotfile")

    wait_for(settled(inbox, 9), 120, "every file to settle")
    done = files_under(inbox / "done")
    failed = files_under(inbox / "failed")
    assert done == {"eurasia-wire.example/lavrov.txt", "seed0.md", "seed1.txt.gz", "ru.html", "batch.jsonl",
                    "crawl.warc.gz", "record.json"}
    assert failed == {"report.pdf", "report.pdf.error.txt", "empty.txt", "empty.txt.error.txt"}
    assert "unsupported file type" in (inbox / "failed" / "report.pdf.error.txt").read_text()
    assert "empty" in (inbox / "failed" / "empty.txt.error.txt").read_text()
    # Temporary and hidden names are never touched.
    assert (inbox / "notes.txt.part").exists() and (inbox / ".hidden.txt").exists()
    assert files_under(inbox / "processing") == set()

    # The store renames a finished file's documents just after the file moves.
    wait_for(lambda: f"{inbox}/done/batch.jsonl#L2" in {d["source"] for d in documents(corpus)}, 30,
             "the store to name the finished files where they now are")
    rows = {d["source"]: d for d in documents(corpus)}
    by_name = {source.rsplit("/", 1)[-1]: row for source, row in rows.items()}
    assert len(rows) == 11  # 5 single files, 4 JSONL lines, 1 WARC response, 1 JSON record
    assert by_name["lavrov.txt"]["site"] == "eurasia-wire.example"
    assert by_name["seed0.md"]["site"] is None and by_name["seed0.md"]["status"] == "canonical"
    assert by_name["seed1.txt.gz"]["status"] == "canonical"
    russian = by_name["ru.html"]
    assert russian["status"] == "canonical" and "Лавров" in russian["text"] and "Бишкек" in russian["text"]
    record_two = rows["https://www.wire.example/a/2"]
    assert record_two["site"] == "wire.example"
    assert record_two["status"] == "canonical"
    bad = rows[f"{inbox}/done/batch.jsonl#L2"]
    assert bad["status"] == "failed" and bad["error"].startswith("line 2: invalid JSON")
    no_body = rows[f"{inbox}/done/batch.jsonl#L3"]
    assert no_body["status"] == "failed" and "line 3" in no_body["error"] and "'text' or 'html'" in no_body["error"]
    assert rows[f"{inbox}/done/batch.jsonl#L4"]["site"] == "four.example"
    crawled = rows["https://www.crawl.example/story"]
    assert crawled["status"] == "canonical" and crawled["site"] == "crawl.example" and crawled["format"] == "html"
    assert not any("logo.png" in source for source in rows)  # the image is skipped, not a document
    assert rows["https://one.example/r"]["status"] == "canonical"

    exported = [json.loads(line) for line in corpus.run("export").stdout.splitlines()]
    sources = {a["source"] for a in exported}
    assert {"https://www.wire.example/a/2", "https://www.crawl.example/story", f"{inbox}/done/batch.jsonl#L4"} <= sources
    (two,) = [a for a in exported if a["source"] == "https://www.wire.example/a/2"]
    assert two["metadata"]["lang"] == "en" and two["metadata"]["published"] == "2026-11-20"
    assert "charset" not in two["metadata"] and "copy_of" not in two["metadata"]

    # The backlog for `corpus status`.
    client = redis.Redis.from_url(corpus.redis_url)
    inbox_status = {k.decode(): v.decode() for k, v in client.hgetall(f"{corpus.namespace}:inbox").items()}
    assert inbox_status["path"] == str(inbox)
    assert inbox_status["backlog"] == "0" and inbox_status["processing"] == "0"
    assert abs(float(inbox_status["updated"]) - time.time()) < 30
    status = json.loads(corpus.run("status", "--json").stdout)
    assert status["inbox"]["path"] == str(inbox)


def test_slow_writers_and_renamed_files_are_read_whole(sqlite_corpus, procs, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    procs.worker(sqlite_corpus)
    procs.watcher(sqlite_corpus, inbox, interval=0.3, log=tmp_path / "watch.log")
    time.sleep(1.5)  # watching

    # A slow copy straight into the inbox: a chunk every 0.4 s for 4 s.
    chunks = [f"Paragraph {i} of the slowly written report about the harbour works. " * 4 + "\n\n" for i in range(10)]
    with open(inbox / "slow.txt", "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(chunk)
            handle.flush()
            time.sleep(0.4)
    # A download that lands as NAME.part and is renamed when complete.
    part = inbox / "download.html.part"
    with open(part, "w", encoding="utf-8") as handle:
        page = html_page("Downloaded", story(7, 200))
        for start in range(0, len(page), len(page) // 4 + 1):
            handle.write(page[start : start + len(page) // 4 + 1])
            handle.flush()
            time.sleep(0.4)
    os.rename(part, inbox / "download.html")

    wait_for(settled(inbox, 2), 60, "both files to settle")
    assert files_under(inbox / "done") == {"slow.txt", "download.html"}
    rows = {d["source"].rsplit("/", 1)[-1]: d for d in documents(sqlite_corpus)}
    assert set(rows) == {"slow.txt", "download.html"}  # one document each, never a partial one
    assert "Paragraph 9" in rows["slow.txt"]["text"] and "Paragraph 0" in rows["slow.txt"]["text"]
    assert "w7x199" in rows["download.html"]["text"]


def test_a_writer_pausing_longer_than_the_settle_period_is_stored_whole(sqlite_corpus, procs, tmp_path):
    """The issue's case: a file written in chunks seconds apart, its writer keeping it open;
    the settle period (1 s here) is shorter than the pauses (3 s), so only the writer's
    close tells the watcher the file is complete."""
    sqlite_corpus.extra["CORPUS_INBOX_SETTLE_S"] = "1"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    procs.worker(sqlite_corpus, processes=1)
    procs.watcher(sqlite_corpus, inbox, interval=0.3, log=tmp_path / "watch.log")
    wait_for(lambda: "watching" in (tmp_path / "watch.log").read_text(), 60, "the watcher to watch")
    chunks = [f"Chunk {i}: the slowly copied council report on the harbour works, part {i}. " * 30 + "\n\n"
              for i in range(4)]
    with open(inbox / "slow-writer.txt", "w", encoding="utf-8") as handle:
        for i, chunk in enumerate(chunks):
            handle.write(chunk)
            handle.flush()
            if i < len(chunks) - 1:
                time.sleep(3.0)
        # still open: the watcher must not have taken it
        assert (inbox / "slow-writer.txt").exists(), (tmp_path / "watch.log").read_text()
    whole = "".join(chunks).encode()

    wait_for(settled(inbox, 1), 60, "the slowly written file")
    assert files_under(inbox / "done") == {"slow-writer.txt"}
    assert (inbox / "done" / "slow-writer.txt").read_bytes() == whole
    (row,) = documents(sqlite_corpus)  # one document, never a partial one beside it
    from tests.support.inbox import query
    (stored,) = query(sqlite_corpus, "SELECT raw_size FROM documents")
    assert stored["raw_size"] == len(whole)
    assert row["status"] == "canonical" and "Chunk 0" in row["text"] and "Chunk 3" in row["text"]


def test_the_same_content_again_is_an_exact_copy_of_the_first_accepted(sqlite_corpus, procs, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    procs.worker(sqlite_corpus)
    procs.watcher(sqlite_corpus, inbox, interval=0.3)

    shutil.copy(SEED_003, inbox / "first.txt")
    (inbox / "broken.txt").write_bytes(bytes(range(256)) * 20)
    wait_for(settled(inbox, 2), 60, "the originals")
    # Dropped again: the same name and bytes, then other names with the same bytes.
    shutil.copy(SEED_003, inbox / "first.txt")
    shutil.copy(SEED_003, inbox / "again.txt")
    (inbox / "site-b").mkdir()
    shutil.copy(SEED_003, inbox / "site-b" / "copy.txt")
    (inbox / "broken-again.txt").write_bytes(bytes(range(256)) * 20)
    wait_for(settled(inbox, 6), 60, "the copies")

    assert files_under(inbox / "done") == {"first.txt", "first.1.txt", "again.txt", "site-b/copy.txt"}
    assert {f for f in files_under(inbox / "failed") if not f.endswith(".error.txt")} == {
        "broken.txt", "broken-again.txt"}
    # Sources follow the files: the store names each where it now is.
    rows = {d["source"].split("/inbox/", 1)[1]: d for d in documents(sqlite_corpus)}
    assert set(rows) == {"done/first.txt", "failed/broken.txt", "done/first.1.txt", "done/again.txt",
                         "done/site-b/copy.txt", "failed/broken-again.txt"}
    original = rows["done/first.txt"]
    assert "copy_of" not in original["hints"]
    copies = ("done/first.1.txt", "done/again.txt", "done/site-b/copy.txt")
    for name in copies:
        copy = rows[name]
        assert copy["hints"]["copy_of"] == original["id"]  # recorded as a copy, not cleaned again
        assert copy["article_id"] == original["article_id"] and copy["text"] == original["text"]
    # One article, and among identical copies the first accepted is canonical (as documented),
    # whatever their names: the others are exact duplicates of it.
    assert original["status"] == "canonical"
    assert all(rows[n]["status"] == "duplicate" and rows[n]["kind"] == "exact" and rows[n]["similarity"] == 1.0
               for n in copies)
    exported = [json.loads(line) for line in sqlite_corpus.run("export").stdout.splitlines()]
    assert [a["source"] for a in exported] == [str(inbox / "done" / "first.txt")]
    assert rows["done/site-b/copy.txt"]["site"] == "site-b"
    broken, again = rows["failed/broken.txt"], rows["failed/broken-again.txt"]
    assert broken["status"] == again["status"] == "failed"
    assert again["hints"]["copy_of"] == broken["id"] and again["error"] == broken["error"]
    assert (inbox / "failed" / "broken-again.txt.error.txt").read_text().strip() == broken["error"]


def test_a_crash_mid_processing_is_taken_up_at_the_next_start(sqlite_corpus, procs, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(20):
        (inbox / f"story-{n:02}.txt").write_text(story(n), encoding="utf-8")
    first = procs.watcher(sqlite_corpus, inbox, interval=0.3)  # no worker yet: files stay claimed
    wait_for(lambda: len(files_under(inbox / "processing")) == 20 and len(documents(sqlite_corpus)) == 20, 60,
             "all files claimed and recorded")
    procs.kill(first)  # SIGKILL: no clean-up of any kind
    # A crash can also come between the claim and the record: a file nobody recorded.
    (inbox / "processing" / "orphan.txt").write_text(story(99), encoding="utf-8")

    procs.worker(sqlite_corpus)
    procs.watcher(sqlite_corpus, inbox, interval=0.3)
    wait_for(settled(inbox, 21), 90, "every file after the restart")
    assert files_under(inbox / "done") == {f"story-{n:02}.txt" for n in range(20)} | {"orphan.txt"}
    rows = documents(sqlite_corpus)
    assert len(rows) == 21 and {r["status"] for r in rows} == {"canonical"}


def test_ten_thousand_small_files_at_once(sqlite_corpus, procs, tmp_path):
    inbox = tmp_path / "inbox"
    drop = tmp_path / "drop"
    drop.mkdir()
    for n in range(10_000):
        (drop / f"{n:05}.txt").write_text(f"Item {n}: the market closed at {n} points, brokers said {n * 7}.\n")
    os.rename(drop, inbox)  # the whole folder appears at once
    procs.worker(sqlite_corpus, processes=2, threads=2)
    watcher = procs.watcher(sqlite_corpus, inbox, interval=1.0, log=tmp_path / "watch.log")
    client = redis.Redis.from_url(sqlite_corpus.redis_url)
    backlogs = []

    def all_done():
        raw = client.hget(f"{sqlite_corpus.namespace}:inbox", "backlog")
        if raw is not None:
            backlogs.append(int(raw))
        return (inbox / "done").exists() and len(os.listdir(inbox / "done")) == 10_000

    wait_for(all_done, 600, "10,000 files in done/", interval=2.0)
    assert watcher.poll() is None
    assert max(backlogs) > 0  # the backlog was visible while the drop was worked through
    assert os.listdir(inbox / "failed") == [] and files_under(inbox / "processing") == set()
    report = json.loads(sqlite_corpus.run("status", "--json").stdout)
    assert report["documents"]["total"] == 10_000 and report["documents"]["pending"] == 0
    assert report["documents"]["failed"] == 0


def test_the_watcher_survives_a_redis_outage_and_stops_on_sigterm(sqlite_corpus, procs, tmp_path):
    server = servers.start_redis()
    try:
        sqlite_corpus.redis_url = server.url
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        procs.worker(sqlite_corpus, processes=1)
        watcher = procs.watcher(sqlite_corpus, inbox, interval=0.3, log=tmp_path / "watch.log")
        (inbox / "before.txt").write_text(story(1), encoding="utf-8")
        wait_for(settled(inbox, 1), 60, "the first file")

        server.kill()
        (inbox / "during.txt").write_text(story(2), encoding="utf-8")
        time.sleep(4)  # the watcher claims it, fails to enqueue, backs off
        assert watcher.poll() is None, (tmp_path / "watch.log").read_text()
        server.start()
        wait_for(settled(inbox, 2), 120, "the file dropped while Redis was down")
        assert files_under(inbox / "done") == {"before.txt", "during.txt"}
        assert "trying again" in (tmp_path / "watch.log").read_text()

        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=20) == 0
    finally:
        server.stop()


def test_links_fifos_and_sockets_are_set_aside_and_the_next_drop_goes_through(sqlite_corpus, procs, tmp_path):
    import socket

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    procs.worker(sqlite_corpus, processes=1)
    watcher = procs.watcher(sqlite_corpus, inbox, interval=0.3, log=tmp_path / "watch.log")
    secret = tmp_path / "secret.txt"
    secret.write_text("a system file the inbox must not read and store\n" * 20)
    (inbox / "escape.txt").symlink_to(secret)
    (inbox / "loop-a.txt").symlink_to(inbox / "loop-b.txt")
    (inbox / "loop-b.txt").symlink_to(inbox / "loop-a.txt")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "round").symlink_to(inbox)
    os.mkfifo(inbox / "pipe.txt")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(inbox / "live.sock.txt"))
    try:
        wait_for(lambda: len([f for f in files_under(inbox / "failed") if f.endswith(".error.txt")]) == 6, 60,
                 "the odd entries to be set aside")
        (inbox / "next.txt").write_text(story(3), encoding="utf-8")
        from tests.ingest.test_front_doors import cut_warc

        staged = tmp_path / "staged"
        staged.mkdir()
        offsets = cut_warc(staged / "cut.warc")
        os.rename(staged / "cut.warc", inbox / "cut.warc")
        wait_for(lambda: {"next.txt", "cut.warc"} <= files_under(inbox / "done"), 60, "the next drops")
    finally:
        listener.close()
    assert watcher.poll() is None
    failed = inbox / "failed"
    reasons = {name: (failed / f"{name}.error.txt").read_text() for name in
               ("escape.txt", "loop-a.txt", "loop-b.txt", "sub/round", "pipe.txt", "live.sock.txt")}
    assert all("symbolic link" in reasons[n] for n in ("escape.txt", "loop-a.txt", "loop-b.txt", "sub/round"))
    assert "named pipe (FIFO)" in reasons["pipe.txt"] and "socket" in reasons["live.sock.txt"]
    assert stat_kind(failed / "pipe.txt") == "fifo"  # moved as it is, never opened
    rows = {r["source"].rsplit("/", 1)[-1]: r for r in documents(sqlite_corpus)}
    assert set(rows) == {"next.txt", "0", "1", "2"}  # next.txt and the WARC's three records
    assert rows["0"]["status"] == rows["1"]["status"] == "canonical"  # the records before the cut one, whole
    assert rows["2"]["status"] == "failed" and rows["2"]["error"].startswith(f"offset {offsets[2]}: truncated")
    client = redis.Redis.from_url(sqlite_corpus.redis_url)
    assert int(client.hget(f"{sqlite_corpus.namespace}:inbox", "skipped")) == 6
    assert "set aside pipe.txt" in (tmp_path / "watch.log").read_text()


def stat_kind(path: Path) -> str:
    import stat

    mode = os.lstat(path).st_mode
    return "fifo" if stat.S_ISFIFO(mode) else "link" if stat.S_ISLNK(mode) else "other"
