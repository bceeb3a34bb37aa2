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


def cut_warc(path, records: int = 3, cut: int = 300) -> list[int]:
    """A WARC of ``records`` HTML responses whose last one is cut ``cut`` bytes short of its
    Content-Length, as a crawl killed mid-write leaves it."""
    from tests.support.warc import html_page, write_warc

    pages = [{"url": f"https://crawl.example/{i}", "body": html_page(f"Crawled story {i}", (
        f"Story {i} opens here. " + " ".join(f"s{i}w{n}" for n in range(300)) + f" Story {i} ends here.")).encode()}
        for i in range(records)]
    offsets = write_warc(path, pages, gzip=False)
    path.write_bytes(path.read_bytes()[:-cut])
    return offsets


def test_every_input_is_accounted_for_and_a_cut_warc_record_fails_with_its_offset(sqlite_corpus, tmp_path):
    from tests.support.ops import get, start_monitor, start_worker
    from tests.support.warc import write_warc

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED_003, folder / "good.txt")
    offsets = cut_warc(folder / "cut.warc")
    write_warc(folder / "images-only.warc", [
        {"url": "https://crawl.example/logo.png", "body": b"\x89PNG\r\n", "content_type": "image/png"},
        {"type": "request", "url": "https://crawl.example/"}])
    (folder / "blank.jsonl").write_text("\n\n  \n")
    (folder / "lines.jsonl").write_text(json.dumps({"text": (SEEDS / "002_db096c9901c0e0ce.txt").read_text()})
                                        + "\n{not json\n")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4")
    logs = tmp_path / "logs"
    logs.mkdir()
    worker = start_worker(sqlite_corpus, logs)
    monitor, base = start_monitor(sqlite_corpus, logs)
    try:
        result = sqlite_corpus.run("ingest", str(folder), "--wait", "--json", timeout=240)
        assert result.returncode == 1, result.stderr  # the cut record and the bad line failed
        summary = json.loads(result.stdout)["summary"]
        documents = {d["source"]: d for d in json.loads(result.stdout)["documents"]}
        # Every file on disk is a file read or a file not read, with its reason.
        assert summary["files"] + len(summary["unsupported"]) == 6
        assert summary["unsupported"] == [str(folder / "report.pdf")]
        assert sorted(n.split(": ", 1)[0] for n in summary["no_documents"]) == [
            str(folder / "blank.jsonl"), str(folder / "images-only.warc")]
        assert "not documents" in " ".join(summary["no_documents"])
        # Every document is one of canonical, duplicate, failed — and they add up.
        assert summary["documents"] == 6 == len(documents)  # good, 3 WARC records, 2 lines
        assert summary["canonical"] + summary["duplicate"] + summary["failed"] == summary["documents"]
        assert summary["failed"] == 2 and summary["failed_at_door"] == 2
        # The records before the cut one are kept whole; the cut one failed, not stored as a page.
        for i in range(2):
            page = documents[f"https://crawl.example/{i}"]
            assert page["status"] == "canonical", page
        cut = documents["https://crawl.example/2"]
        assert cut["status"] == "failed" and cut["article_id"] is None
        assert cut["error"].startswith(f"offset {offsets[2]}: truncated WARC record") and "short" in cut["error"]
        texts = sqlite_corpus.run("export").stdout
        assert "Story 0 ends here" in texts and "Story 2 opens here" not in texts

        # /metrics counts the failures at the door with the workers' outcomes.
        from prometheus_client.parser import text_string_to_metric_families

        _, body = get(base + "/metrics")
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(body.decode()) for s in f.samples}
        processed = {dict(k[1])["outcome"]: v for k, v in samples.items()
                     if k[0] == "corpus_documents_processed_total"}
        assert processed.get("failed") == samples[("corpus_store_documents", (("status", "failed"),))] == 2
        assert processed["canonical"] + processed.get("duplicate", 0) == 4
    finally:
        monitor.stop()
        worker.stop()


def page(title: str, h1: str, head: str = "") -> str:
    body = "".join(f"<p>Paragraph {i} of the report on the harbour works, the council's decisions and what "
                   f"the engineers said about the breakwater this week ({h1[:12]}).</p>" for i in range(8))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
            f"<header><div class='logo'>Lavrov News4</div></header><article><h1>{h1}</h1>{body}</article>"
            "</body></html>")


def test_site_comes_from_the_record_the_url_or_a_plausible_site_name_never_the_headline(sqlite_corpus, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    # trafilatura takes this headline (its "U.S." defeats the title split) for the site name
    (folder / "headline.html").write_text(page("Incidentally, the U.S. and migration | Lavrov News4",
                                               "Incidentally, the U.S. and migration"))
    (folder / "named.html").write_text(page("Harbour reopens", "Harbour reopens",
                                            "<meta property='og:site_name' content='Daily Bugle'>"))
    (folder / "canonical.html").write_text(page("Breakwater repaired", "Breakwater repaired",
                                                "<meta property='og:site_name' content='Daily Bugle'>"
                                                "<link rel='canonical' href='https://www.bugle.example/a/1'>"))
    (folder / "records.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"html": page("Ferries leave on time", "Ferries leave on time",
                      "<meta property='og:site_name' content='Daily Bugle'>"), "url": "https://news.port.example/f"},
        {"html": page("Dredging starts", "Dredging starts"), "url": "https://news.port.example/d",
         "site": "Port Authority"},
    ]) + "\n")
    result = sqlite_corpus.run("ingest", str(folder), "--wait", "--json", timeout=240)
    assert result.returncode == 0, result.stderr
    from tests.support.inbox import documents

    sites = {d["source"].rsplit("/", 1)[-1]: (d["site"], d["title"]) for d in documents(sqlite_corpus)}
    assert sites["headline.html"][0] is None  # not "Incidentally, the U.S. and migration"
    assert sites["named.html"][0] == "Daily Bugle"
    assert sites["canonical.html"][0] == "bugle.example"  # the URL's host before the declared name
    assert sites["f"][0] == "news.port.example"
    assert sites["d"][0] == "Port Authority"  # the record's own site first


def test_among_identical_copies_the_first_accepted_is_canonical_whatever_its_name(sqlite_corpus, tmp_path):
    for name in ("z-first.txt", "a-second.txt", "m-third.txt"):
        shutil.copy(SEED_003, tmp_path / name)
    first = sqlite_corpus.run("ingest", str(tmp_path / "z-first.txt"), "--wait", "--json", timeout=240)
    assert first.returncode == 0, first.stderr
    later = sqlite_corpus.run("ingest", str(tmp_path / "m-third.txt"), str(tmp_path / "a-second.txt"), "--wait",
                              "--json", timeout=240)
    assert later.returncode == 0, later.stderr
    exported = [json.loads(line) for line in sqlite_corpus.run("export").stdout.splitlines()]
    assert len(exported) == 1
    (article,) = exported
    assert article["source"] == str(tmp_path / "z-first.txt")  # not the smaller name "a-second.txt"
    assert sorted(d["source"] for d in article["duplicates"]) == [str(tmp_path / "a-second.txt"),
                                                               str(tmp_path / "m-third.txt")]
    assert {d["kind"] for d in article["duplicates"]} == {"exact"}
