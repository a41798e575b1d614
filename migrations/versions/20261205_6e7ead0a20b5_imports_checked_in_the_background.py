"""roster imports checked in the background: a large upload waits (status waiting, then
checking) for the scheduler's imports job, which writes its progress (rows_total,
rows_done), counts its attempts and records why a file failed (error_code, error_params)

Revision ID: 6e7ead0a20b5
Revises: 6700df0e10cb
Create Date: 2026-12-05 04:25:50.379702

"""
import sqlalchemy as sa
from alembic import op

revision = '6e7ead0a20b5'
down_revision = '6700df0e10cb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows_total', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('rows_done', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('error_params', sa.JSON(), nullable=True))
        batch_op.create_index('ix_import_files_status_id', ['status', 'id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_import_files_status'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_import_files_status'),
            "status IN ('waiting', 'checking', 'checked', 'confirmed', 'failed')")
        batch_op.create_check_constraint(
            batch_op.f('ck_import_files_counts'),
            'rows_done >= 0 AND rows_total >= 0 AND attempts >= 0')
        batch_op.create_check_constraint(
            batch_op.f('ck_import_files_failed'), "(status = 'failed') = (error_code IS NOT NULL)")
    # the rows were counted when they were checked: a checked file's progress is whole
    op.execute("UPDATE import_files SET rows_total = (SELECT count(*) FROM import_rows "
               "WHERE import_rows.file_id = import_files.id)")
    op.execute("UPDATE import_files SET rows_done = rows_total")
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        for column in ('rows_total', 'rows_done', 'attempts'):
            batch_op.alter_column(column, server_default=None)


def downgrade():
    # files not (yet) checked cannot be kept under the old rule: they and their rows go
    unchecked = "SELECT id FROM import_files WHERE status NOT IN ('checked', 'confirmed')"
    op.execute(f"DELETE FROM import_rows WHERE file_id IN ({unchecked})")
    op.execute(f"DELETE FROM import_files WHERE id IN ({unchecked})")
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_import_files_failed'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_import_files_counts'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_import_files_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_import_files_status'),
                                         "status IN ('checked', 'confirmed')")
        batch_op.drop_index('ix_import_files_status_id')
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_code')
        batch_op.drop_column('started_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('rows_done')
        batch_op.drop_column('rows_total')
