"""audit_log: from_state and to_state up to 32 characters (states such as registration_closed)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 10:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log') as batch:
        batch.alter_column('from_state', existing_type=sa.String(length=16), type_=sa.String(length=32))
        batch.alter_column('to_state', existing_type=sa.String(length=16), type_=sa.String(length=32))


def downgrade():
    with op.batch_alter_table('audit_log') as batch:
        batch.alter_column('from_state', existing_type=sa.String(length=32), type_=sa.String(length=16))
        batch.alter_column('to_state', existing_type=sa.String(length=32), type_=sa.String(length=16))
