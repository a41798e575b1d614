"""a lottery's draw records who was passed over: drawn for a place while holding a place
in another activity at the same time, they wait instead (server/activities/lottery.py)

Revision ID: d5e9a3b7c1f2
Revises: c4d8e2f1a7b3
Create Date: 2026-12-07 10:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd5e9a3b7c1f2'
down_revision = 'c4d8e2f1a7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lottery_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passed_over', sa.JSON(), server_default=sa.text("'[]'"),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('lottery_draws', schema=None) as batch_op:
        batch_op.drop_column('passed_over')
