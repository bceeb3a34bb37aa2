"""Parquet and CSV in and out: the readers without services, then round trips through the
real CLI, workers, Redis and SQLite."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest import readers
from ingest.formats import Columns
from tests.conftest import SEEDS

STORY = ("The regional council approved the new tram line on Monday after a two-year debate, "
         "and construction of the first section is to start in the spring. ")


def read_all(path, **kwargs):
    stats = readers.ReadStats()
    return list(readers.documents(path, stats=stats, **kwargs)), stats


def test_parquet_rows_are_documents_with_their_columns(tmp_path):
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({
        "content": [STORY, "", STORY + "Second."],
        "link": ["https://www.tram.example/a", None, None],
        "headline": ["Tram approved", None, "Second"],
        "when": [datetime(2026, 11, 20, tzinfo=timezone.utc), None, None],
        "doc_id": [7, 8, 9],
        "lang": ["en", "en", "de"],
    }), path)
    columns = Columns(text="content", url="link", title="headline", published="when", id="doc_id")
    documents, stats = read_all(path, columns=columns)
    assert stats.documents == 3 and stats.failed_records == 1
    first, empty, third = documents
    assert first.source == "https://www.tram.example/a" and first.site == "tram.example"
    assert first.data.decode() == STORY and first.format == "text"
    assert first.hints["title"] == "Tram approved" and first.hints["published"].startswith("2026-11-20")
    assert first.hints["metadata"] == {"lang": "en", "id": 7}
    assert empty.error.startswith("row 2:") and empty.source == f"{path}#id=8"
    assert third.source == f"{path}#id=9" and third.error is None


def test_a_table_without_its_text_column_is_refused_whole(tmp_path):
    path = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"body": [STORY]}), path)
    with pytest.raises(readers.ReadError, match="no column 'text'.*--text-column"):
        read_all(path)
    with pytest.raises(readers.ReadError, match="not a Parquet file"):
        (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
        read_all(tmp_path / "bad.parquet")


def test_csv_quoted_multiline_fields_bom_gzip_and_tsv(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "url", "title", "site", "extra"])
    writer.writerow([STORY + "\nSecond paragraph, with \"quotes\".", "https://a.example/1", "One", "", "x"])
    writer.writerow(["", "", "", "", ""])  # a row of empty fields is a blank line, not a record
    writer.writerow(["", "", "No text", "", ""])
    writer.writerow([STORY, "", "", "own.example", ""])
    raw = "\ufeff" + buffer.getvalue()
    (tmp_path / "a.csv").write_text(raw, encoding="utf-8")
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(raw.encode("utf-8")))
    (tmp_path / "a.tsv").write_text("text\ttitle\n" + STORY + "\tTabbed\n", encoding="utf-8")
    for name in ("a.csv", "a.csv.gz"):
        documents, stats = read_all(tmp_path / name)
        assert [d.error is None for d in documents] == [True, False, True]
        assert documents[0].data.decode().endswith('with "quotes".') and documents[0].hints["metadata"] == {"extra": "x"}
        assert "row 3:" in documents[1].error and documents[1].source.endswith("#R3")
        assert documents[2].site == "own.example" and documents[2].source.endswith(f"{name}#R4")
    (tsv,), _ = read_all(tmp_path / "a.tsv")
    assert tsv.hints["title"] == "Tabbed"


def test_csv_with_a_bad_byte_keeps_the_rows_before_it(tmp_path):
    path = tmp_path / "broken.csv"
    good = "".join(f'"{STORY} {n}",t{n}\n' for n in range(3))
    path.write_bytes(b"text,title\n" + good.encode() + b'"caf\xe9 \xff",bad\n' + b'"after",x\n')
    documents, _ = read_all(path)
    assert [d.error is None for d in documents[:3]] == [True, True, True]
    assert documents[-1].error and "not UTF-8" in documents[-1].error and "rest of the file" in documents[-1].error


# ------------------------------------------------------------------- through the service


def seed_rows():
    rows = []
    for n, seed in enumerate(sorted(SEEDS.iterdir()), start=1):
        rows.append({"id": n, "text": seed.read_text(encoding="utf-8"), "url": f"https://seeds.example/{n}",
                     "site": "seeds.example"})
    rows.append({"id": 99, "text": rows[0]["text"], "url": "https://copy.example/1", "site": "copy.example"})
    return rows


def test_parquet_in_parquet_csv_and_jsonl_out(sqlite_corpus, tmp_path):
    rows = seed_rows()
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    result = sqlite_corpus.run("ingest", str(source), "--wait", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    summary = json.loads(result.stdout)["summary"]
    assert (summary["documents"], summary["canonical"], summary["duplicate"]) == (6, 5, 1)

    jsonl = [json.loads(line) for line in sqlite_corpus.run("export").stdout.splitlines()]
    assert sqlite_corpus.run("export", "--out", str(tmp_path / "out.parquet")).returncode == 0
    csv_run = sqlite_corpus.run("export", "--format", "csv")
    assert csv_run.returncode == 0, csv_run.stderr
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    from_csv = list(csv.DictReader(io.StringIO(csv_run.stdout)))
    assert len(jsonl) == len(table) == len(from_csv) == 5
    for line, parquet_row, csv_row in zip(jsonl, table, from_csv):
        assert line["id"] == parquet_row["id"] == int(csv_row["id"])
        assert line["text"] == parquet_row["text"] == csv_row["text"]
        assert line["duplicates"] == parquet_row["duplicates"] == json.loads(csv_row["duplicates"])
        assert line["metadata"] == json.loads(parquet_row["metadata"])
        assert parquet_row["site"] == json.loads(parquet_row["metadata"])["site"]
    (copied,) = [row for row in table if row["duplicates"]]  # seed 1 and its copy: one article, either canonical
    assert {copied["source"], copied["duplicates"][0]["source"]} == {"https://seeds.example/1", "https://copy.example/1"}

    # The exported Parquet reads back as the same articles (default column names).
    again, _ = read_all(tmp_path / "out.parquet")
    assert sorted(d.data.decode() for d in again) == sorted(row["text"] for row in table)


def test_stdin_jsonl(sqlite_corpus):
    lines = "".join(json.dumps({"text": STORY + f"Item {n}.", "url": f"https://s.example/{n}"}) + "\n"
                    for n in range(3))
    result = sqlite_corpus.run("ingest", "-", "--json", input=lines)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["enqueued"] == 3


def test_zstd_json_lines_and_csv(tmp_path):
    import zstandard

    lines = "".join(json.dumps({"text": STORY + str(n), "url": f"https://z.example/{n}"}) + "\n" for n in range(3))
    compressor = zstandard.ZstdCompressor()
    # two frames, as two zstd runs appended give
    (tmp_path / "a.jsonl.zst").write_bytes(compressor.compress(lines.encode()) + compressor.compress(lines.encode()))
    (tmp_path / "b.csv.zst").write_bytes(compressor.compress(f"text,title\n\"{STORY}\",T\n".encode()))
    (tmp_path / "c.txt.zst").write_bytes(b"x")
    assert {p.name for p in readers.walk([tmp_path])} == {"a.jsonl.zst", "b.csv.zst"}  # .txt.zst: not read
    documents, _ = read_all(tmp_path / "a.jsonl.zst")
    assert [d.source for d in documents] == [f"https://z.example/{n}" for n in range(3)] * 2
    (row,), _ = read_all(tmp_path / "b.csv.zst")
    assert row.hints["title"] == "T"
    (tmp_path / "bad.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd garbage")
    (broken,), _ = read_all(tmp_path / "bad.jsonl.zst")
    assert "corrupt zstd data" in broken.error
