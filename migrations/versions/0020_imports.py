"""imports: natural keys (owner + title, for rows without 编号) and the job's sample-row count, mapping notes
and error file; the keys of the existing records filled in

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 09:00:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TABLES = {"achievement": "achievements", "demand": "demands", "service": "service_resources"}


def _key(title):
    # the same as marketplace.imports.models.title_key (a migration never imports the application)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(title or ""))).casefold()[:200]


def upgrade():
    op.create_table(
        'import_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity_type', sa.String(length=16), nullable=False),
        sa.Column('owner_org_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_keys')),
    )
    with op.batch_alter_table('import_keys', schema=None) as batch_op:
        batch_op.create_index('ix_import_keys_lookup', ['entity_type', 'owner_org_id', 'key'], unique=False)
        batch_op.create_index('ix_import_keys_entity', ['entity_type', 'entity_id'], unique=False)
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('notes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('errors_path', sa.String(length=400), nullable=True))
    conn = op.get_bind()
    keys = sa.table('import_keys', sa.column('entity_type'), sa.column('owner_org_id'), sa.column('key'),
                    sa.column('entity_id'))
    for entity_type, table in TABLES.items():
        t = sa.table(table, sa.column('id'), sa.column('owner_org_id'), sa.column('title'))
        last = 0
        while True:
            rows = conn.execute(sa.select(t.c.id, t.c.owner_org_id, t.c.title).where(t.c.id > last)
                                .order_by(t.c.id).limit(5000)).all()
            if not rows:
                break
            conn.execute(keys.insert(), [{"entity_type": entity_type, "owner_org_id": o, "key": _key(title),
                                          "entity_id": i} for i, o, title in rows if title])
            last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('errors_path')
        batch_op.drop_column('notes')
        batch_op.drop_column('skipped')
    op.drop_table('import_keys')
