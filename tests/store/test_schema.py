"""The schema version corpus expects is the one Alembic's migrations end at."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from models import db


def test_the_schema_head_read_off_the_file_names_is_alembics(tmp_path):
    config = db.alembic_config(db.make_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    assert db.schema_head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_new_database_is_upgraded_to_the_head_and_then_left_alone(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    assert db.schema_revision(engine) is None
    db.upgrade(engine)
    assert db.schema_revision(engine) == db.schema_head()
    db.upgrade(engine)  # at the head: nothing to do
    assert db.schema_revision(engine) == db.schema_head()
