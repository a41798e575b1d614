"""uploaded rosters keep no raw bytes once checked: the files already checked, confirmed or
failed lose their content (names, phones, whole ID numbers); the checked rows (ID numbers
masked or encrypted), the name, size and sha256 stay. Files still waiting keep theirs
until the scheduler has checked them (server/imports/services.py: forget_content)

Revision ID: c4d8e2f1a7b3
Revises: b7e3c1d2a9f0
Create Date: 2026-12-07 07:25:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4d8e2f1a7b3'
down_revision = 'b7e3c1d2a9f0'
branch_labels = None
depends_on = None


def upgrade():
    op.get_bind().execute(sa.text(
        "UPDATE import_files SET content = :empty "
        "WHERE status IN ('checked', 'confirmed', 'failed')"), {"empty": b""})


def downgrade():
    pass  # the bytes are gone: nothing to put back
