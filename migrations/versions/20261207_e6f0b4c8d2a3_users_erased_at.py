"""a person can have their account deleted (accounts.erasure): users.erased_at, and an
erased account needs no phone

Revision ID: e6f0b4c8d2a3
Revises: d5e9a3b7c1f2
Create Date: 2026-12-07 10:25:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e6f0b4c8d2a3'
down_revision = 'd5e9a3b7c1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('ck_users_phone_or_manager', type_='check')
        batch_op.create_check_constraint(
            'ck_users_phone_or_manager',
            'phone IS NOT NULL OR managed_by_id IS NOT NULL OR erased_at IS NOT NULL')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('ck_users_phone_or_manager', type_='check')
        batch_op.create_check_constraint('ck_users_phone_or_manager',
                                         'phone IS NOT NULL OR managed_by_id IS NOT NULL')
        batch_op.drop_column('erased_at')
