"""certificates remember the layout they were drawn in (certificates.layout): a long name or
body now wraps in the boxes at the top of the PDF instead of being cut, and a certificate
issued before is still drawn as it was, so its bytes match the SHA-256 kept at issue

Revision ID: f1a2b3c4d5e6
Revises: e6f0b4c8d2a3
Create Date: 2026-12-07 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f1a2b3c4d5e6'
down_revision = 'e6f0b4c8d2a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('layout', sa.Integer(), server_default='1',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('layout')
