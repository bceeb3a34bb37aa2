"""Raw bytes to text: decompression with a size limit, encoding detection, binary refusal.

Every refusal is a ``BadInput``: deterministic, so the document fails at once with the
reason kept instead of being retried.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zlib
from dataclasses import dataclass



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


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
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
            return (text, encoding) if printable > 0.98 * len(head) else None
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


@dataclass(frozen=True)
class Decoded:
    """Text and how it was read, recorded on the document (``metadata["decoding"]``) so that a
    wrong guess can be found and re-read: ``encoding`` (a Python codec name), ``basis``
    (``bom``, ``utf-16``, ``utf-8``, ``utf-8-repaired``, ``declared``, ``detected``, or
    ``unexplained``: no evidence for a legacy page, read as UTF-8 with replacements),
    ``replaced`` (invalid bytes replaced by U+FFFD) and the detector's ``confidence``."""

    text: str
    encoding: str
    basis: str
    replaced: int = 0
    confidence: float | None = None

    def record(self) -> dict:
        record = {"encoding": self.encoding, "basis": self.basis}
        if self.replaced:
            record["replaced"] = self.replaced
        if self.confidence is not None:
            record["confidence"] = round(self.confidence, 3)
        return record


def decode(data: bytes, *, declared: str | None = None) -> str:
    """The text of ``data`` (see :func:`decode_text`)."""
    return decode_text(data, declared=declared).text


def decode_text(data: bytes, *, declared: str | None = None) -> Decoded:
    """Text from bytes, and how it was read.

    A byte-order mark wins (UTF-8, UTF-16); then UTF-16 without a BOM; then strict UTF-8.
    Bytes that are not valid UTF-8 change the code page only on evidence. When the valid UTF-8
    sequences are at least as many as the invalid bytes, it is UTF-8 with those few bytes
    replaced (a cut or a stray byte in a UTF-8 file, which a whole-document legacy reading
    would corrupt: "Café" as "CafĂŠ"), whatever the page declares; else the charset the input
    declares (``declared``, an HTTP header, or the page's own ``<meta charset>``) when the
    bytes are valid in it; else a
    legacy page when the detector (:func:`detect`) is confident enough; else UTF-8 with
    replacements, said so in ``basis``. Text is returned in NFC, as the rules and the
    fingerprints compare it.
    """
    if not data.strip():
        raise BadInput("empty document")
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        return _done(body.decode("utf-8", errors="replace"), "utf-8", "bom", _invalid_utf8(body))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _done(data.decode("utf-16"), "utf-16", "bom")
        except UnicodeDecodeError as exc:
            raise BadInput(f"invalid UTF-16: {exc}") from exc
    utf16 = _bomless_utf16(data) if b"\x00" in data[:4096] else None
    if utf16 is not None:
        return _done(utf16[0], utf16[1], "utf-16")
    if looks_binary(data):
        raise BadInput("binary content, not text (NUL or control bytes)")
    try:
        # Valid UTF-8 beyond ASCII is UTF-8 whatever a page declares: legacy text is
        # almost never valid UTF-8 by chance, while pages re-saved as UTF-8 often keep
        # their old <meta charset>.
        return _done(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    # A few stray bytes in a UTF-8 page come before its declaration, for the reason above: a
    # page re-saved as UTF-8 that still says windows-1252 and has one cut character would
    # otherwise be read whole as cp1252 ("café" as "cafÃ©"). Legacy text almost never forms
    # valid UTF-8 sequences, so it has far more invalid bytes than valid ones.
    repaired = data.decode("utf-8", errors="replace")
    invalid = _invalid_utf8(data)
    valid_multibyte = sum(1 for ch in repaired if ord(ch) > 127 and ch != "\ufffd")
    if valid_multibyte >= invalid:
        return _done(repaired, "utf-8", "utf-8-repaired", invalid)
    for name in (declared, declared_charset(data)):
        codec = _codec(name)
        if codec is not None and codec != "utf-8":
            try:
                return _done(data.decode(codec), codec, "declared")
            except (UnicodeDecodeError, LookupError):
                pass  # a wrong declaration: look at the bytes instead
    guess = detect(data)
    if guess is not None and guess[2] >= DETECTION_BAR:
        return _done(guess[1], guess[0], "detected", confidence=guess[2])
    return _done(repaired, "utf-8", "unexplained", invalid, confidence=guess[2] if guess else 0.0)


def _done(text: str, encoding: str, basis: str, replaced: int = 0, confidence: float | None = None) -> Decoded:
    return Decoded(unicodedata.normalize("NFC", text), encoding, basis, replaced, confidence)


def _invalid_utf8(data: bytes) -> int:
    """How many invalid sequences a replacing UTF-8 decode replaces (U+FFFD in the input itself
    excluded)."""
    return data.decode("utf-8", errors="replace").count("\ufffd") - data.count("\ufffd".encode())


# ----------------------------------------------------------------------------- detection

#: The legacy pages tried, most common first: on equal confidence the earlier wins (French in
#: latin-1 reads as letters in the Baltic cp1257 too, "déjà" as "déją"). Latin-1 labels mean
#: cp1252, as in browsers (it is latin-1 with letters and quotes where latin-1 has controls).
CANDIDATES = ("cp1252", "latin_1", "cp1250", "cp1251", "koi8_r", "cp1253", "cp1254", "cp1257",
              "cp932", "euc_jp", "gb18030", "big5", "euc_kr")

#: Confidence a legacy reading needs. Measured on real text, the Vim tutors (Latin-1 in nine
#: languages, KOI8-R, cp1251, cp1250, Shift-JIS, EUC-JP, GB2312) cut at 600 B, 3 KB and whole,
#: and the excerpts and Windows-1252 text of tests/steps/test_decode.py: the right reading
#: scores 0.885-1.0; the pages tried before it score at most 0.69 (Shift-JIS read as cp1251),
#: random high bytes 0.36-0.40. Later pages can read as well (French in cp1257, Japanese in
#: GB18030): the first over the bar wins, hence the order above.
DETECTION_BAR = 0.8

#: Non-letters that real text has outside ASCII: typographic quotes and dashes, the euro,
#: no-break space, guillemets, inverted marks, degree and section signs, the middle dot.
_TYPOGRAPHY = set("\u00a0«»¡¿°§£€·–—‘’‚“”„…•′″‹›")
#: Blocks of symbols real text uses: general punctuation, arrows, shapes, CJK punctuation,
#: kana marks, full-width forms.
_SYMBOLS = (("\u2000", "\u206f"), ("\u2190", "\u21ff"), ("\u25a0", "\u25ff"), ("\u3000", "\u303f"),
            ("\u30fb", "\u30fc"), ("\uff01", "\uff60"))
_SCRIPTS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK", "FULLWIDTH": "CJK", "HANGUL": "HANGUL"}
_JAPANESE = {"cp932", "euc_jp"}


def detect(data: bytes) -> tuple[str, str, float] | None:
    """The legacy page that reads ``data`` as text: ``(codec, text, confidence)``, the first of
    ``CANDIDATES`` (most common first) whose reading reaches ``DETECTION_BAR``, else the best
    reading below it; None when no candidate decodes the bytes. Confidence in [0, 1]
    (:func:`confidence`) looks only at the decoded characters: deterministic, no sampling, no
    statistics of the stream."""
    best: tuple[str, str, float] | None = None
    for codec in CANDIDATES:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        score = confidence(text, japanese=codec in _JAPANESE)
        if score >= DETECTION_BAR:
            return codec, text, score
        if best is None or score > best[2]:
            best = (codec, text, score)
    return best


def _in_run(text: str, i: int) -> bool:
    """Whether the letter at ``i`` is one of three or more accented letters in a row: rare in
    Latin-script languages (Portuguese "ção" has two), the rule in Cyrillic or CJK bytes read
    as a Latin page ("ïðèâåò")."""
    def accented(j: int) -> bool:
        return 0 <= j < len(text) and ord(text[j]) > 127 and text[j].isalpha()

    return (accented(i - 1) and (accented(i - 2) or accented(i + 1))) or (accented(i + 1) and accented(i + 2))


def _script(ch: str) -> str:
    if ch < "\x80":
        return "LATIN"
    word = unicodedata.name(ch, "").split(" ", 1)[0]
    return _SCRIPTS.get(word, word)


def confidence(text: str, *, japanese: bool = False) -> float:
    """How much ``text``'s non-ASCII characters look like real text: the product of the share
    of them that are letters or typography; the share of those letters that neither touch a
    letter of another script (a Latin word with a Cyrillic letter inside: latin-1 read as
    cp1251) nor, for Latin, stand in a run of accented letters (:func:`_in_run`); a penalty
    when under three quarters of the cased letters are small (real text capitalises a word's
    first letter at most; KOI8-R read as cp1251 gives capitals, and the reverse); and, for a Japanese page, one when there is no kana (Chinese bytes read as
    Japanese give kanji only)."""
    wide = [i for i, ch in enumerate(text) if ord(ch) > 127]
    if not wide:
        return 1.0
    good = letters = clean = lower = upper = kana = 0
    for i in wide:
        ch = text[i]
        if ch.isalpha() and not "\uff61" <= ch <= "\uff9f":  # half-width katakana: a mis-read
            good += 1
            letters += 1
            script = _script(ch)
            neighbours = [text[j] for j in (i - 1, i + 1) if 0 <= j < len(text) and text[j].isalpha()]
            if all(_script(n) == script for n in neighbours) and not (script == "LATIN" and _in_run(text, i)):
                clean += 1
            lower += ch.islower()
            upper += ch.isupper()
            kana += "\u3040" <= ch <= "\u30ff"
        elif ch in _TYPOGRAPHY or any(lo <= ch <= hi for lo, hi in _SYMBOLS):
            good += 1
    score = good / len(wide)
    if letters:
        score *= clean / letters
        if lower + upper >= 10 and lower < 0.75 * (lower + upper):
            score *= lower / (0.75 * (lower + upper))
        if japanese and kana < 0.05 * letters:
            score *= 0.5
    return score
