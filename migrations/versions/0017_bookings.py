"""bookings: bookable services of service resources, bookings, usage records

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
