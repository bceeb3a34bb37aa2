"""events: same-event story clusters over canonical articles (members, links, key index)

Revision ID: 0004
Revises: 0003

Filled by the workers as they link (``workers.events``); a store upgraded from an earlier
version gets its events with ``corpus events rebuild``.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _id():
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', _id(), autoincrement=False, nullable=False),
    sa.Column('merged_into_id', sa.BigInteger(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sites', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.Float(), nullable=True),
    sa.Column('last_at', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_events_last_at', 'events', ['last_at'])
    op.create_table('event_members',
    sa.Column('article_id', _id(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('document_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('site', sa.String(length=255), nullable=True),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id']),
    sa.PrimaryKeyConstraint('article_id')
    )
    op.create_index('ix_event_members_event_id', 'event_members', ['event_id'])
    op.create_table('event_links',
    sa.Column('a_id', sa.BigInteger(), nullable=False),
    sa.Column('b_id', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('shared', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('a_id', 'b_id')
    )
    op.create_index('ix_event_links_b_id', 'event_links', ['b_id'])
    op.create_table('event_keys',
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('article_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'article_id')
    )
    op.create_index('ix_event_keys_article_id', 'event_keys', ['article_id'])
    op.create_index('ix_event_keys_key_at', 'event_keys', ['key', 'at'])


def downgrade() -> None:
    op.drop_table('event_keys')
    op.drop_table('event_links')
    op.drop_table('event_members')
    op.drop_index('ix_events_last_at', table_name='events')
    op.drop_table('events')
