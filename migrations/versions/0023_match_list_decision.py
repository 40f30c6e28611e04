"""match_lists.decision: the abstention's signals and confidence as the engine decided them (why a list is silent)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('match_lists') as batch:
        batch.add_column(sa.Column('decision', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('match_lists') as batch:
        batch.drop_column('decision')
