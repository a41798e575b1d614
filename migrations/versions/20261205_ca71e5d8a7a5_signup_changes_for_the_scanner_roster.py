"""signup changes for the scanner roster: signups.changed_at, set on every insert and update,
so a scanner fetches only what changed since its last fetch (existing rows: their created_at)

Revision ID: ca71e5d8a7a5
Revises: da87edd69c7c
Create Date: 2026-12-05 00:33:53.668733

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ca71e5d8a7a5'
down_revision = 'da87edd69c7c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE signups SET changed_at = created_at")
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.alter_column('changed_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)
        batch_op.create_index('ix_signups_changed', ['activity_id', 'changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_index('ix_signups_changed')
        batch_op.drop_column('changed_at')
