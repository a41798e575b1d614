"""stored fund state: each fund's totals (fund_balances) and stock (fund_stock), which gift
each payout drew on (gift_allocations) and whether a pledge is fulfilled (pledges.fulfilled),
kept in step with the append-only ledger in the same transaction; the existing funds and
pledges are backfilled by the revision after the next (hour queue and stored pledge figures)

Revision ID: da87edd69c7c
Revises: dfb1e32c35bc
Create Date: 2026-12-05 00:32:53.608811

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'da87edd69c7c'
down_revision = 'dfb1e32c35bc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fund_balances',
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('received', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('distributed', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('in_kind_received', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('payouts', sa.Integer(), nullable=False),
    sa.CheckConstraint('distributed >= 0', name=op.f('ck_fund_balances_distributed')),
    sa.CheckConstraint('payouts >= 0', name=op.f('ck_fund_balances_payouts')),
    sa.CheckConstraint('received - distributed >= 0', name=op.f('ck_fund_balances_cash_held')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_fund_balances_fund_id_funds')),
    sa.PrimaryKeyConstraint('fund_id', name=op.f('pk_fund_balances'))
    )
    op.create_table('fund_stock',
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('item', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('distributed', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity = received - distributed', name=op.f('ck_fund_stock_balanced')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_fund_stock_quantity')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_fund_stock_fund_id_funds')),
    sa.PrimaryKeyConstraint('fund_id', 'category', 'item', 'unit', name=op.f('pk_fund_stock'))
    )
    op.create_table('gift_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('outflow_id', sa.Integer(), nullable=False),
    sa.Column('inflow_id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(amount IS NULL) <> (quantity IS NULL)', name=op.f('ck_gift_allocations_cash_or_goods')),
    sa.CheckConstraint('COALESCE(amount, 0) <> 0 OR COALESCE(quantity, 0) <> 0', name=op.f('ck_gift_allocations_nonzero')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_gift_allocations_fund_id_funds')),
    sa.ForeignKeyConstraint(['inflow_id'], ['ledger_entries.id'], name=op.f('fk_gift_allocations_inflow_id_ledger_entries')),
    sa.ForeignKeyConstraint(['outflow_id'], ['ledger_entries.id'], name=op.f('fk_gift_allocations_outflow_id_ledger_entries')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_gift_allocations_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_allocations'))
    )
    with op.batch_alter_table('gift_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_allocations_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('ix_gift_allocations_pledge', ['pledge_id', 'outflow_id'], unique=False)

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_pledge', ['pledge_id'], unique=False)

    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fulfilled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_pledges_open', ['fund_id', 'id'], unique=False, sqlite_where=sa.text('end_state IS NULL AND NOT fulfilled'), postgresql_where=sa.text('end_state IS NULL AND NOT fulfilled'))




def downgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_open', sqlite_where=sa.text('end_state IS NULL AND NOT fulfilled'), postgresql_where=sa.text('end_state IS NULL AND NOT fulfilled'))
        batch_op.drop_column('fulfilled')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_pledge')

    with op.batch_alter_table('gift_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_gift_allocations_pledge')
        batch_op.drop_index(batch_op.f('ix_gift_allocations_fund_id'))

    op.drop_table('gift_allocations')
    op.drop_table('fund_stock')
    op.drop_table('fund_balances')