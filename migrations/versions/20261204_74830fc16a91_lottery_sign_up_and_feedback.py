"""lottery sign-up and feedback: an activity's sign-up mode and its committed seed, the
published draws (one per activity), sign-up entries (status entered, one live sign-up per
person including entries); feedback (one per person and activity)

Revision ID: 74830fc16a91
Revises: 7d98b4adb3e0
Create Date: 2026-12-04 21:53:39.570576

"""
import sqlalchemy as sa
from alembic import op

LIVE_OLD = "status IN ('confirmed', 'waitlisted')"
LIVE_NEW = "status IN ('confirmed', 'waitlisted', 'entered')"
STATUS_OLD = "status IN ('confirmed', 'waitlisted', 'withdrawn', 'cancelled')"
STATUS_NEW = "status IN ('confirmed', 'waitlisted', 'withdrawn', 'cancelled', 'entered')"
LOTTERY_WINDOW = ("signup_mode = 'first_come' OR (signup_opens_at IS NOT NULL AND "
                  "signup_closes_at IS NOT NULL AND signup_closes_at < starts_at AND "
                  "lottery_seed IS NOT NULL AND lottery_commitment IS NOT NULL)")


# revision identifiers, used by Alembic.
revision = '74830fc16a91'
down_revision = '7d98b4adb3e0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(comment) <= 500', name=op.f('ck_feedback_entries_comment_length')),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_feedback_entries_rating')),
    sa.CheckConstraint('updated_at >= created_at', name=op.f('ck_feedback_entries_updated_after_created')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_feedback_entries_activity_id_activities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_entries')),
    sa.UniqueConstraint('activity_id', 'user_id', name=op.f('uq_feedback_entries_activity_id_user_id'))
    )
    with op.batch_alter_table('feedback_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_entries_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_entries_user_id'), ['user_id'], unique=False)

    op.create_table('lottery_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=24), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('entrants', sa.JSON(), nullable=False),
    sa.Column('drawn_order', sa.JSON(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('winners', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(source = 'organiser') = (drawn_by_id IS NOT NULL)", name=op.f('ck_lottery_draws_drawn_by')),
    sa.CheckConstraint("algorithm IN ('hmac-sha256-v1')", name=op.f('ck_lottery_draws_algorithm')),
    sa.CheckConstraint("source IN ('scheduler', 'organiser')", name=op.f('ck_lottery_draws_source')),
    sa.CheckConstraint('places >= 0 AND winners >= 0', name=op.f('ck_lottery_draws_counts')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_lottery_draws_activity_id_activities')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_lottery_draws_drawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_draws')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_lottery_draws_activity_id'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signup_mode', sa.String(length=12), server_default=sa.text("'first_come'"), nullable=False))
        batch_op.add_column(sa.Column('lottery_seed', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lottery_commitment', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint('ck_activities_signup_mode',
                                         "signup_mode IN ('first_come', 'lottery')")
        batch_op.create_check_constraint('ck_activities_lottery_window', LOTTERY_WINDOW)

    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_constraint('ck_signups_status', type_='check')
        batch_op.create_check_constraint('ck_signups_status', STATUS_NEW)
        batch_op.drop_index('uq_signups_live')
        batch_op.create_index('uq_signups_live', ['activity_id', 'user_id'], unique=True,
                              sqlite_where=sa.text(LIVE_NEW), postgresql_where=sa.text(LIVE_NEW))



def downgrade():
    # an entry of an undrawn lottery has no place in the older schema: it ends, withdrawn
    op.execute("UPDATE signups SET status = 'withdrawn' WHERE status = 'entered'")
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_index('uq_signups_live')
        batch_op.create_index('uq_signups_live', ['activity_id', 'user_id'], unique=True,
                              sqlite_where=sa.text(LIVE_OLD), postgresql_where=sa.text(LIVE_OLD))
        batch_op.drop_constraint('ck_signups_status', type_='check')
        batch_op.create_check_constraint('ck_signups_status', STATUS_OLD)
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint('ck_activities_lottery_window', type_='check')
        batch_op.drop_constraint('ck_activities_signup_mode', type_='check')
        batch_op.drop_column('lottery_commitment')
        batch_op.drop_column('lottery_seed')
        batch_op.drop_column('signup_mode')

    op.drop_table('lottery_draws')
    with op.batch_alter_table('feedback_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_entries_user_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_entries_activity_id'))

    op.drop_table('feedback_entries')
