"""import jobs on a task queue: submit flag, attempts, run start and heartbeat

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submit', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_import_jobs_status'), ['status'], unique=False)
    op.execute("UPDATE import_jobs SET updated_at = COALESCE(finished_at, created_at)")
    # Jobs left "running" by the old in-process thread have no worker any more.
    op.execute("UPDATE import_jobs SET status = 'failed', message = '导入失败：导入进程已停止，请重新上传' "
               "WHERE status = 'running'")
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_status'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('submit')
