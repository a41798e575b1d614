"""scans.operator_id is no longer a foreign key: its check share-locked the organiser's
users row in every scan, so the scans of one phone queued on that row (one PostgreSQL
multixact a scan); no code path deletes a person, and the operator is read in the scan's
own statement

Revision ID: ff16aff99ce0
Revises: ac1566460148
Create Date: 2026-12-05 23:31:00

"""
from alembic import op

revision = 'ff16aff99ce0'
down_revision = 'ac1566460148'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scans_operator_id_users'), type_='foreignkey')


def downgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_scans_operator_id_users'), 'users',
                                    ['operator_id'], ['id'])
