"""challenges: 揭榜挂帅 open challenges, applications, panel scores, acceptance

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('indicators', sa.Text(), nullable=True),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('city', sa.String(length=16), nullable=False),
    sa.Column('bounty', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('enterprise_funding', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('fiscal_funding', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('ip_terms', sa.Text(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('company_org_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('awarded_application_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.String(length=8), nullable=True),
    sa.Column('rating_note', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_org_id'], ['organisations.id'], name=op.f('fk_challenges_company_org_id_organisations')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_challenges_contract_id_contracts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_challenges_created_by_id_users')),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'], name=op.f('fk_challenges_demand_id_demands')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_challenges_owner_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('ref', name=op.f('uq_challenges_ref'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_city'), ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_demand_id'), ['demand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_industry'), ['industry'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_status'), ['status'], unique=False)

    op.create_table('challenge_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.Column('share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_challenge_milestones_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_milestones_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_milestones'))
    )
    with op.batch_alter_table('challenge_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_milestones_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('challenge_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_criteria_challenge_id_challenges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_criteria'))
    )
    with op.batch_alter_table('challenge_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_criteria_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('challenge_panel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_panel_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_challenge_panel_invited_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_challenge_panel_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_panel')),
    sa.UniqueConstraint('challenge_id', 'user_id', name='uq_challenge_panel_member')
    )
    with op.batch_alter_table('challenge_panel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_panel_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_panel_user_id'), ['user_id'], unique=False)

    op.create_table('challenge_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('team', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('budget', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('schedule', sa.Text(), nullable=False),
    sa.Column('attachments', sa.Text(), nullable=True),
    sa.Column('no_conflict', sa.Boolean(), nullable=False),
    sa.Column('conflicts', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total_score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_challenge_applications_applicant_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_applications_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_challenge_applications_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_applications')),
    sa.UniqueConstraint('challenge_id', 'org_id', name='uq_challenge_applications_org')
    )
    with op.batch_alter_table('challenge_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_applications_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_applications_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_applications_status'), ['status'], unique=False)

    op.create_table('challenge_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['challenge_applications.id'], name=op.f('fk_challenge_scores_application_id_challenge_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_id'], ['challenge_criteria.id'], name=op.f('fk_challenge_scores_criterion_id_challenge_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_challenge_scores_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_scores')),
    sa.UniqueConstraint('application_id', 'user_id', 'criterion_id', name='uq_challenge_scores_once')
    )
    with op.batch_alter_table('challenge_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_scores_application_id'), ['application_id'], unique=False)


def downgrade():
    op.drop_table('challenge_scores')
    op.drop_table('challenge_applications')
    op.drop_table('challenge_panel')
    op.drop_table('challenge_criteria')
    op.drop_table('challenge_milestones')
    op.drop_table('challenges')
