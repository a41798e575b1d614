"""statistics rollups: each place's figures per period and metric, and how far the
records have been read into them

Revision ID: 5a12826d795a
Revises: 8004cf26a0fd
Create Date: 2026-12-04 20:26:43.719449

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5a12826d795a'
down_revision = '8004cf26a0fd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stat_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('read_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stat_state'))
    )
    op.create_table('stat_values',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_stat_values_node_id_nodes')),
    sa.PrimaryKeyConstraint('node_id', 'period', 'metric', 'key', name=op.f('pk_stat_values'))
    )
    with op.batch_alter_table('stat_values', schema=None) as batch_op:
        batch_op.create_index('ix_stat_values_period', ['period'], unique=False)



def downgrade():
    with op.batch_alter_table('stat_values', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_values_period')

    op.drop_table('stat_values')
    op.drop_table('stat_state')
