"""matching knowledge: graph links edited in the site (audited), evidence learnt from feedback

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
