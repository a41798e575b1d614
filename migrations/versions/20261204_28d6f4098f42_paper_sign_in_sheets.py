"""paper sign-in sheets: a batch of ticks entered from a printed sheet (who, when, its
nonce); scans may come from paper, and a paper scan names its batch

Revision ID: 28d6f4098f42
Revises: 5264b1461981
Create Date: 2026-12-04 20:56:50.968449

"""
import sqlalchemy as sa
from alembic import op

OLD_SOURCES = ("'organiser_scan', 'self', 'self_poster', 'offline_upload', 'manual_search', "
               "'phone_lookup', 'automatic'")
NEW_SOURCES = OLD_SOURCES + ", 'paper'"


# revision identifiers, used by Alembic.
revision = '28d6f4098f42'
down_revision = '5264b1461981'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=40), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.CheckConstraint('rows >= 1', name=op.f('ck_paper_batches_rows_positive')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_paper_batches_activity_id_activities')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_paper_batches_entered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batches')),
    sa.UniqueConstraint('nonce', name=op.f('uq_paper_batches_nonce'))
    )
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_batches_activity_id'), ['activity_id'], unique=False)

    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_scans_paper_batch_id'), ['paper_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_scans_paper_batch_id_paper_batches'), 'paper_batches', ['paper_batch_id'], ['id'])
        batch_op.drop_constraint('ck_scans_source', type_='check')
        batch_op.create_check_constraint('ck_scans_source', f"source IN ({NEW_SOURCES})")
        batch_op.create_check_constraint(
            'ck_scans_paper_has_batch', "(source = 'paper') = (paper_batch_id IS NOT NULL)")



def downgrade():
    op.execute("DELETE FROM scans WHERE source = 'paper'")
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_constraint('ck_scans_paper_has_batch', type_='check')
        batch_op.drop_constraint('ck_scans_source', type_='check')
        batch_op.create_check_constraint('ck_scans_source', f"source IN ({OLD_SOURCES})")
        batch_op.drop_constraint(batch_op.f('fk_scans_paper_batch_id_paper_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_scans_paper_batch_id'))
        batch_op.drop_column('paper_batch_id')

    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_batches_activity_id'))

    op.drop_table('paper_batches')
