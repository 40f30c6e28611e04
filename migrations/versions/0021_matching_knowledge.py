"""matching knowledge: graph links edited in the site (audited), evidence learnt from feedback

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # The evidence learnt from feedback is derived from match_feedback, introductions and contracts at
    # read time (matching/learning.py): it needs no table of its own.
    op.create_table(
        'match_knowledge_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('origin', sa.String(length=8), nullable=False),
        sa.Column('file_key', sa.String(length=16), nullable=True),
        sa.Column('industry', sa.String(length=32), nullable=False),
        sa.Column('cues', sa.String(length=400), nullable=False),
        sa.Column('mechanism', sa.String(length=400), nullable=False),
        sa.Column('technologies', sa.String(length=400), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_match_knowledge_links_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_knowledge_links')),
        sa.UniqueConstraint('file_key', name=op.f('uq_match_knowledge_links_file_key')),
    )
    with op.batch_alter_table('match_knowledge_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_knowledge_links_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('match_knowledge_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_knowledge_links_status'))
    op.drop_table('match_knowledge_links')
