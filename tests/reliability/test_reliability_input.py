"""Bad input through a real worker: each bad file or record gets a clear reason in the
store, the worker lives on, nothing is retried or dead-lettered, and the good documents
beside them go through. (Empty, binary and text-less HTML files are covered by
test_end_to_end; the readers' own edge cases by test_readers_formats.)"""

from __future__ import annotations

import gzip
import io
import json
import shutil

from tests.conftest import SEEDS
from tests.reliability.test_reliability_security import assert_redis_holds_only_json_and_our_records
from tests.support.reliability import (assert_consistent, documents, fleet, log_dir,  # noqa: F401
                                            wait_settled)

RUSSIAN = [
    "Министр иностранных дел России прибыл в Бишкек для переговоров о сотрудничестве в регионе.",
    "Стороны обсудили вопросы торговли, транспорта и энергетики, а также подготовку новых соглашений.",
    "По словам министра, отношения двух стран развиваются уверенно и последовательно уже много лет.",
    "Делегации договорились продолжить консультации на уровне экспертов в течение ближайших месяцев.",
]
FRENCH = [
    "Le ministère a présenté mercredi un projet de réforme des retraites très contesté par les syndicats.",
    "Selon le gouvernement, la réforme doit garantir l'équilibre financier du système d'ici à la fin de la décennie.",
    "Les syndicats ont appelé à une journée de grève et de manifestations dans toute la France la semaine prochaine.",
    "Le débat à l'Assemblée nationale s'annonce long et difficile, plusieurs élus de la majorité hésitant encore.",
]


def article(sentences: list[str], repeat: int = 3) -> str:
    return "\n\n".join(" ".join(sentences[i:] + sentences[:i]) for i in range(len(sentences))) * 1 + "\n"


def warc_bytes(html: str) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("crawl.warc.gz", {"software": "test"}))
    writer.write_record(writer.create_warc_record(
        "https://example.com/story", "request", payload=io.BytesIO(b"GET /story HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        warc_content_type="application/http; msgtype=request"))
    png = b"\x89PNG\r\n\x1a\n" + bytes(512)
    writer.write_record(writer.create_warc_record(
        "https://example.com/logo.png", "response", payload=io.BytesIO(png),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")))
    writer.write_record(writer.create_warc_record(
        "https://example.com/../../../../tmp/evil-warc.html", "response", payload=io.BytesIO(html.encode()),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")))
    return out.getvalue()


def test_bad_inputs_fail_with_their_reasons_and_the_worker_lives_on(sqlite_corpus, fleet, tmp_path):
    env = sqlite_corpus
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "003_a7f81f6fd957c2d8.txt", folder / "good.txt")
    (folder / "legacy-cp1251.txt").write_bytes(article(RUSSIAN).encode("cp1251"))
    (folder / "legacy-latin1.txt").write_bytes(article(FRENCH).encode("latin-1"))
    # UTF-8 with a few stray bytes: read as UTF-8, those bytes replaced (never the whole
    # document in a legacy page).
    broken = article(RUSSIAN).encode("utf-8")
    (folder / "unexplained.txt").write_bytes(broken[:301] + b"\xff\xfe\xc3" + broken[301:] + b"\xe2\x28\xa1")
    with open(folder / "huge.txt", "wb") as handle:  # 100 MB: over the default 50 MB limit
        line = (" ".join(FRENCH[0].split()[:12]) + "\n").encode()
        block = line * (1_048_576 // len(line) + 1)
        for _ in range(100):
            handle.write(block)
    with gzip.open(folder / "bomb.txt.gz", "wb", compresslevel=9) as handle:  # 200 MB inflated
        chunk = b"A" * 1_048_576
        for _ in range(200):
            handle.write(chunk)
    story = (SEEDS / "000_70a8d031dbab6394.txt").read_text(encoding="utf-8")
    html = f"<html><head><title>Story</title></head><body><article><h1>Story</h1>" + "".join(
        f"<p>{p}</p>" for p in story.split("\n\n") if p.strip()) + "</article></body></html>"
    other = (SEEDS / "004_9d4195405d006fe8.txt").read_text(encoding="utf-8")
    (folder / "records.jsonl").write_text("\n".join([
        json.dumps({"text": other, "url": "https://example.org/a", "title": "A"}),
        '{"text": "cut off in the middle',
        json.dumps({"title": "no body at all"}),
        json.dumps({"html": html, "url": "https://example.org/../../../../tmp/evil-jsonl"}),
    ]) + "\n", encoding="utf-8")
    (folder / "crawl.warc.gz").write_bytes(warc_bytes(html.replace("Story", "Crawled story")))
    (folder / "gone.txt").symlink_to(tmp_path / "vanished-before-it-was-read.txt")

    worker = fleet.start(env)
    result = env.run("ingest", str(folder), "--json")
    assert result.returncode == 1, result.stderr  # something was unreadable
    summary = json.loads(result.stdout)
    assert any("gone.txt" in u and "vanished" in u for u in summary["unreadable"]), summary
    assert summary["skipped"] >= 3  # warcinfo, request, image

    docs = wait_settled(env, 11, 240, fleet=fleet) and documents(env)
    by_source = {d["source"].replace(str(folder) + "/", ""): d for d in docs}

    def reason(name_part: str) -> str:
        (doc,) = [d for s, d in by_source.items() if name_part in s]
        assert doc["status"] == "failed", doc
        return doc["error"]

    def settled_ok(name_part: str) -> None:
        (doc,) = [d for s, d in by_source.items() if name_part in s]
        assert doc["status"] in ("canonical", "duplicate"), doc

    for name in ("good.txt", "legacy-cp1251.txt", "legacy-latin1.txt", "example.org/a", "evil-jsonl",
                 "evil-warc", "unexplained.txt"):
        settled_ok(name)
    assert "CORPUS_MAX_DOCUMENT_BYTES" in reason("huge.txt")
    assert "CORPUS_MAX_DOCUMENT_BYTES" in reason("bomb.txt.gz")
    assert "line 2" in reason("records.jsonl#L2")
    assert "line 3" in reason("records.jsonl#L3") or "text" in reason("records.jsonl#L3")
    assert len(docs) == 11, sorted(by_source)

    # Legacy encodings were decoded, not failed.
    from sqlalchemy import select

    from models.tables import Document
    from tests.support.reliability import engine

    with engine(env).connect() as connection:
        texts = dict(connection.execute(select(Document.source, Document.text)).all())
        decodings = {source: (meta or {}).get("decoding") for source, meta in
                     connection.execute(select(Document.source, Document.meta)).all()}
    assert "Министр" in texts[str(folder / "legacy-cp1251.txt")]
    assert "ministère" in texts[str(folder / "legacy-latin1.txt")]
    assert decodings[str(folder / "legacy-cp1251.txt")]["encoding"] == "cp1251"
    assert decodings[str(folder / "legacy-latin1.txt")]["encoding"] == "cp1252"
    repaired = decodings[str(folder / "unexplained.txt")]
    assert repaired["basis"] == "utf-8-repaired" and repaired["replaced"] >= 2, repaired
    assert "Министр" in texts[str(folder / "unexplained.txt")]

    # Deterministic failures fail at once: no retry waits, nothing dead-lettered, the worker lives.
    status = json.loads(env.run("status", "--json").stdout)
    queue = status["queues"]["documents"]
    assert queue["dead"] == 0 and queue["delayed"] == 0 and queue["ready"] == 0, queue
    assert worker.alive()
    assert "Retrying message" not in worker.output()
    # Names from records and WARC headers stayed names: nothing was written outside.
    from pathlib import Path

    assert not list(tmp_path.rglob("evil*")) and not list(Path("/tmp").glob("evil*"))
    assert_consistent(env)
    assert_redis_holds_only_json_and_our_records(env)
