"""Events in the store, through the pipeline in-process (real store, real Redis index, both
SQLite and PostgreSQL): assigned as articles settle, merged by a bridging article, kept
apart for unrelated articles and a local site's briefs, re-assigned when a canonical
changes or articles merge -- and always consistent with the rule (``check``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ingest.formats.records import to_document
from models.db import read_scope, session_scope
from models.documents import NewDocument, record
from models.events import event_detail, list_events
from models.tables import Article, Document, Event, EventLink, EventMember
from tests.conftest import SEEDS
from tests.support import stories
from workers import pipeline
from workers.steps import events as rule


@pytest.fixture
def rt(corpus, monkeypatch):
    corpus.activate(monkeypatch)
    from workers.runtime import runtime

    return runtime()


def ingest(rt, records: list[dict]) -> list[int]:
    with session_scope(rt.engine) as session:
        ids = [i for i, _ in record(session, [to_document(r, source=r["url"]) for r in records])]
    for doc_id in ids:
        pipeline.process(rt, [doc_id])
    return ids


def check(rt) -> dict[int, set[int]]:
    """The store agrees with the rule: every live article in exactly one event, events named
    by their smallest member, sizes right, links only between live members, and the events
    are exactly the connected components of the links. Returns event id -> article ids."""
    with read_scope(rt.engine) as session:
        live = set(session.scalars(select(Article.id).where(Article.merged_into_id.is_(None),
                                                            Article.canonical_document_id.is_not(None))))
        members = dict(session.execute(select(EventMember.article_id, EventMember.event_id)).all())
        links = session.execute(select(EventLink.a_id, EventLink.b_id)).all()
        events = {e.id: e for e in session.scalars(select(Event).where(Event.merged_into_id.is_(None), Event.size > 0))}
    assert set(members) == live
    groups: dict[int, set[int]] = {}
    for article_id, event_id in members.items():
        groups.setdefault(event_id, set()).add(article_id)
    assert set(groups) == set(events)
    for event_id, group in groups.items():
        assert min(group) == event_id and events[event_id].size == len(group)
    components = rule.Components(live)
    for a, b in links:
        assert a in live and b in live
        components.union(a, b)
    assert {frozenset(g) for g in components.groups().values()} == {frozenset(g) for g in groups.values()}
    return groups


def test_every_article_gets_an_event_and_the_seeds_share_one(rt):
    seeds = [{"text": p.read_text(encoding="utf-8"), "url": f"https://outlet{n}.example/{p.stem}"}
             for n, p in enumerate(sorted(SEEDS.glob("*.txt")))]  # five stories from five outlets
    ingest(rt, seeds)
    groups = check(rt)
    assert [len(g) for g in groups.values()] == [5]
    with read_scope(rt.engine) as session:
        detail = event_detail(session, next(iter(groups)))
    assert detail["size"] == 5
    joined = [a["why"] for a in detail["articles"][1:]]
    assert all(w["score"] > 0 and w["shared"] for w in joined)
    assert any("kyrgyz" in " ".join(w["shared"]).lower() for w in joined)


def bridge_records() -> tuple[dict, dict, dict]:
    dam = ("Quarrendale dam breach floods valley villages",
           ["The Quarrendale dam operated by Vostrik Hydro gave way early on Monday, sending water into "
            "the villages below, the regional emergency service said.",
            "Engineers from Vostrik Hydro had reported cracks in the Quarrendale spillway in March."])
    rescue = ("Boats reach stranded families in Tarnwick",
              ["Rescue crews from Brannock county reached Tarnwick by boat on Monday afternoon and took "
               "families from rooftops, the county's fire chief Sefton Marr said.",
               "Marr said the water in Tarnwick had risen two metres in an hour."])
    both = ("Quarrendale dam failure: Tarnwick flooded, Vostrik Hydro under scrutiny",
            ["Water from the breached Quarrendale dam, run by Vostrik Hydro, reached Tarnwick within hours, "
             "where Brannock county rescuers led by Sefton Marr took families from rooftops.",
             "Vostrik Hydro said it would cooperate with investigators; Marr said Tarnwick was still cut off."])

    def as_record(name, headline_paragraphs, hour):
        headline, paragraphs = headline_paragraphs
        return {"text": "\n\n".join([headline, *paragraphs]), "url": f"https://{name}.example/story",
                "site": f"{name}.example", "published": f"2026-05-04T{hour:02d}:00:00Z"}

    return as_record("dam", dam, 8), as_record("rescue", rescue, 15), as_record("both", both, 20)


def test_a_bridging_article_merges_two_events(rt):
    dam, rescue, both = bridge_records()
    featured = [rule.features(r["text"].split("\n\n")[0], r["text"], at=rule.parse_time(r["published"]), site=r["site"])
                for r in (dam, rescue, both)]
    assert not rule.similarity(featured[0], featured[1]).linked  # what the test is about
    assert rule.similarity(featured[0], featured[2]).linked and rule.similarity(featured[1], featured[2]).linked

    ingest(rt, [dam, rescue])
    before = check(rt)
    assert len(before) == 2
    ingest(rt, [both])
    after = check(rt)
    assert len(after) == 1
    survivor = next(iter(after))
    assert survivor == min(before)
    with read_scope(rt.engine) as session:
        absorbed = session.get(Event, max(before))
        assert absorbed.merged_into_id == survivor and absorbed.size == 0
        assert event_detail(session, max(before))["id"] == survivor  # an old id still finds its event


def test_unrelated_articles_each_get_their_own_event(rt):
    # Hard negatives: close in time, place and domain (the Marseille strikes, the Spanish
    # wildfires, the German recalls), one story each.
    by_id = {e["event_id"]: e for e in stories.events("A")}
    picked = [by_id[e]["stories"][0] for e in ("A03", "A04", "A11", "A12", "A13", "A14")]
    ingest(rt, [stories.story_record(s) for s in picked])
    groups = check(rt)
    assert len(groups) == 6 and all(len(g) == 1 for g in groups.values())


def test_briefs_under_one_sites_chrome_stay_apart(rt):
    site = "ashbury-gazette.example"
    records = [{"text": stories.chrome(site, b["headline"], b["paragraphs"]), "site": site,
                "url": f"https://{site}/{b['brief_id'].lower()}", "published": b["published"]}
               for b in stories.briefs("A")]
    ids = ingest(rt, records)
    groups = check(rt)
    assert len(groups) == len(ids) == 20


def test_stories_of_one_event_and_their_copies(rt):
    event = next(e for e in stories.events("A") if e["event_id"] == "A16")  # five stories
    records = [stories.story_record(s) for s in event["stories"]]
    copies = [stories.story_record(s, site="syndicator.example") for s in event["stories"][:2]]
    for copy in copies:
        copy["url"] = copy["url"].replace("https://syndicator.example/", "https://syndicator.example/wire/")
    ingest(rt, records + copies)
    groups = check(rt)
    assert [len(g) for g in groups.values()] == [5]  # copies are duplicates of their article, not members
    with read_scope(rt.engine) as session:
        listed = list_events(session, min_size=2)
    assert len(listed) == 1 and len(listed[0]["sites"]) >= 2


def paragraphs_of(story: dict) -> list[str]:
    return [story["headline"], *story["paragraphs"]]


def test_events_follow_a_promoted_canonical_and_merged_articles(rt):
    """An excerpt and the story's second half are two articles (and one event) until the full
    story arrives and bridges them: the articles merge, the event keeps one live member and
    its features come from the new canonical."""
    story = max((s for e in stories.events("A") for s in e["stories"]), key=lambda s: len(" ".join(s["paragraphs"])))
    parts = paragraphs_of(story)
    half = len(parts) // 2
    texts = {"first": "\n\n".join(parts[:half]), "second": "\n\n".join(parts[half:]), "full": "\n\n".join(parts)}
    with session_scope(rt.engine) as session:
        ids = {name: doc_id for name, (doc_id, _) in zip(texts, record(session, [
            NewDocument(source=name, data=text.encode(), format="text",
                        hints={"published": story["published"]}) for name, text in texts.items()]))}
    pipeline.process(rt, [ids["first"]])
    pipeline.process(rt, [ids["second"]])
    before = check(rt)
    pipeline.process(rt, [ids["full"]])
    after = check(rt)
    with read_scope(rt.engine) as session:
        live = session.scalars(select(Article).where(Article.merged_into_id.is_(None))).all()
        member = session.get(EventMember, live[0].id)
    if len(live) == 1:  # the full story bridged the two halves into one article
        assert [len(g) for g in after.values()] == [1]
        assert member.document_id == live[0].canonical_document_id == ids["full"]
    assert sum(len(g) for g in before.values()) >= 1


def test_an_article_that_leaves_a_merged_event_gets_its_own_back(rt):
    """Its own event once merged into another (its id now names a merged event), an article
    judged again that links to nothing is an event of one again, under its own id: the
    merged event's row is revived, not inserted a second time (which failed every drain
    after it, and `ingest --wait` waited for ever)."""
    from workers import events

    dam, rescue, both = bridge_records()
    ingest(rt, [dam, rescue])
    ingest(rt, [both])
    (survivor, members), = check(rt).items()
    with read_scope(rt.engine) as session:  # the article whose own event merged into the survivor's
        leaving, = session.scalars(select(Event.id).where(Event.merged_into_id == survivor))
    assert leaving in members
    unrelated = stories.events("A")[0]["stories"][0]
    with session_scope(rt.engine) as session:
        document = session.get(Document, session.get(Article, leaving).canonical_document_id)
        document.title, document.text = unrelated["headline"], "\n\n".join(unrelated["paragraphs"])
        session.get(EventMember, leaving).version = rule.VERSION - 1  # judged by an older rule: again
    with session_scope(rt.engine) as session:
        events.assign(session, [leaving])
    groups = check(rt)
    assert groups[leaving] == {leaving} and leaving not in groups[survivor]
    with read_scope(rt.engine) as session:
        revived = session.get(Event, leaving)
        assert revived.merged_into_id is None and revived.size == 1


def test_a_failing_article_does_not_hold_up_the_others_events(rt, corpus):
    """One article whose assignment fails for a reason that does not pass (here its
    canonical document is gone from the store) among others pending: the others get their
    events; its row keeps the reason, out of later drains' way; `ingest --wait` would return;
    `corpus status` names the problem and `corpus events rebuild` tries it again."""
    import json

    from sqlalchemy import delete, insert

    from models.events import event_failures, events_assigned, pending_mark
    from models.tables import EventKey, EventOutbox
    from workers import events

    by_id = {e["event_id"]: e for e in stories.events("A")}
    ids = ingest(rt, [stories.story_record(by_id[e]["stories"][0]) for e in ("A03", "A04", "A11", "A12")])
    with session_scope(rt.engine) as session:  # a store whose events are all still to assign
        articles = sorted(session.scalars(select(Article.id)))
        for table in (EventLink, EventKey, EventMember, Event):
            session.execute(delete(table))
        broken = session.get(Article, articles[1])
        broken.canonical_document_id = max(ids) + 1000  # no such document
        session.execute(insert(EventOutbox), [{"article_id": a} for a in articles])
        mark = pending_mark(session)
    assert events.drain(rt.engine) == len(articles)
    with read_scope(rt.engine) as session:
        members = dict(session.execute(select(EventMember.article_id, EventMember.event_id)).all())
        failed, reason = event_failures(session)
        assert events_assigned(session, mark)
    assert set(members) == set(articles) - {broken.id}
    assert failed == 1 and reason.startswith("KeyError")
    assert events.drain(rt.engine) == 0  # kept out of later drains

    status = json.loads(corpus.run("status", "--json").stdout)
    assert status["events"]["failed"] == 1 and any("event" in p for p in status["problems"])
    still = corpus.run("events", "rebuild")
    assert still.returncode == 1 and "still could not be given an event" in still.stderr
    with session_scope(rt.engine) as session:  # mended: the article has its document back
        session.get(Article, broken.id).canonical_document_id = ids[1]
    mended = corpus.run("events", "rebuild")
    assert mended.returncode == 0, mended.stderr
    assert "retried 1" in mended.stdout
    assert check(rt)


def test_stored_features_are_those_of_the_canonical_as_stored(rt):
    """What the drain stores of each article is what the rule says of its canonical document
    as stored, batches, copies and all (``corpus events show`` explains from it)."""
    from workers.events import article_time

    event = next(e for e in stories.events("A") if e["event_id"] == "A16")
    records = [stories.story_record(s) for s in event["stories"]]
    copies = [stories.story_record(s, site="syndicator.example") for s in event["stories"][:2]]
    for copy in copies:
        copy["url"] = copy["url"].replace("https://syndicator.example/", "https://syndicator.example/wire/")
    with session_scope(rt.engine) as session:
        ids = [i for i, _ in record(session, [to_document(r, source=r["url"]) for r in records + copies])]
    for start in range(0, len(ids), 3):  # batches, as the queue sends them
        pipeline.process(rt, ids[start:start + 3])
    check(rt)
    with read_scope(rt.engine) as session:
        rows = session.execute(select(EventMember, Article, Document)
                               .join(Article, Article.id == EventMember.article_id)
                               .join(Document, Document.id == Article.canonical_document_id)).all()
        assert len(rows) == len(records)
        for member, article, canonical in rows:
            expected = rule.features(canonical.title, canonical.text, at=article_time(canonical.meta, article.created_at),
                                     site=canonical.site).hashed()
            assert member.document_id == canonical.id
            assert (member.keys, member.total, member.at, member.site) == (
                expected.keys, expected.total, expected.at, expected.site)
