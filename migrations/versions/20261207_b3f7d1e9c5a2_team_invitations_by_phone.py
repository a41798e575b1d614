"""team invitations by phone (team_invitations): a leader's invitation is recorded as sent,
the same whether or not the number has an account, and reaches a number without one when
someone registers with it; the invitations already sent are copied in, each beside the
membership it made

Revision ID: b3f7d1e9c5a2
Revises: a8c2e6f0b4d1
Create Date: 2026-12-07 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b3f7d1e9c5a2'
down_revision = 'a8c2e6f0b4d1'
branch_labels = None
depends_on = None

WAITING = "membership_id IS NULL AND cancelled_at IS NULL"


def upgrade():
    op.create_table('team_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(cancelled_at IS NULL) = (cancelled_by_id IS NULL)',
                       name=op.f('ck_team_invitations_cancelled')),
    sa.ForeignKeyConstraint(['team_id'], ['organisations.id'],
                            name=op.f('fk_team_invitations_team_id_organisations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_team_invitations_created_by_id_users')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'],
                            name=op.f('fk_team_invitations_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['membership_id'], ['team_memberships.id'],
                            name=op.f('fk_team_invitations_membership_id_team_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_invitations'))
    )
    with op.batch_alter_table('team_invitations', schema=None) as batch_op:
        batch_op.create_index('uq_team_invitations_waiting', ['team_id', 'phone'], unique=True,
                              sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
        batch_op.create_index('ix_team_invitations_phone', ['phone'], unique=False)
        batch_op.create_index('ix_team_invitations_team', ['team_id', 'created_at'],
                              unique=False)
    # every invitation a leader sent so far, beside the membership it made (a number
    # erased since is kept masked as nothing)
    op.execute(
        "INSERT INTO team_invitations (team_id, phone, phone_masked, created_at, "
        "created_by_id, membership_id) "
        "SELECT m.team_id, u.phone, COALESCE(substr(u.phone, 1, 3) || '****' || "
        "substr(u.phone, length(u.phone) - 3), '****'), m.created_at, m.created_by_id, m.id "
        "FROM team_memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.origin = 'invitation' ORDER BY m.id")


def downgrade():
    with op.batch_alter_table('team_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_team_invitations_team')
        batch_op.drop_index('ix_team_invitations_phone')
        batch_op.drop_index('uq_team_invitations_waiting')
    op.drop_table('team_invitations')
