"""match_vectors: each record's sentence vector for the matcher's semantic term (matching/semantic.py)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 22:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'match_vectors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity_type', sa.String(length=12), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=40), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('entity_type', 'entity_id', name='uq_match_vectors_entity'),
    )


def downgrade():
    op.drop_table('match_vectors')
