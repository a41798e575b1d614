"""organisations.contact_phone_public: a mobile contact number is published in full only
when the organisation chose to; otherwise the public sees it masked (138****5678), its
staff and those over it in full. Existing organisations have not chosen: masked.

Revision ID: c9e4a6f2d8b1
Revises: b3f7d1e9c5a2
Create Date: 2026-12-07 20:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c9e4a6f2d8b1'
down_revision = 'b3f7d1e9c5a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone_public', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('contact_phone_public')
