"""the review queue reads hour_queue alone: each waiting row carries its activity's end,
node and organisation (backfilled from activities), indexed by the end, so a page of the
queue is read in order without reading every waiting activity; scans lose two indexes that
every scan wrote for nothing (signup_id alone, which two indexes already begin with, and
paper_batch_id for the live scans that have none: now partial); fund_balances counts the
fund's ledger rows (backfilled by a count), so a ledger page does not count its history

Revision ID: ac1566460148
Revises: 6e7ead0a20b5
Create Date: 2026-12-05 22:04:00.171162

"""
import sqlalchemy as sa
from alembic import op

revision = 'ac1566460148'
down_revision = '6e7ead0a20b5'
branch_labels = None
depends_on = None

COPIED = ("ends_at", "node_id", "organisation_id")


def upgrade():
    with op.batch_alter_table('hour_queue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('node_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    for name in COPIED:
        op.execute(f"UPDATE hour_queue SET {name} = (SELECT activities.{name} FROM activities "
                   "WHERE activities.id = hour_queue.activity_id)")
    with op.batch_alter_table('hour_queue', schema=None) as batch_op:
        for name, kind in (('ends_at', sa.DateTime(timezone=True)), ('node_id', sa.Integer()),
                           ('organisation_id', sa.Integer())):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_index('ix_hour_queue_ends', ['ends_at', 'activity_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_hour_queue_node_id_nodes'), 'nodes',
                                    ['node_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_hour_queue_organisation_id_organisations'),
                                    'organisations', ['organisation_id'], ['id'])

    with op.batch_alter_table('fund_balances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entries', sa.Integer(), server_default='0',
                                      nullable=False))
    op.execute("UPDATE fund_balances SET entries = (SELECT count(*) FROM ledger_entries "
               "WHERE ledger_entries.fund_id = fund_balances.fund_id)")
    with op.batch_alter_table('fund_balances', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_fund_balances_entries'), 'entries >= 0')

    op.drop_index('ix_scans_signup_id', table_name='scans')
    op.drop_index('ix_scans_paper_batch_id', table_name='scans')
    op.create_index('ix_scans_paper_batch_id', 'scans', ['paper_batch_id'], unique=False,
                    sqlite_where=sa.text('paper_batch_id IS NOT NULL'),
                    postgresql_where=sa.text('paper_batch_id IS NOT NULL'))


def downgrade():
    op.drop_index('ix_scans_paper_batch_id', table_name='scans')
    op.create_index('ix_scans_paper_batch_id', 'scans', ['paper_batch_id'], unique=False)
    op.create_index('ix_scans_signup_id', 'scans', ['signup_id'], unique=False)

    with op.batch_alter_table('fund_balances', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_fund_balances_entries'), type_='check')
        batch_op.drop_column('entries')

    with op.batch_alter_table('hour_queue', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_hour_queue_organisation_id_organisations'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_hour_queue_node_id_nodes'), type_='foreignkey')
        batch_op.drop_index('ix_hour_queue_ends')
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('node_id')
        batch_op.drop_column('ends_at')
