"""Raw bytes to text: decompression with a size limit, encoding detection, binary refusal.

Every refusal is a ``BadInput``: deterministic, so the document fails at once with the
reason kept instead of being retried.
"""

from __future__ import annotations

import codecs
import zlib

from charset_normalizer import from_bytes


class BadInput(ValueError):
    """The document cannot be processed, and trying again will not change that."""


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip stream, refusing to inflate past ``limit`` bytes (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        chunk = inflater.decompress(data, limit + 1)
        out += chunk
        while inflater.unconsumed_tail and len(out) <= limit:
            out += inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
        if inflater.eof and inflater.unused_data:  # concatenated members
            out += gunzip(inflater.unused_data, limit - len(out))
    except zlib.error as exc:
        raise BadInput(f"corrupt gzip data: {exc}") from exc
    if len(out) > limit:
        raise BadInput(f"decompresses to more than the {limit:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)")
    if not inflater.eof:
        raise BadInput("truncated gzip data")
    return bytes(out)


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.05


def decode(data: bytes) -> str:
    """Text from bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else the legacy
    encoding charset-normalizer finds most plausible (cp1251, latin-1, ...)."""
    if not data.strip():
        raise BadInput("empty document")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadInput(f"invalid UTF-16: {exc}") from exc
    if looks_binary(data):
        raise BadInput("binary content, not text (NUL or control bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise BadInput("bytes that no supported text encoding explains")
    return str(best)
