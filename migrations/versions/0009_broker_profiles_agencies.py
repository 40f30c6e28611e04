"""brokers: profiles, agencies, filings, ratings

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('broker_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('real_name', sa.String(length=50), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=True),
    sa.Column('certificate_issuer', sa.String(length=120), nullable=True),
    sa.Column('specialties', sa.String(length=400), nullable=False),
    sa.Column('cities', sa.String(length=200), nullable=False),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('filed_with_org_id', sa.Integer(), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisations.id'], name=op.f('fk_broker_profiles_agency_org_id_organisations')),
    sa.ForeignKeyConstraint(['filed_with_org_id'], ['organisations.id'], name=op.f('fk_broker_profiles_filed_with_org_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_broker_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broker_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_broker_profiles_user_id'))
    )
    with op.batch_alter_table('broker_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broker_profiles_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_broker_profiles_filed_with_org_id'), ['filed_with_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_broker_profiles_status'), ['status'], unique=False)

    op.create_table('broker_training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['broker_profiles.id'], name=op.f('fk_broker_training_profile_id_broker_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broker_training')),
    sa.UniqueConstraint('profile_id', 'year', name='uq_broker_training_year')
    )
    with op.batch_alter_table('broker_training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broker_training_profile_id'), ['profile_id'], unique=False)

    op.create_table('broker_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('broker_id', sa.Integer(), nullable=False),
    sa.Column('rater_org_id', sa.Integer(), nullable=False),
    sa.Column('rater_user_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('score >= 1 AND score <= 5', name=op.f('ck_broker_ratings_score_range')),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], name=op.f('fk_broker_ratings_broker_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_broker_ratings_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rater_org_id'], ['organisations.id'], name=op.f('fk_broker_ratings_rater_org_id_organisations')),
    sa.ForeignKeyConstraint(['rater_user_id'], ['users.id'], name=op.f('fk_broker_ratings_rater_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broker_ratings')),
    sa.UniqueConstraint('contract_id', 'rater_org_id', name='uq_broker_ratings_once')
    )
    with op.batch_alter_table('broker_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broker_ratings_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_broker_ratings_contract_id'), ['contract_id'], unique=False)

    op.create_table('deal_disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('allow_amount', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_deal_disclosures_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_deal_disclosures_decided_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_deal_disclosures_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_disclosures')),
    sa.UniqueConstraint('contract_id', 'org_id', name='uq_deal_disclosures_party')
    )

    # The workbench lists open demands and each broker's introductions by stage: these keep it fast.
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.create_index('ix_introductions_stage_demand', ['stage', 'demand_id'], unique=False)


def downgrade():
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_index('ix_introductions_stage_demand')
    op.drop_table('deal_disclosures')
    with op.batch_alter_table('broker_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broker_ratings_contract_id'))
        batch_op.drop_index(batch_op.f('ix_broker_ratings_broker_id'))
    op.drop_table('broker_ratings')
    with op.batch_alter_table('broker_training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broker_training_profile_id'))
    op.drop_table('broker_training')
    with op.batch_alter_table('broker_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broker_profiles_status'))
        batch_op.drop_index(batch_op.f('ix_broker_profiles_filed_with_org_id'))
        batch_op.drop_index(batch_op.f('ix_broker_profiles_agency_org_id'))
    op.drop_table('broker_profiles')
