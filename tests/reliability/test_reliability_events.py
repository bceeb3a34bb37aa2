"""A worker killed between its link and its event assignment: the articles it settled wait
in the event outbox (recorded in the link's own transaction), and another worker gives
them their events with nobody asking. Real ``corpus worker`` processes, real Redis, a
PostgreSQL database of the test's own; the crash is a SIGKILL while the events lock is
held elsewhere, so the victim's drain could not have run."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select, text

from models.tables import Article, EventMember, EventOutbox
from tests.conftest import SEEDS
from tests.support import servers
from tests.support.reliability import engine, fleet, log_dir, pg_env, wait_settled  # noqa: F401
from tests.workers.test_events import check
from workers.events import EVENTS_LOCK_KEY


def live_articles(env) -> set[int]:
    with engine(env).connect() as connection:
        return set(connection.scalars(select(Article.id).where(Article.merged_into_id.is_(None),
                                                                Article.canonical_document_id.is_not(None))))


def outbox_size(env) -> int:
    with engine(env).connect() as connection:
        return connection.scalar(select(func.count()).select_from(EventOutbox))


def assigned(env) -> set[int]:
    with engine(env).connect() as connection:
        return set(connection.scalars(select(EventMember.article_id)))


def test_articles_settled_by_a_worker_killed_before_its_event_assignment_still_get_their_events(
        pg_env, fleet, tmp_path, monkeypatch):
    env = pg_env
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    victim = fleet.start(env)
    holder = engine(env).connect()
    transaction = holder.begin()
    holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENTS_LOCK_KEY})  # every drain now gives way
    try:
        assert env.run("ingest", str(folder)).returncode == 0
        wait_settled(env, 5, 120, fleet=fleet)
        assert outbox_size(env) >= 1 and live_articles(env) and not assigned(env)  # settled, events pending
        fleet.kill(victim)  # dies with the outbox full: its drain never ran
    finally:
        transaction.rollback()
        holder.close()
    fleet.start(env)  # enqueues nothing: only the outbox says there is work
    servers.wait_until(lambda: outbox_size(env) == 0, 120, interval=0.5, message="the outbox to drain")
    assert assigned(env) == live_articles(env)
    env.activate(monkeypatch)
    from workers.runtime import runtime

    groups = check(runtime())  # consistent with the rule: one event, the five seeds
    assert [len(g) for g in groups.values()] == [5]
