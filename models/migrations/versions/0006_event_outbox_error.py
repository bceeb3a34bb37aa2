"""event outbox: the reason an article could not be given its event

Revision ID: 0006
Revises: 0005

A drain that fails on one article for a reason that does not pass (a fault, not the store
away) assigns the rest one by one and keeps the failing article's row with its reason,
instead of failing every drain after it (``workers.events.drain``). ``corpus status`` counts
them; ``corpus events rebuild`` tries them again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event_outbox') as batch:
        batch.add_column(sa.Column('error', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event_outbox') as batch:
        batch.drop_column('error')
