"""company scale (企业规模) of organisations and of historical contracts' buyers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('contract_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_scale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('contract_facts', schema=None) as batch_op:
        batch_op.drop_column('buyer_scale')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('scale')
