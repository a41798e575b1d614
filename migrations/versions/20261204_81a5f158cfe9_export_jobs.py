"""export jobs: exports asked for (kind, parameters, who, status, progress, expiry) and
their finished files kept in blocks, so that any web node can hand them out

Revision ID: 81a5f158cfe9
Revises: 74830fc16a91
Create Date: 2026-12-04 23:24:21.298580

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '81a5f158cfe9'
down_revision = '74830fc16a91'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'done' OR size IS NOT NULL", name=op.f('ck_export_jobs_done_has_file')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name=op.f('ck_export_jobs_status')),
    sa.CheckConstraint('rows_done >= 0 AND rows_total >= 0 AND attempts >= 0', name=op.f('ck_export_jobs_counts')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_export_jobs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_jobs_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index('ix_export_jobs_status_id', ['status', 'id'], unique=False)

    op.create_table('export_chunks',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['export_jobs.id'], name=op.f('fk_export_chunks_job_id_export_jobs')),
    sa.PrimaryKeyConstraint('job_id', 'seq', name=op.f('pk_export_chunks'))
    )


def downgrade():
    op.drop_table('export_chunks')
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_jobs_status_id')
        batch_op.drop_index(batch_op.f('ix_export_jobs_requested_by_id'))

    op.drop_table('export_jobs')
