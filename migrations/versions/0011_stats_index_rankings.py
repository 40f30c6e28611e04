"""statistics: institution index snapshots and published rankings

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_index_rankings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], name=op.f('fk_stats_index_rankings_frozen_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_stats_index_rankings_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_index_rankings')),
    sa.UniqueConstraint('year', name=op.f('uq_stats_index_rankings_year'))
    )
    with op.batch_alter_table('stats_index_rankings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stats_index_rankings_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('stats_index_rankings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stats_index_rankings_status'))
    op.drop_table('stats_index_rankings')
