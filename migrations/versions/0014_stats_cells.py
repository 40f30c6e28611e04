"""statistics: contract_cells, the facts pre-aggregated by year, month, city, kind, industry, field and seller
type (kept current by stats/cells.py in every writing transaction), filled from the existing facts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contract_cells',
        sa.Column('year', sa.SmallInteger(), nullable=False),
        sa.Column('city', sa.String(length=16), nullable=False),
        sa.Column('month', sa.SmallInteger(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('industry', sa.String(length=32), nullable=False),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('seller_type', sa.String(length=8), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('tech_amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('received_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('year', 'city', 'month', 'kind', 'industry', 'field', 'seller_type',
                                name=op.f('pk_contract_cells')),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO contract_cells (year, city, month, kind, industry, field, seller_type, count, amount_fen,"
        " tech_amount_fen, received_fen)"
        " SELECT year, COALESCE(city, ''), month, kind, industry, field, seller_type, COUNT(*),"
        " SUM(amount_fen), SUM(tech_amount_fen), SUM(received_fen)"
        " FROM contract_facts"
        " GROUP BY year, COALESCE(city, ''), month, kind, industry, field, seller_type"
    )


def downgrade():
    op.drop_table('contract_cells')
