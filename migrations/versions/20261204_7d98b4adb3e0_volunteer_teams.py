"""volunteer teams: memberships of a team (an organisation of kind volunteer_team), by
invitation or request, with who decided and when; one open membership per person and team

Revision ID: 7d98b4adb3e0
Revises: 588e6f2d24e8
Create Date: 2026-12-04 21:01:49.112095

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '7d98b4adb3e0'
down_revision = '588e6f2d24e8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("(state IN ('active', 'left', 'removed')) = (joined_at IS NOT NULL)", name=op.f('ck_team_memberships_joined_at')),
    sa.CheckConstraint("(state IN ('invited', 'requested')) = (decided_at IS NULL)", name=op.f('ck_team_memberships_decided_at')),
    sa.CheckConstraint("(state IN ('left', 'removed')) = (left_at IS NOT NULL)", name=op.f('ck_team_memberships_left_at')),
    sa.CheckConstraint("origin IN ('invitation', 'request')", name=op.f('ck_team_memberships_origin')),
    sa.CheckConstraint("role IN ('member', 'leader')", name=op.f('ck_team_memberships_role')),
    sa.CheckConstraint("state IN ('invited', 'requested', 'active', 'declined', 'cancelled', 'left', 'removed')", name=op.f('ck_team_memberships_state')),
    sa.CheckConstraint('left_at IS NULL OR left_at >= joined_at', name=op.f('ck_team_memberships_left_after_joined')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_team_memberships_created_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_team_memberships_decided_by_id_users')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_team_memberships_ended_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['organisations.id'], name=op.f('fk_team_memberships_team_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_memberships'))
    )
    with op.batch_alter_table('team_memberships', schema=None) as batch_op:
        batch_op.create_index('ix_team_memberships_team_state', ['team_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_memberships_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_team_memberships_open', ['team_id', 'user_id'], unique=True, sqlite_where=sa.text("state IN ('invited', 'requested', 'active')"), postgresql_where=sa.text("state IN ('invited', 'requested', 'active')"))



def downgrade():
    with op.batch_alter_table('team_memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_team_memberships_open', sqlite_where=sa.text("state IN ('invited', 'requested', 'active')"), postgresql_where=sa.text("state IN ('invited', 'requested', 'active')"))
        batch_op.drop_index(batch_op.f('ix_team_memberships_user_id'))
        batch_op.drop_index('ix_team_memberships_team_state')

    op.drop_table('team_memberships')
