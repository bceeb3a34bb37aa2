"""Raw bytes to text: decompression with a size limit, encoding detection, binary refusal.

Every refusal is a ``BadInput``: deterministic, so the document fails at once with the
reason kept instead of being retried.
"""

from __future__ import annotations

import codecs
import re
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


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first bytes (``<meta charset>``, the
    ``http-equiv`` content type, an XML declaration), or None."""
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # What browsers do: latin-1 and ascii labels mean windows-1252; UTF-16 labels in a
    # page without a BOM are wrong (the page was read as ASCII to find them).
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return None
    return codec


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 text without a BOM: one byte of most pairs is NUL, on the same side."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # NULs on one side only (ASCII letters, spaces and newlines of any script) mean UTF-16.
    for zeros, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= 2 and zeros > 20 * other:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            head = text[:2000]
            printable = sum(1 for ch in head if ch.isprintable() or ch in "\n\r\t")
            return text if printable > 0.98 * len(head) else None
    return None


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


def decode(data: bytes, *, declared: str | None = None) -> str:
    """Text from bytes.

    A byte-order mark wins (UTF-8, UTF-16); then UTF-16 without a BOM; then valid UTF-8;
    then the charset the input declares — ``declared`` (an HTTP header) or the page's
    own ``<meta charset>`` — when the bytes are valid in it; else the legacy encoding
    charset-normalizer finds most plausible (cp1251, latin-1, ...), never UTF-8 with
    replacement characters.
    """
    if not data.strip():
        raise BadInput("empty document")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadInput(f"invalid UTF-16: {exc}") from exc
    utf16 = _bomless_utf16(data) if b"\x00" in data[:4096] else None
    if utf16 is not None:
        return utf16
    if looks_binary(data):
        raise BadInput("binary content, not text (NUL or control bytes)")
    try:
        # Valid UTF-8 beyond ASCII is UTF-8 whatever a page declares: legacy text is
        # almost never valid UTF-8 by chance, while pages re-saved as UTF-8 often keep
        # their old <meta charset>.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for name in (declared, declared_charset(data)):
        codec = _codec(name)
        if codec is not None and codec != "utf-8":
            try:
                return data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                pass  # a wrong declaration: detect instead
    return str(_detect(data))


#: When charset-normalizer cannot tell single-byte encodings apart (short texts often tie:
#: French in latin-1 reads as well in cp1250 to it), the more common one wins.
_PREFERRED = ("cp1252", "cp1251", "cp1250", "iso8859_15", "iso8859_2", "koi8_r", "cp1257")


def _detect(data: bytes):
    matches = list(from_bytes(data))
    if not matches:
        raise BadInput("bytes that no supported text encoding explains")
    best = matches[0]
    tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
    return min(tied, key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED else len(_PREFERRED))
