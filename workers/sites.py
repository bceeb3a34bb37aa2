"""Per-site boilerplate, at run time: the models ``corpus learn`` freezes from the store, and the
chrome every worker learns online from the stream.

A frozen model (:class:`SiteModels`) is learned by a command: every worker applies the same
numbered version, each document records the version it was cleaned with, and ``corpus reclean``
re-processes a site's documents cleaned under an older one.

Online (:class:`SiteStream`): each cleaned page's evidence goes to Redis, where one Lua script
folds it into the site's counts exactly as :func:`workers.steps.cleaning.site_stream.update` does
(that function is the definition; this script is its shared, atomic form), and every worker
applies the lines learned so far from its next document on. Learning only adds lines, and a
page teaches nothing twice (a redelivered page is a copy of itself), so redeliveries do not
inflate counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from sqlalchemy import Engine, func, select

from models.db import chunked, session_scope
from models.documents import raw_bytes
from models.tables import FAILED, INDEXED, LINKED, RECEIVED, Document, SiteModelVersion
from workers.steps.cleaning import LearnedLines, SiteModel, learn_site_model, site_stream
from workers.steps.cleaning.site_stream import Evidence
from workers.steps.cleaning.html import extract
from workers.steps.decode import BadInput, decode, gunzip

REFRESH_S = 30.0

# KEYS: stories (set), seen (set), edges (hash), learned (hash), meta (hash: pages, version,
# material, material_lines, window and old_window: new stories this generation and the last), then the previous generation's stories, seen, edges.
# ARGV: min_support, min_share, novel_below, expected version (-1: any), generation_lines,
# max_learned, material_growth, ttl_s, n_story, story hashes..., then (hash, flags) pairs.
# Returns {version, folded, material}: a page cleaned with lines older than the site's current
# version (``expected`` differs) is not folded; its worker cleans it again. ``material`` is 1 when
# this page made the learned lines change materially (site_stream.material).
_UPDATE = """
local min_support, min_share, novel_below = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local expected, generation, max_learned = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local growth, ttl, n_story = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local version = tonumber(redis.call('HGET', KEYS[5], 'version') or '0')
if expected >= 0 and expected ~= version then return {version, 0, 0} end
if n_story == 0 then return {version, 1, 0} end
local seen = 0
for i = 10, 9 + n_story do
  local added = redis.call('SADD', KEYS[1], ARGV[i])
  if added == 0 or redis.call('SISMEMBER', KEYS[6], ARGV[i]) == 1 then seen = seen + 1 end
end
if ttl > 0 then
  for k = 1, 8 do redis.call('EXPIRE', KEYS[k], ttl) end
end
if seen >= novel_below * n_story then return {version, 1, 0} end
redis.call('HINCRBY', KEYS[5], 'pages', 1)
local window = redis.call('HINCRBY', KEYS[5], 'window', 1) + tonumber(redis.call('HGET', KEYS[5], 'old_window') or '0')
local hashes, flags, new = {}, {}, {}
for i = 10 + n_story, #ARGV, 2 do
  local h, f = ARGV[i], ARGV[i + 1]
  hashes[#hashes + 1] = h
  flags[#flags + 1] = f
  local gap = string.find(f, 'g', 1, true) ~= nil
  new[#new + 1] = gap or (string.find(f, 's', 1, true) ~= nil and redis.call('SISMEMBER', KEYS[2], h) == 0
                          and redis.call('SISMEMBER', KEYS[7], h) == 0)
end
local first, last = #hashes + 1, 0
for i = 1, #hashes do if new[i] then first = i break end end
for i = #hashes, 1, -1 do if new[i] then last = i break end end
local need = math.max(min_support, math.ceil(min_share * window))
local learned = false
local size = redis.call('HLEN', KEYS[4])
for i = 1, #hashes do
  local h, f = hashes[i], flags[i]
  if string.find(f, 'g', 1, true) == nil then
    redis.call('SADD', KEYS[2], h)
    local edge = i < first or i > last or string.find(f, 'r', 1, true) ~= nil
    if edge and string.find(f, 'd', 1, true) == nil then
      local n = redis.call('HINCRBY', KEYS[3], h, 1) + tonumber(redis.call('HGET', KEYS[8], h) or '0')
      local known = redis.call('HEXISTS', KEYS[4], h) == 1
      if n >= need and not known and size < max_learned then
        learned, known, size = true, true, size + 1
      end
      if known then redis.call('HSET', KEYS[4], h, n) end
    end
  end
end
local material = 0
if learned then
  version = redis.call('HINCRBY', KEYS[5], 'version', 1)
  local at = tonumber(redis.call('HGET', KEYS[5], 'material_lines') or '0')
  if size >= math.max(at + 1, math.ceil(at * (1 + growth))) then
    redis.call('HSET', KEYS[5], 'material_lines', size)
    redis.call('HINCRBY', KEYS[5], 'material', 1)
    material = 1
  end
end
if redis.call('SCARD', KEYS[2]) >= generation then
  for k = 1, 3 do
    if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('RENAME', KEYS[k], KEYS[k + 5])
    else redis.call('DEL', KEYS[k + 5]) end
  end
  redis.call('HSET', KEYS[5], 'old_window', redis.call('HGET', KEYS[5], 'window'), 'window', 0)
end
if ttl > 0 then
  for k = 1, 8 do redis.call('EXPIRE', KEYS[k], ttl) end
end
return {version, 1, material}
"""


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
    return settled(engine, site, (Document.site_model_version.is_(None)) | (Document.site_model_version != latest[0]))


def settled(engine: Engine, site: str, *where) -> list[int]:
    """Ids of the site's settled (linked, not failed) documents, with ``where`` conditions."""
    with session_scope(engine) as session:
        return list(session.scalars(
            select(Document.id).where(Document.site == site, Document.status != FAILED, Document.stage == LINKED, *where)
            .order_by(Document.id)
        ))


def reopen(engine: Engine, document_ids: list[int]) -> None:
    """Send documents back through cleaning: they keep their article and status until
    re-linked (clusters merge, never split), and their index entry until their next pass
    replaces it (the index insert replaces a different fingerprint under the same id). Not
    removed here: another batch may clean a reopened original again (an exact copy adopts
    it) between this commit and a removal, which then took the entry it had just written.
    Their stage says they are in progress meanwhile: ``corpus status`` counts them as
    ``recleaning`` and ``corpus ingest --wait`` waits for them."""
    with session_scope(engine) as session:
        for chunk in chunked(document_ids):  # one transaction, statements of bounded size
            for document in session.scalars(select(Document).where(Document.id.in_(chunk))):
                if document.stage in (INDEXED, LINKED):
                    document.stage = RECEIVED


class SiteStream:
    """Site chrome learned online, shared by every worker through Redis.

    ``lines(site)`` is what the next document of the site is cleaned with (cached in the process;
    reloaded when an observation returns a newer version); ``observe(site, evidence)`` folds one
    cleaned page into the site's counts.
    """

    def __init__(self, client, namespace: str, *, generation_lines: int = site_stream.GENERATION_LINES,
                 ttl_s: int = site_stream.SITE_TTL_S) -> None:
        from workers.keys import site_stream_prefix

        self.client = client
        self.prefix = lambda site: site_stream_prefix(namespace, site)
        self.script = client.register_script(_UPDATE)
        self.cache: dict[str, LearnedLines | None] = {}
        self.calm: dict[str, int] = {}  # pages folded since the site last moved (clean_in_order)
        self.outgrown: set[str] = set()  # sites whose lines changed materially here (take_outgrown)
        self.generation_lines = generation_lines
        self.ttl_s = ttl_s

    def take_outgrown(self) -> list[str]:
        """The sites whose learned lines a page folded here changed materially since the last
        call (``site_stream.material``): their earlier documents are to be cleaned again."""
        sites, self.outgrown = sorted(self.outgrown), set()
        return sites

    def _keys(self, site: str) -> list[str]:
        p = self.prefix(site)
        return [p + "stories", p + "seen", p + "edges", p + "learned", p + "meta",
                p + "stories:old", p + "seen:old", p + "edges:old"]

    def _load(self, site: str) -> LearnedLines | None:
        keys = self._keys(site)
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(keys[3])
        pipe.hmget(keys[4], "pages", "version")
        learned, (pages, version) = pipe.execute()
        lines = {k.decode(): int(v) for k, v in learned.items()}
        model = LearnedLines(site=site, lines=lines, pages=int(pages or 0), version=int(version or 0)) if lines else None
        self.cache[site] = model
        return model

    def lines(self, site: str | None) -> LearnedLines | None:
        if not site:
            return None
        if site in self.cache:
            return self.cache[site]
        return self._load(site)

    def observe(self, site: str | None, evidence: Evidence | None) -> None:
        """Fold one cleaned page into its site's counts (reloading the site's lines if they moved)."""
        self.observe_all([(site, evidence, None)])

    def observe_all(self, pages: list[tuple[str | None, Evidence | None, int | None]]) -> list[tuple[int | None, bool]]:
        """Fold pages, in order, in one round trip (a pipeline of the script, one call per page:
        each call touches one site's keys). Each page is ``(site, evidence, expected)``: with an
        ``expected`` version, the page is folded only if its site is still at that version (it
        was cleaned with the lines of that version); ``None`` folds it whatever the version.
        Returns, per page, its site's version after the call (``None``: nothing to fold) and
        whether it was folded; reloads every site whose version moved."""
        calls = [i for i, (site, evidence, _) in enumerate(pages) if site and evidence is not None and evidence.story]
        results: list[tuple[int | None, bool]] = [(None, True)] * len(pages)
        if not calls:
            return results
        pipe = self.client.pipeline(transaction=False)
        for i in calls:
            site, evidence, expected = pages[i]
            self._fold(pipe, site, evidence, -1 if expected is None else expected)
        moved = set()
        for i, (version, ok, material) in zip(calls, pipe.execute()):
            site = pages[i][0]
            results[i] = (int(version), bool(ok))
            if int(material):
                self.outgrown.add(site)
            cached = self.cache.get(site)
            if int(version) != (cached.version if cached else 0):
                moved.add(site)
        for site in sorted(moved):
            self._load(site)
        return results

    def _fold(self, pipe, site: str, evidence: Evidence, expected: int) -> None:
        args: list = [site_stream.MIN_SUPPORT, site_stream.MIN_SHARE, site_stream.NOVEL_BELOW, expected,
                      self.generation_lines, site_stream.MAX_LEARNED, site_stream.MATERIAL_GROWTH, self.ttl_s,
                      len(evidence.story), *evidence.story]
        for h, flags in evidence.lines:
            args += [h or "-", flags or "-"]
        self.script(keys=self._keys(site), args=args, client=pipe)

    def clean_in_order(self, items: list, site_of: Callable, clean: Callable) -> None:
        """Clean a batch of pages as if one after the other, each with the lines its site had
        learned from the pages before it, in one round trip per batch (once a site is settled)
        rather than one per page.

        ``clean(item, learned)`` cleans one page with ``learned`` (the caller keeps the result;
        a later call for the same item replaces it) and returns its evidence, or ``None``.
        Each pass cleans up to a window of each site's next pages with its current lines and
        folds them all in one pipeline. When a site's version moves (a page taught it a line,
        or another worker did), the pages after that point are not folded and go again, cleaned
        with the new lines. A site learns most in its first pages, so its window starts at one
        page and doubles with each page folded without a move (back to one after a move): a
        young site takes a few more round trips, a settled one takes one pass, and the pages
        cleaned twice stay few (``bench/hotpath.py``: fresh and warm sites)."""
        queues: dict = {}
        for item in items:
            queues.setdefault(site_of(item), []).append(item)
        while queues:
            batch, pages, versions = [], [], {}
            for site, queue in queues.items():
                learned = self.lines(site)
                window = len(queue) if not site else max(1, self.calm.get(site, learned.pages if learned else 0))
                for n, item in enumerate(queue[:window]):
                    # The first page of a site in a pass is folded whatever the version, as a lone
                    # page always was; the ones after it only while their lines are still current.
                    expected = None if n == 0 else versions[site]
                    versions[site] = learned.version if learned else 0
                    batch.append(item)
                    pages.append((site, clean(item, learned), expected))
            done: dict = {}
            stale: set = set()
            for item, (site, _, _), (version, ok) in zip(batch, pages, self.observe_all(pages)):
                if site in stale or not ok:
                    stale.add(site)
                    continue
                done[site] = done.get(site, 0) + 1
                if version is not None and version != versions[site]:
                    stale.add(site)  # folded, and the site moved: the pages after it had old lines
            for site in list(queues):
                if site:
                    self.calm[site] = 0 if site in stale else self.calm.get(site, 0) + done.get(site, 0)
                queues[site] = queues[site][done.get(site, 0):]
                if not queues[site]:
                    del queues[site]
