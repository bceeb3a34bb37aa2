"""One stored input to what the store keeps of it: decode, clean, fingerprint.

Pure: bytes in, values out. Every refusal is a ``BadInput`` (deterministic: the document
fails at once with its reason instead of being retried); so is any error the cleaning code
raises, since trying again without a service involved cannot change it.
"""

from __future__ import annotations

import logging

from workers.steps import cleaning, dedup
from workers.steps.decode import BadInput, decode_text, gunzip

log = logging.getLogger("corpus.prepare")


def clean(document_format: str, text: str, *, url: str | None, site: str | None,
          site_model: cleaning.SiteModel | None = None, learned: cleaning.LearnedLines | None = None,
          observe: bool = False) -> cleaning.Cleaned:
    """The cleaner for the document's format: trafilatura and the rules for HTML, the rules
    alone for raw text. ``learned`` and ``observe``: the site's chrome learned online
    (:mod:`workers.steps.cleaning.site_stream`)."""
    if document_format == "html":
        return cleaning.clean_html(text, url=url, site=site, site_model=site_model, learned=learned, observe=observe)
    return cleaning.clean_text(text, site=site, site_model=site_model, learned=learned, observe=observe)


def over_limit(size: int, max_bytes: int) -> BadInput:
    return BadInput(f"{size:,} bytes is over the {max_bytes:,}-byte limit (CORPUS_MAX_DOCUMENT_BYTES)")


def prepare(data: bytes, *, document_format: str, gzipped: bool, max_bytes: int, charset: str | None = None,
            url: str | None = None, site: str | None = None,
            site_model: cleaning.SiteModel | None = None, learned: cleaning.LearnedLines | None = None,
            observe: bool = False) -> tuple[cleaning.Cleaned, dedup.Fingerprint]:
    """Decode and clean an input (still gzip-compressed when ``gzipped``); ``BadInput`` when
    it cannot give an article."""
    if not gzipped and len(data) > max_bytes:
        raise over_limit(len(data), max_bytes)
    if gzipped:
        data = gunzip(data, max_bytes)
    if len(data) > max_bytes:
        raise over_limit(len(data), max_bytes)
    try:
        decoded = decode_text(data, declared=charset)
        cleaned = clean(document_format, decoded.text, url=url, site=site, site_model=site_model, learned=learned,
                        observe=observe)
        cleaned.metadata["decoding"] = decoded.record()  # how the bytes were read, kept on the document
        # What the site taught so far depends on arrival order; the fingerprint (hence matches,
        # clusters and canonicals) and whether the document fails must not: both are taken from
        # the text without the learned lines (``Cleaned.stable_text``).
        stable = cleaned.stable_text
        if not stable.strip():
            raise BadInput("no article text left after cleaning"
                           + (" (the HTML page has no text)" if document_format == "html" else ""))
        if not cleaned.text.strip():
            cleaned.text = stable  # the learned lines would leave nothing: they are not chrome here
        return cleaned, dedup.fingerprint(stable)
    except cleaning.ExtractionTimeout as exc:
        raise BadInput(f"HTML extraction gave up: {exc}") from exc
    except BadInput:
        raise
    except Exception as exc:  # decoding and cleaning use no service: trying again changes nothing
        log.exception("a document could not be cleaned")
        raise BadInput(f"cleaning failed: {type(exc).__name__}: {exc}") from exc
