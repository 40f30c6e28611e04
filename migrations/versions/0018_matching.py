"""matching: stored matches, knowledge graph links, feedback evidence

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
