"""messages about a family member: notifications.about_id names the member a message routed to
their guardian is about, and a message is sent once per person it is about (two partial
unique indexes instead of one per reader); SMS codes may also hand a member over

Revision ID: 6700df0e10cb
Revises: 787ccc23faa0
Create Date: 2026-12-05 01:08:24.648027

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '6700df0e10cb'
down_revision = '787ccc23faa0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_notifications_user_id_dedupe_key'), type_='unique')
        batch_op.create_index('uq_notifications_dedupe', ['user_id', 'dedupe_key'], unique=True, sqlite_where=sa.text('about_id IS NULL'), postgresql_where=sa.text('about_id IS NULL'))
        batch_op.create_index('uq_notifications_dedupe_about', ['about_id', 'dedupe_key'], unique=True, sqlite_where=sa.text('about_id IS NOT NULL'), postgresql_where=sa.text('about_id IS NOT NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_about_id_users'), 'users', ['about_id'], ['id'])

    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_phone_codes_purpose'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_phone_codes_purpose'),
                                         "purpose IN ('reset', 'login', 'handover')")


def downgrade():
    op.execute("DELETE FROM phone_codes WHERE purpose = 'handover'")
    with op.batch_alter_table('phone_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_phone_codes_purpose'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_phone_codes_purpose'), "purpose IN ('reset', 'login')")
    # a message about a member and the guardian's own with the same key cannot both stay
    op.execute("DELETE FROM notification_deliveries WHERE notification_id IN "
               "(SELECT id FROM notifications WHERE about_id IS NOT NULL)")
    op.execute("DELETE FROM notifications WHERE about_id IS NOT NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_about_id_users'), type_='foreignkey')
        batch_op.drop_index('uq_notifications_dedupe_about', sqlite_where=sa.text('about_id IS NOT NULL'), postgresql_where=sa.text('about_id IS NOT NULL'))
        batch_op.drop_index('uq_notifications_dedupe', sqlite_where=sa.text('about_id IS NULL'), postgresql_where=sa.text('about_id IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_notifications_user_id_dedupe_key'), ['user_id', 'dedupe_key'])
        batch_op.drop_column('about_id')
