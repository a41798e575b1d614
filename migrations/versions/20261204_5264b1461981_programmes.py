"""programmes: who created one and when it last changed; one name once per organisation

Revision ID: 5264b1461981
Revises: 5a12826d795a
Create Date: 2026-12-04 20:32:41.907567

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5264b1461981'
down_revision = '5a12826d795a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_programmes_organisation_id_name'), ['organisation_id', 'name'])
        batch_op.create_foreign_key(batch_op.f('fk_programmes_created_by_id_users'), 'users', ['created_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_programmes_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_programmes_organisation_id_name'), type_='unique')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('created_by_id')

