"""bookings: bookable services of service resources, bookings, usage records

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bookable_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('policy', sa.String(length=10), nullable=False),
    sa.Column('cancel_hours', sa.Integer(), nullable=False),
    sa.Column('advance_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['service_resources.id'], name=op.f('fk_bookable_services_resource_id_service_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookable_services'))
    )
    with op.batch_alter_table('bookable_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookable_services_resource_id'), ['resource_id'], unique=False)

    op.create_table('booking_blackouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['bookable_services.id'], name=op.f('fk_booking_blackouts_service_id_bookable_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_blackouts')),
    sa.UniqueConstraint('service_id', 'day', name='uq_booking_blackouts_service_day')
    )

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('customer_org_id', sa.Integer(), nullable=False),
    sa.Column('customer_user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('samples', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('estimated_fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('cancelled_by', sa.String(length=10), nullable=True),
    sa.Column('used_hours', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('used_samples', sa.Integer(), nullable=True),
    sa.Column('computed_fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('fee_reason', sa.Text(), nullable=True),
    sa.Column('invoice_no', sa.String(length=40), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_org_id'], ['organisations.id'], name=op.f('fk_bookings_customer_org_id_organisations')),
    sa.ForeignKeyConstraint(['customer_user_id'], ['users.id'], name=op.f('fk_bookings_customer_user_id_users')),
    sa.ForeignKeyConstraint(['service_id'], ['bookable_services.id'], name=op.f('fk_bookings_service_id_bookable_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_customer_org_id'), ['customer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_status'), ['status'], unique=False)

    op.create_table('booking_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('slot_start', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_slots_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['bookable_services.id'], name=op.f('fk_booking_slots_service_id_bookable_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_slots')),
    sa.UniqueConstraint('service_id', 'slot_start', name='uq_booking_slots_service_slot')
    )
    with op.batch_alter_table('booking_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_slots_booking_id'), ['booking_id'], unique=False)


def downgrade():
    op.drop_table('booking_slots')
    op.drop_table('bookings')
    op.drop_table('booking_blackouts')
    op.drop_table('bookable_services')
