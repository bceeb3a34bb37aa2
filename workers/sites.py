"""Per-site boilerplate models: learned from the store, frozen as numbered versions, applied
by workers.

A model is learned by a command (``corpus learn``), never on the fly: every worker applies
the same frozen version, so the same inputs clean the same way whatever worker, machine or
arrival order. Each document records the version it was cleaned with, and ``corpus
reclean`` re-processes a site's documents cleaned under an older one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from sqlalchemy import Engine, func, select

from models.db import chunked, session_scope
from models.documents import raw_bytes
from models.tables import FAILED, INDEXED, LINKED, RECEIVED, Document, SiteModelVersion
from workers.steps.cleaning import SiteModel, learn_site_model
from workers.steps.cleaning.html import extract
from workers.steps.decode import BadInput, decode, gunzip

REFRESH_S = 30.0


class SiteModels:
    """The latest model of each site, as a worker process sees it (refreshed every REFRESH_S)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.models: dict[str, tuple[int, SiteModel]] = {}
        self.loaded_at = float("-inf")

    def latest(self, site: str | None) -> tuple[int, SiteModel] | None:
        if not site:
            return None
        with self.lock:
            if time.monotonic() - self.loaded_at > REFRESH_S:
                self.models = load_latest(self.engine, self.models)
                self.loaded_at = time.monotonic()
            return self.models.get(site)


def load_latest(engine: Engine, known: dict[str, tuple[int, SiteModel]] | None = None) -> dict[str, tuple[int, SiteModel]]:
    known = dict(known or {})
    with session_scope(engine) as session:
        latest = session.execute(select(SiteModelVersion.site, func.max(SiteModelVersion.version))
                                 .group_by(SiteModelVersion.site)).all()
        for site, version in latest:
            if site not in known or known[site][0] != version:
                row = session.get(SiteModelVersion, (site, version))
                known[site] = (version, SiteModel.from_json(row.model))
    return known


def _texts(engine: Engine, site: str, max_bytes: int) -> Iterator[str]:
    """The site's documents as the cleaner sees them before any rule: decoded text, or the
    main text trafilatura extracts from a page."""
    with session_scope(engine) as session:
        ids = session.scalars(select(Document.id).where(Document.site == site, Document.status != FAILED)
                              .order_by(Document.id)).all()
    for start in range(0, len(ids), 200):
        with session_scope(engine) as session:
            documents = session.scalars(select(Document).where(Document.id.in_(ids[start : start + 200]))).all()
            session.expunge_all()
        for document in documents:
            try:
                data, gzipped = raw_bytes(document)
                text = decode(gunzip(data, max_bytes) if gzipped else data)
            except BadInput:
                continue
            yield extract(text, url=document.url)[0] if document.format == "html" else text


def learn(engine: Engine, *, sites: list[str] | None = None, min_support: int = 3,
          max_bytes: int = 50 * 1024 * 1024) -> list[dict]:
    """Learn each site's model from its stored documents; store a new version only when the
    learned lines differ from the latest. Returns one summary per site."""
    with session_scope(engine) as session:
        if not sites:
            sites = list(session.scalars(select(Document.site).where(Document.site.is_not(None)).distinct()
                                         .order_by(Document.site)))
    current = load_latest(engine)
    summaries = []
    for site in sites:
        model = learn_site_model(site, _texts(engine, site, max_bytes), min_support=min_support)
        previous = current.get(site)
        changed = model.lines != (previous[1].lines if previous else ())
        version = previous[0] if previous else None
        if changed:
            version = (previous[0] if previous else 0) + 1
            with session_scope(engine) as session:
                session.add(SiteModelVersion(site=site, version=version, model=model.to_json(),
                                             documents=model.documents, lines=len(model)))
        summaries.append({"site": site, "version": version, "documents": model.documents,
                          "lines": len(model), "new_version": changed})
    return summaries


def outdated(engine: Engine, site: str) -> list[int]:
    """Ids of the site's settled documents cleaned under an older model version than the latest."""
    latest = load_latest(engine).get(site)
    if latest is None:
        return []
    with session_scope(engine) as session:
        return list(session.scalars(
            select(Document.id).where(
                Document.site == site, Document.status != FAILED, Document.stage == LINKED,
                (Document.site_model_version.is_(None)) | (Document.site_model_version != latest[0]),
            ).order_by(Document.id)
        ))


def reopen(engine: Engine, index, document_ids: list[int]) -> None:
    """Send documents back through cleaning: they keep their article and status until
    re-linked (clusters merge, never split), and their old index entry goes."""
    with session_scope(engine) as session:
        for chunk in chunked(document_ids):  # one transaction, statements of bounded size
            for document in session.scalars(select(Document).where(Document.id.in_(chunk))):
                if document.stage in (INDEXED, LINKED):
                    index.remove(document.id)
                    document.stage = RECEIVED
