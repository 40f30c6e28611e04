"""events: roadshows and matchmaking events (路演/对接会), the achievements presented, agenda, brokers,
registrations with quota and waiting list, check-in, interests (leads for the brokers)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('organiser_org_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(), nullable=False),
    sa.Column('city', sa.String(length=16), nullable=True),
    sa.Column('venue', sa.String(length=200), nullable=True),
    sa.Column('online_url', sa.String(length=300), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('industries', sa.String(length=400), nullable=False),
    sa.Column('audience_cities', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('roster_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_events_created_by_id_users')),
    sa.ForeignKeyConstraint(['organiser_org_id'], ['organisations.id'], name=op.f('fk_events_organiser_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('ref', name=op.f('uq_events_ref'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_city'), ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_organiser_org_id'), ['organiser_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_status'), ['status'], unique=False)

    op.create_table('event_agenda',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('speaker', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_agenda_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_agenda'))
    )
    with op.batch_alter_table('event_agenda', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_agenda_event_id'), ['event_id'], unique=False)

    op.create_table('event_brokers',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_brokers_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_brokers_user_id_users')),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_event_brokers'))
    )

    op.create_table('event_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=True),
    sa.Column('challenge_id', sa.Integer(), nullable=True),
    sa.Column('presenter', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_event_items_achievement_id_achievements')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_items_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_items')),
    sa.UniqueConstraint('event_id', 'achievement_id', name='uq_event_items_achievement')
    )
    with op.batch_alter_table('event_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_items_achievement_id'), ['achievement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_items_event_id'), ['event_id'], unique=False)

    op.create_table('event_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'], name=op.f('fk_event_registrations_checked_in_by_id_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_event_registrations_org_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_registrations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registrations')),
    sa.UniqueConstraint('code', name=op.f('uq_event_registrations_code')),
    sa.UniqueConstraint('event_id', 'user_id', name='uq_event_registrations_user')
    )
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_event_registrations_event_status', ['event_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_registrations_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_registrations_user_id'), ['user_id'], unique=False)

    op.create_table('event_interests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('broker_id', sa.Integer(), nullable=True),
    sa.Column('introduction_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_event_interests_achievement_id_achievements')),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], name=op.f('fk_event_interests_broker_id_users')),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'], name=op.f('fk_event_interests_demand_id_demands')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_interests_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['introduction_id'], ['introductions.id'], name=op.f('fk_event_interests_introduction_id_introductions')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_event_interests_org_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_interests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_interests')),
    sa.UniqueConstraint('event_id', 'achievement_id', 'org_id', name='uq_event_interests_once')
    )
    with op.batch_alter_table('event_interests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_interests_achievement_id'), ['achievement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_interests_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_interests_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_interests_status'), ['status'], unique=False)


def downgrade():
    for table in ('event_interests', 'event_registrations', 'event_items', 'event_brokers', 'event_agenda',
                  'events'):
        op.drop_table(table)
