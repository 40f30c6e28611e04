"""commissions: agreements, the append-only ledger, invoices on payments; government rewards

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reward_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('centre_org_id', sa.Integer(), nullable=False),
    sa.Column('city', sa.String(length=16), nullable=True),
    sa.Column('recipient_kind', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=True),
    sa.Column('base', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('permille', sa.Numeric(precision=8, scale=4), nullable=True),
    sa.Column('annual_cap', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('require_payment', sa.Boolean(), nullable=False),
    sa.Column('require_invoice', sa.Boolean(), nullable=False),
    sa.Column('contract_kinds', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_org_id'], ['organisations.id'], name=op.f('fk_reward_rules_centre_org_id_organisations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reward_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_rules'))
    )
    with op.batch_alter_table('reward_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_rules_centre_org_id'), ['centre_org_id'], unique=False)

    op.create_table('reward_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=False),
    sa.Column('publicity_starts_on', sa.Date(), nullable=True),
    sa.Column('publicity_ends_on', sa.Date(), nullable=True),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['reward_rules.id'], name=op.f('fk_reward_lists_rule_id_reward_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_lists'))
    )
    with op.batch_alter_table('reward_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_lists_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_lists_status'), ['status'], unique=False)

    op.create_table('reward_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
    sa.Column('recipient_org_id', sa.Integer(), nullable=True),
    sa.Column('recipient_name', sa.String(length=120), nullable=False),
    sa.Column('contracts_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('computed', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('disbursed_on', sa.Date(), nullable=True),
    sa.Column('disbursement_ref', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['list_id'], ['reward_lists.id'], name=op.f('fk_reward_lines_list_id_reward_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_org_id'], ['organisations.id'], name=op.f('fk_reward_lines_recipient_org_id_organisations')),
    sa.ForeignKeyConstraint(['recipient_user_id'], ['users.id'], name=op.f('fk_reward_lines_recipient_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_lines'))
    )
    with op.batch_alter_table('reward_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_lines_list_id'), ['list_id'], unique=False)

    op.create_table('commission_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('introduction_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('seller_org_id', sa.Integer(), nullable=False),
    sa.Column('buyer_org_id', sa.Integer(), nullable=False),
    sa.Column('payer', sa.String(length=8), nullable=False),
    sa.Column('seller_share', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('basis', sa.String(length=10), nullable=False),
    sa.Column('rate', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('fee', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('tiers', sa.JSON(), nullable=True),
    sa.Column('cap', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('equity_mode', sa.String(length=8), nullable=True),
    sa.Column('equity_shares', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('equity_percent', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('seller_confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('buyer_confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('split_note', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organisations.id'], name=op.f('fk_commission_agreements_buyer_org_id_organisations')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_commission_agreements_contract_id_contracts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_commission_agreements_created_by_id_users')),
    sa.ForeignKeyConstraint(['introduction_id'], ['introductions.id'], name=op.f('fk_commission_agreements_introduction_id_introductions')),
    sa.ForeignKeyConstraint(['seller_org_id'], ['organisations.id'], name=op.f('fk_commission_agreements_seller_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_agreements'))
    )
    with op.batch_alter_table('commission_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commission_agreements_buyer_org_id'), ['buyer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_agreements_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_agreements_introduction_id'), ['introduction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_agreements_seller_org_id'), ['seller_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_agreements_status'), ['status'], unique=False)

    op.create_table('commission_agreement_brokers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('broker_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['commission_agreements.id'], name=op.f('fk_commission_agreement_brokers_agreement_id_commission_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], name=op.f('fk_commission_agreement_brokers_broker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_agreement_brokers')),
    sa.UniqueConstraint('agreement_id', 'broker_id', name='uq_commission_agreement_brokers')
    )
    with op.batch_alter_table('commission_agreement_brokers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commission_agreement_brokers_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_agreement_brokers_broker_id'), ['broker_id'], unique=False)

    op.create_table('commission_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('broker_id', sa.Integer(), nullable=False),
    sa.Column('payer', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('medium', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('equity_shares', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('equity_percent', sa.Numeric(precision=12, scale=6), nullable=True),
    sa.Column('entry_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('invoice_no', sa.String(length=40), nullable=True),
    sa.Column('bank_ref', sa.String(length=60), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_commission_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['agreement_id'], ['commission_agreements.id'], name=op.f('fk_commission_entries_agreement_id_commission_agreements')),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], name=op.f('fk_commission_entries_broker_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_commission_entries_contract_id_contracts')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_commission_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['reverses_id'], ['commission_entries.id'], name=op.f('fk_commission_entries_reverses_id_commission_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_entries')),
    sa.UniqueConstraint('agreement_id', 'broker_id', 'payer', 'kind', 'source', name='uq_commission_entries_once')
    )
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commission_entries_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_entries_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_entries_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_entries_entry_on'), ['entry_on'], unique=False)

    op.create_table('payment_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('invoice_no', sa.String(length=40), nullable=False),
    sa.Column('contract_no', sa.String(length=40), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_payment_invoices_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_invoices_payment_id_payments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payment_invoices_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_invoices')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_payment_invoices_payment_id'))
    )
    with op.batch_alter_table('payment_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_invoices_contract_id'), ['contract_id'], unique=False)


    # The ledger is append-only: on PostgreSQL the database refuses an UPDATE or DELETE of an entry too
    # (TRUNCATE, used only by the test suite's cleanup, fires no row trigger). SQLite relies on the service,
    # which offers no edit (tests/test_commissions.py checks it).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION commission_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'commission_entries is append-only (use a reversing entry)'; END $$")
        op.execute("CREATE TRIGGER commission_entries_append_only BEFORE UPDATE OR DELETE ON commission_entries "
                   "FOR EACH ROW EXECUTE FUNCTION commission_entries_append_only()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS commission_entries_append_only ON commission_entries")
        op.execute("DROP FUNCTION IF EXISTS commission_entries_append_only()")
    with op.batch_alter_table('payment_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_invoices_contract_id'))

    op.drop_table('payment_invoices')
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commission_entries_entry_on'))
        batch_op.drop_index(batch_op.f('ix_commission_entries_contract_id'))
        batch_op.drop_index(batch_op.f('ix_commission_entries_broker_id'))
        batch_op.drop_index(batch_op.f('ix_commission_entries_agreement_id'))

    op.drop_table('commission_entries')
    with op.batch_alter_table('commission_agreement_brokers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commission_agreement_brokers_broker_id'))
        batch_op.drop_index(batch_op.f('ix_commission_agreement_brokers_agreement_id'))

    op.drop_table('commission_agreement_brokers')
    with op.batch_alter_table('commission_agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commission_agreements_status'))
        batch_op.drop_index(batch_op.f('ix_commission_agreements_seller_org_id'))
        batch_op.drop_index(batch_op.f('ix_commission_agreements_introduction_id'))
        batch_op.drop_index(batch_op.f('ix_commission_agreements_contract_id'))
        batch_op.drop_index(batch_op.f('ix_commission_agreements_buyer_org_id'))

    op.drop_table('commission_agreements')
    with op.batch_alter_table('reward_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_lines_list_id'))

    op.drop_table('reward_lines')
    with op.batch_alter_table('reward_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_lists_status'))
        batch_op.drop_index(batch_op.f('ix_reward_lists_rule_id'))

    op.drop_table('reward_lists')
    with op.batch_alter_table('reward_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_rules_centre_org_id'))

    op.drop_table('reward_rules')
