"""The store (SQLAlchemy 2, SQLite or PostgreSQL): ``tables`` (the ledger's columns),
``db`` (engines, sessions, locks, Alembic upgrades), ``documents`` (recording inputs and
what the pipeline writes), ``articles`` (what readers see), ``meta``. Imports nothing of
the rest of corpus."""
