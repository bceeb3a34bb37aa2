"""event outbox: articles whose event is still to be assigned

Revision ID: 0005
Revises: 0004

The link transaction records here the articles it settled; the events drain
(``workers.events.drain``) assigns their events in batches, outside the cluster lock, and
deletes the rows it handled.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('event_outbox')
