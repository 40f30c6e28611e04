"""statistics: registered-contract facts (site and historical), targets, aggregates

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_no', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('seller', sa.String(length=120), nullable=False),
    sa.Column('seller_type', sa.String(length=8), nullable=False),
    sa.Column('seller_region', sa.String(length=16), nullable=False),
    sa.Column('seller_org_id', sa.Integer(), nullable=True),
    sa.Column('buyer', sa.String(length=120), nullable=False),
    sa.Column('buyer_region', sa.String(length=16), nullable=False),
    sa.Column('city', sa.String(length=16), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('tech_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('received_fen', sa.BigInteger(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.SmallInteger(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('batch', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_facts_contract_id_contracts'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seller_org_id'], ['organisations.id'],
                            name=op.f('fk_contract_facts_seller_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_facts')),
    sa.UniqueConstraint('contract_id', name=op.f('uq_contract_facts_contract_id')),
    sa.UniqueConstraint('registration_no', name=op.f('uq_contract_facts_registration_no'))
    )
    with op.batch_alter_table('contract_facts', schema=None) as batch_op:
        batch_op.create_index('ix_contract_facts_cover', ['year', 'city', 'kind', 'month', 'industry', 'field',
                                                          'seller_type', 'buyer_region', 'amount_fen',
                                                          'tech_amount_fen', 'received_fen'], unique=False)
        batch_op.create_index('ix_contract_facts_buyer', ['year', 'buyer_region', 'city', 'amount_fen',
                                                          'tech_amount_fen', 'received_fen'], unique=False)
        batch_op.create_index('ix_contract_facts_seller_org', ['seller_org_id', 'year', 'city', 'kind', 'month',
                                                               'industry', 'field', 'seller_type', 'buyer_region',
                                                               'amount_fen', 'tech_amount_fen', 'received_fen'],
                              unique=False)

    op.create_table('stat_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_stat_targets_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_targets'))
    )
    with op.batch_alter_table('stat_targets', schema=None) as batch_op:
        batch_op.create_index('ix_stat_targets_year_scope', ['year', 'scope', 'indicator'], unique=False)


def downgrade():
    with op.batch_alter_table('stat_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_targets_year_scope')
    op.drop_table('stat_targets')
    with op.batch_alter_table('contract_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_facts_seller_org')
        batch_op.drop_index('ix_contract_facts_buyer')
        batch_op.drop_index('ix_contract_facts_cover')
    op.drop_table('contract_facts')
