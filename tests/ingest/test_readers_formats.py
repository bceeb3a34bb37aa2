"""Readers and decoding, without services: every format, bad records, broken encodings,
streaming of large containers."""

from __future__ import annotations

import codecs
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from ingest import readers
from workers.steps.sites import site_of_url
from tests.support.warc import html_page, write_warc
from workers.steps.decode import BadInput, decode

DATA = Path(__file__).parent / "data" / "formats"
RUSSIAN = "Министр иностранных дел России Сергей Лавров прибыл в Бишкек для переговоров о торговле."
FRENCH = "Le ministre a déclaré mercredi que la réforme serait présentée à l'Assemblée nationale très bientôt."


def read_all(path: Path, **kwargs):
    stats = readers.ReadStats()
    return list(readers.documents(path, stats=stats, **kwargs)), stats


# --------------------------------------------------------------------------- finding files


def test_walk_finds_every_supported_format_and_skips_temporary_names(tmp_path):
    names = ["a.txt", "b.md", "c.html", "d.htm", "e.json", "f.jsonl", "g.warc", "h.warc.gz", "i.jsonl.gz",
             "j.txt.gz", "k.pdf", "l.txt.part", "m.tmp", "n.txt~", ".o.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    found = {p.name for p in readers.walk([tmp_path])}
    assert found == {"a.txt", "b.md", "c.html", "d.htm", "e.json", "f.jsonl", "g.warc", "h.warc.gz", "i.jsonl.gz",
                     "j.txt.gz"}
    assert readers.format_of(Path("x.warc.gz")).container and readers.format_of(Path("x.warc.gz")).gzipped
    assert not readers.format_of(Path("x.json")).container


def test_site_of_url():
    assert site_of_url("https://www.example.com/a?b") == "example.com"
    assert site_of_url("http://news.example.org:8080/") == "news.example.org"
    assert site_of_url("not a url") is None and site_of_url(None) is None


# ---------------------------------------------------------------------------- JSON Lines


def test_jsonl_records_sources_sites_and_bad_lines(tmp_path):
    path = tmp_path / "records.jsonl"
    lines = [
        json.dumps({"text": "First story.", "url": "https://www.wire.example/1", "title": "One",
                    "published": "2026-11-20", "metadata": {"lang": "en"}, "lang_score": 0.9}),
        "",
        "{not json",
        json.dumps({"html": "<p>Second</p>", "site": "own.example"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": 42}),
        json.dumps({"title": "no body"}),
        json.dumps({"text": "Third story, no URL."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    documents, stats = read_all(path, site="folder.example")
    assert [d.source for d in documents] == [
        "https://www.wire.example/1", f"{path}#L3", f"{path}#L4", f"{path}#L5", f"{path}#L6", f"{path}#L7",
        f"{path}#L8"]
    first, bad_json, second, a_list, wrong_type, no_body, third = documents
    assert (first.format, first.url, first.site, first.error) == ("text", "https://www.wire.example/1",
                                                                  "folder.example", None)
    assert first.hints["metadata"] == {"lang": "en", "lang_score": 0.9}
    assert first.hints["title"] == "One" and first.hints["published"] == "2026-11-20"
    assert second.format == "html" and second.site == "own.example"
    assert third.site == "folder.example" and third.error is None
    assert bad_json.error.startswith("line 3: invalid JSON")
    assert a_list.error == "line 5: expected a JSON object, got list"
    assert wrong_type.error == "line 6: 'text' must be a string, got int"
    assert no_body.error == "line 7: needs a non-empty 'text' or 'html'"
    assert stats.documents == 7 and stats.failed_records == 4 and stats.skipped == 0


def test_jsonl_encodings_gzip_and_long_lines(tmp_path):
    records = [{"text": RUSSIAN}, {"text": FRENCH}]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"
    for name, data in [("bom.jsonl", codecs.BOM_UTF8 + body.encode("utf-8")),
                       ("utf16.jsonl", body.encode("utf-16")),
                       ("packed.jsonl.gz", gzip.compress(body.encode("utf-8")))]:
        (tmp_path / name).write_bytes(data)
        documents, _ = read_all(tmp_path / name)
        assert [d.data.decode("utf-8") for d in documents] == [RUSSIAN, FRENCH], name
    # A legacy-encoded line is detected, not garbled.
    legacy = tmp_path / "legacy.jsonl"
    legacy.write_bytes(json.dumps({"text": RUSSIAN}, ensure_ascii=False).encode("cp1251") + b"\n")
    (document,), _ = read_all(legacy)
    assert document.data.decode("utf-8") == RUSSIAN
    # A line over the limit fails alone; the next one is read.
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"text": "x" * 80_000}) + "\n" + json.dumps({"text": "short"}) + "\n")
    (too_long, short), _ = read_all(long, max_bytes=1000)
    assert "line 1: over the" in too_long.error and short.data == b"short"
    # A cut gzip stream: what came before is read, the rest is one failed record.
    cut = tmp_path / "cut.jsonl.gz"
    packed = gzip.compress(("\n".join(json.dumps({"text": f"record {n} " * 50}) for n in range(200)) + "\n").encode())
    cut.write_bytes(packed[: len(packed) // 2])
    documents, stats = read_all(cut)
    assert documents[-1].error and "truncated gzip" in documents[-1].error
    assert all(d.error is None for d in documents[:-1]) and len(documents) > 2


def test_json_holds_one_record(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"html": "<p>hi</p>", "url": "https://a.example/x"}))
    (document,), _ = read_all(tmp_path / "one.json")
    assert (document.source, document.format, document.site) == ("https://a.example/x", "html", "a.example")
    (tmp_path / "many.json").write_text(json.dumps([{"text": "a"}, {"text": "b"}]))
    (failed,), _ = read_all(tmp_path / "many.json")
    assert failed.source == str(tmp_path / "many.json") and ".jsonl" in failed.error
    with pytest.raises(readers.ReadError, match="jsonl"):
        readers.read(tmp_path / "many.json")
    with pytest.raises(readers.ReadError, match="many records"):
        readers.read(tmp_path / "x.jsonl")


def test_unreadable_files_raise_read_error(tmp_path):
    with pytest.raises(readers.ReadError, match="vanished"):
        read_all(tmp_path / "gone.jsonl")
    with pytest.raises(readers.ReadError, match="unsupported file type"):
        read_all(tmp_path / "x.pdf")


# ----------------------------------------------------------------------------------- WARC


def crawl(path: Path) -> list[int]:
    return write_warc(path, [
        {"url": "https://www.news.example/a", "body": html_page("A story", "Body of the story. " * 30).encode()},
        {"type": "request", "url": "https://www.news.example/a"},
        {"url": "https://www.news.example/logo.png", "body": b"\x89PNG\r\n\x1a\n", "content_type": "image/png"},
        {"url": "https://ru.example/b", "content_type": "text/html; charset=windows-1251",
         "body": html_page("Новости", RUSSIAN * 5).encode("cp1251")},
        {"type": "metadata", "url": "https://www.news.example/a", "body": b"via: test",
         "warc_content_type": "application/warc-fields"},
        {"url": "https://www.news.example/missing", "body": b"<html>Not found</html>", "status": "404 Not Found"},
        {"url": "https://www.news.example/xhtml", "content_type": "application/xhtml+xml",
         "body": html_page("XHTML", "Another body. " * 30).encode()},
    ])


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_html_responses_are_documents_and_the_rest_is_counted(tmp_path, name):
    offsets = crawl(tmp_path / name)
    documents, stats = read_all(tmp_path / name, site=None)
    assert [d.source for d in documents] == ["https://www.news.example/a", "https://ru.example/b",
                                             "https://www.news.example/xhtml"]
    assert all(d.format == "html" and d.error is None for d in documents)
    assert documents[0].site == "news.example" and documents[0].hints["warc_offset"] == offsets[0]
    assert documents[1].hints["charset"] == "windows-1251"
    assert decode(documents[1].data, declared=documents[1].hints["charset"]).count("Лавров") == 5
    assert stats.skipped == 5  # warcinfo, request, image, metadata, 404


def test_a_warc_gzipped_as_one_stream_is_read_too(tmp_path):
    crawl(tmp_path / "crawl.warc")
    (tmp_path / "whole.warc.gz").write_bytes(gzip.compress((tmp_path / "crawl.warc").read_bytes()))
    documents, stats = read_all(tmp_path / "whole.warc.gz")
    assert [d.source for d in documents] == ["https://www.news.example/a", "https://ru.example/b",
                                             "https://www.news.example/xhtml"]
    assert all(d.error is None for d in documents) and stats.skipped == 5


def test_a_bad_warc_record_fails_alone_with_its_offset(tmp_path):
    records = [{"url": f"https://www.news.example/{n}", "body": html_page(f"S{n}", f"Story {n}. " * 30).encode()}
               for n in range(4)]
    plain = tmp_path / "bad.warc"
    offsets = write_warc(plain, records)
    data = bytearray(plain.read_bytes())
    status = data.index(b"HTTP/1.1 200 OK", offsets[0])
    data[status : status + 15] = b"XXXX/9.9 ??? ??"  # record 0: no HTTP status line
    data[offsets[2] : offsets[2] + 8] = b"GARBAGE!"  # record 2: a broken WARC header
    plain.write_bytes(bytes(data))
    documents, stats = read_all(plain)
    by_source = {d.source: d for d in documents}
    assert f"offset {offsets[0]}: not an HTTP response status line" in by_source["https://www.news.example/0"].error
    assert by_source[f"{plain}@{offsets[2]}"].error.startswith(f"offset {offsets[2]}: unreadable WARC record")
    assert by_source["https://www.news.example/1"].error is None
    assert by_source["https://www.news.example/3"].error is None  # found again after the broken record
    assert stats.failed_records == 2

    packed = tmp_path / "bad.warc.gz"
    offsets = write_warc(packed, records)
    data = bytearray(packed.read_bytes())
    middle = (offsets[1] + offsets[2]) // 2
    data[middle : middle + 20] = bytes(20)  # a damaged gzip member
    packed.write_bytes(bytes(data))
    documents, stats = read_all(packed)
    assert [d.error is None for d in documents] == [True, False, True, True]
    assert documents[1].source == f"{packed}@{offsets[1]}" and f"offset {offsets[1]}" in documents[1].error


def test_large_containers_are_streamed(tmp_path):
    path = tmp_path / "big.warc.gz"
    body = html_page("Big", "A long paragraph of the story that repeats. " * 400).encode()  # ~18 KB
    write_warc(path, [{"url": f"https://big.example/{n}", "body": body} for n in range(1500)])  # ~27 MB raw
    tracemalloc.start()
    try:
        count = sum(1 for _ in readers.documents(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1500
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes: the WARC was not streamed"


# --------------------------------------------------------------------------------- decode


def test_decode_detects_encodings_and_honours_declarations():
    assert decode(codecs.BOM_UTF8 + FRENCH.encode("utf-8")) == FRENCH
    assert decode(RUSSIAN.encode("utf-16")) == RUSSIAN
    assert decode(RUSSIAN.encode("utf-16-le")) == RUSSIAN  # no BOM
    assert decode(FRENCH.encode("utf-16-be")) == FRENCH
    assert decode(RUSSIAN.encode("cp1251")) == RUSSIAN  # detected, not garbled as UTF-8
    assert decode(FRENCH.encode("latin-1")) == FRENCH
    page = f'<html><head><meta charset="windows-1251"><title>t</title></head><body>{RUSSIAN}</body></html>'
    assert RUSSIAN in decode(page.encode("cp1251"))
    meta = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head><body>{RUSSIAN}'
    assert RUSSIAN in decode(meta.encode("koi8-r"))  # koi8-r is not what detection would pick
    assert decode(RUSSIAN.encode("koi8-r"), declared="koi8-r") == RUSSIAN
    # Valid UTF-8 wins over a stale single-byte declaration.
    assert RUSSIAN in decode(page.encode("utf-8"))
    with pytest.raises(BadInput, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    with pytest.raises(BadInput, match="empty"):
        decode(b"  \n")


def test_fixture_files_in_the_repository_read_as_expected():
    documents, stats = read_all(DATA / "mixed.jsonl")
    assert [d.error is None for d in documents] == [True, False, True]
    assert stats.failed_records == 1
    (page,), _ = read_all(DATA / "latin1.html")
    assert "Größe" in decode(page.data)
