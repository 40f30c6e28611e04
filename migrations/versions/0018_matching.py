"""matching: stored matches, knowledge graph links, feedback evidence

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=12), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('band', sa.String(length=4), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('shared_terms', sa.JSON(), nullable=False),
    sa.Column('coverage', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_stored_matches_achievement_id_achievements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'], name=op.f('fk_stored_matches_demand_id_demands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_matches')),
    sa.UniqueConstraint('direction', 'demand_id', 'achievement_id', name='uq_stored_matches_pair')
    )
    with op.batch_alter_table('stored_matches', schema=None) as batch_op:
        batch_op.create_index('ix_stored_matches_achievement', ['achievement_id', 'direction'], unique=False)

    op.create_table('match_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=12), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('abstained', sa.Boolean(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_lists')),
    sa.UniqueConstraint('entity_type', 'entity_id', name='uq_match_lists_entity')
    )
    op.create_table('match_refresh_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=12), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('propagate', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_refresh_queue'))
    )
    with op.batch_alter_table('match_refresh_queue', schema=None) as batch_op:
        batch_op.create_index('ix_match_refresh_queue_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('match_rebuilds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('cursor_type', sa.String(length=12), nullable=True),
    sa.Column('cursor_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_rebuilds'))
    )
    op.create_table('match_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_match_requests_achievement_id_achievements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'], name=op.f('fk_match_requests_demand_id_demands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_match_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_requests')),
    sa.UniqueConstraint('demand_id', 'achievement_id', 'side', name='uq_match_requests_pair_side')
    )


def downgrade():
    op.drop_table('match_requests')
    op.drop_table('match_rebuilds')
    op.drop_table('match_refresh_queue')
    with op.batch_alter_table('stored_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_matches_achievement')
    op.drop_table('stored_matches')
    op.drop_table('match_lists')
