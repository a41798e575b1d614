"""family members: people without a phone managed by a family member (a child, an older
parent): users.phone may be empty for them, managed_by_id and relation say whose they are

Revision ID: dfb1e32c35bc
Revises: 81a5f158cfe9
Create Date: 2026-12-05 00:19:12.615653

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'dfb1e32c35bc'
down_revision = '81a5f158cfe9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('managed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('relation', sa.String(length=8), nullable=True))
        batch_op.alter_column('phone',
               existing_type=sa.VARCHAR(length=11),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_users_managed_by_id'), ['managed_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_managed_by_id_users'), 'users', ['managed_by_id'], ['id'])
        batch_op.create_check_constraint('ck_users_phone_or_manager',
                                         'phone IS NOT NULL OR managed_by_id IS NOT NULL')
        batch_op.create_check_constraint('ck_users_relation_of_managed',
                                         '(managed_by_id IS NULL) = (relation IS NULL)')
        batch_op.create_check_constraint(
            'ck_users_relation',
            "relation IS NULL OR relation IN ('child', 'parent', 'spouse', 'other')")
        batch_op.create_check_constraint('ck_users_not_own_manager',
                                         'managed_by_id IS NULL OR managed_by_id <> id')


def downgrade():
    # people without a phone cannot stay once a phone is required again: their sign-ups,
    # scans and hours would lose their person, so the downgrade refuses instead
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM users WHERE phone IS NULL")).scalar():
        raise RuntimeError("family members without a phone exist: downgrade refused")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('ck_users_not_own_manager', type_='check')
        batch_op.drop_constraint('ck_users_relation', type_='check')
        batch_op.drop_constraint('ck_users_relation_of_managed', type_='check')
        batch_op.drop_constraint('ck_users_phone_or_manager', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_users_managed_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_managed_by_id'))
        batch_op.alter_column('phone',
               existing_type=sa.VARCHAR(length=11),
               nullable=False)
        batch_op.drop_column('relation')
        batch_op.drop_column('managed_by_id')
