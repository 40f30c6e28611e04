"""site: password reset, e-mail preferences, announcements (通知公告/政策法规)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
