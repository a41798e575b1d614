"""top-level places (districts) have names of their own: a partial unique index on the name
where parent_id IS NULL, since uq_nodes_parent_name treats every NULL parent as distinct
and two districts of one name made at once were both written

Revision ID: b7e3c1d2a9f0
Revises: ff16aff99ce0
Create Date: 2026-12-07 03:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e3c1d2a9f0'
down_revision = 'ff16aff99ce0'
branch_labels = None
depends_on = None


def _unique_root_names(conn):
    """Top-level places that already share a name (made at the same moment before this
    index) keep the first one's name; each later one gets " (2)", " (3)"... so that the
    index can be made, and an admin can see and rename them."""
    rows = conn.execute(sa.text(
        "SELECT id, name FROM nodes WHERE parent_id IS NULL ORDER BY id")).all()
    taken = {name for _id, name in rows}
    seen = set()
    for node_id, name in rows:
        if name not in seen:
            seen.add(name)
            continue
        n = 2
        while True:
            suffix = f" ({n})"
            renamed = name[:80 - len(suffix)] + suffix
            if renamed not in taken:
                break
            n += 1
        taken.add(renamed)
        conn.execute(sa.text("UPDATE nodes SET name = :name WHERE id = :id"),
                     {"name": renamed, "id": node_id})


def upgrade():
    _unique_root_names(op.get_bind())
    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.create_index('uq_nodes_root_name', ['name'], unique=True,
                              sqlite_where=sa.text('parent_id IS NULL'),
                              postgresql_where=sa.text('parent_id IS NULL'))


def downgrade():
    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.drop_index('uq_nodes_root_name',
                            sqlite_where=sa.text('parent_id IS NULL'),
                            postgresql_where=sa.text('parent_id IS NULL'))
