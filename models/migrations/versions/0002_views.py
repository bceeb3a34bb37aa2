"""views for downstream tools: canonical_articles, duplicate_links

Revision ID: 0002
Revises: 0001

Documented in README.md ("Reading the store"). Plain SQL that SQLite and PostgreSQL both
run; a view changes only through a new migration (drop and create again), so tools can
rely on its columns. A later migration that rebuilds ``documents`` or ``articles`` with
SQLite's batch mode (copy, drop, rename) must drop these views first and create them again.
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


CANONICAL_ARTICLES = """
CREATE VIEW canonical_articles AS
SELECT a.id AS article_id,
       a.canonical_document_id AS document_id,
       d.title AS title,
       d.text AS text,
       COALESCE(d.url, d.source) AS source,
       d.url AS url,
       d.site AS site,
       d."metadata" AS metadata,
       (SELECT COUNT(*) FROM documents c
         WHERE c.article_id = a.id AND c.status = 'duplicate') AS duplicates,
       a.change_seq AS change_seq,
       a.created_at AS created_at,
       a.updated_at AS updated_at
FROM articles a
JOIN documents d ON d.id = a.canonical_document_id
WHERE a.merged_into_id IS NULL
"""

DUPLICATE_LINKS = """
CREATE VIEW duplicate_links AS
SELECT c.id AS document_id,
       COALESCE(c.url, c.source) AS source,
       c.site AS site,
       c.article_id AS article_id,
       a.canonical_document_id AS canonical_document_id,
       COALESCE(k.url, k.source) AS canonical_source,
       c.kind AS kind,
       c.similarity AS similarity,
       c.processed_at AS processed_at
FROM documents c
JOIN articles a ON a.id = c.article_id
JOIN documents k ON k.id = a.canonical_document_id
WHERE c.status = 'duplicate'
"""


def upgrade() -> None:
    op.execute(CANONICAL_ARTICLES)
    op.execute(DUPLICATE_LINKS)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS duplicate_links")
    op.execute("DROP VIEW IF EXISTS canonical_articles")
