"""hour queue and stored pledge figures: hour_queue lists the hour entries waiting for a
decision (kept in the same flush as the entry and its review), fund_balances keeps what is
pledged and how many pledges stand, an index for a fund's newest ledger rows; then the
backfill of every stored figure from the ledger (this revision's and the previous ones')

Revision ID: 787ccc23faa0
Revises: ca71e5d8a7a5
Create Date: 2026-12-05 01:06:33.485696

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '787ccc23faa0'
down_revision = 'ca71e5d8a7a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hour_queue',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_hour_queue_activity_id_activities')),
    sa.ForeignKeyConstraint(['entry_id'], ['hour_entries.id'], name=op.f('fk_hour_queue_entry_id_hour_entries')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_hour_queue'))
    )
    with op.batch_alter_table('hour_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hour_queue_activity_id'), ['activity_id'], unique=False)

    with op.batch_alter_table('fund_balances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pledged', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pledges', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pledges_made', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_fund_newest', ['fund_id', 'occurred_on', 'id'], unique=False)

    with op.batch_alter_table('fund_balances', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_fund_balances_pledged', 'pledged >= 0')
        batch_op.create_check_constraint('ck_fund_balances_pledges',
                                         'pledges >= 0 AND pledges_made >= pledges')

    op.execute(
        "INSERT INTO hour_queue (entry_id, activity_id) "
        "SELECT e.id, e.activity_id FROM hour_entries e WHERE e.kind <> 'reversal' "
        "AND NOT EXISTS (SELECT 1 FROM hour_reviews r WHERE r.entry_id = e.id)")
    _backfill()


def _backfill() -> None:
    """pledges.fulfilled by the rule pledges.complete() applies, then every fund's stored
    rows (totals, pledged, stock, gift tracing) by the code that keeps them
    (server.donations.cli.rebuild), on this migration's own connection: the new tables and
    columns exist only inside its transaction. The previous revision (stored fund state)
    only made its tables: a backfill there would have written columns added here."""
    bind = op.get_bind()
    if not bind.execute(sa.text("SELECT count(*) FROM funds")).scalar():
        return
    from sqlalchemy.orm import scoped_session, sessionmaker

    from server.donations import cli
    from server.donations.services import pledges
    from server.donations.models import Pledge
    from server.extensions import db
    original = db.session
    db.session = scoped_session(sessionmaker(bind=bind))
    try:
        for pledge in db.session.scalars(sa.select(Pledge)).all():
            pledges.settle(pledge)
        db.session.flush()
        cli.rebuild()
        db.session.flush()
    finally:
        db.session.remove()
        db.session = original


def downgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_fund_newest')

    with op.batch_alter_table('fund_balances', schema=None) as batch_op:
        batch_op.drop_constraint('ck_fund_balances_pledges', type_='check')
        batch_op.drop_constraint('ck_fund_balances_pledged', type_='check')
        batch_op.drop_column('pledges_made')
        batch_op.drop_column('pledges')
        batch_op.drop_column('pledged')

    with op.batch_alter_table('hour_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hour_queue_activity_id'))

    op.drop_table('hour_queue')