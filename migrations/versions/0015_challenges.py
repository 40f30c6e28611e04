"""challenges: 揭榜挂帅 open challenges, applications, panel scores, acceptance

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
