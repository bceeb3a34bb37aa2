"""WARC files for the tests, written with warcio (no binaries in the repository)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def html_page(title: str, body: str, charset_meta: str | None = None) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer>Copyright 2026 Example News. All rights reserved.</footer></body></html>")


def write_warc(path: Path, records: list[dict], *, gzip: bool | None = None) -> list[int]:
    """Write ``records`` ({"type", "url", "body": bytes, "content_type", "status"}) and
    return each record's offset."""
    gzip = path.name.endswith(".gz") if gzip is None else gzip
    offsets = []
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "corpus tests"}))
        for item in records:
            kind = item.get("type", "response")
            body = item.get("body", b"")
            http = None
            if kind == "response":
                headers = [("Content-Type", item.get("content_type", "text/html; charset=utf-8"))]
                http = StatusAndHeaders(item.get("status", "200 OK"), headers, protocol="HTTP/1.1")
            elif kind == "request":
                http = StatusAndHeaders(f"GET {item['url']} HTTP/1.1", [("Host", "example.com")], is_http_request=True)
            record = writer.create_warc_record(item["url"], kind, payload=BytesIO(body), http_headers=http,
                                               warc_content_type=item.get("warc_content_type"))
            offsets.append(handle.tell())
            writer.write_record(record)
    return offsets
