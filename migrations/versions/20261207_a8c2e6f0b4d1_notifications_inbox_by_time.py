"""the notification centre lists messages by when each was made, then by id: its index
follows (user_id, created_at, id) instead of (user_id, id), so a page is read in order
rather than sorted from all of the reader's messages

Revision ID: a8c2e6f0b4d1
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 17:30:00

"""
from alembic import op

revision = 'a8c2e6f0b4d1'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notifications_inbox_time', 'notifications',
                    ['user_id', 'created_at', 'id'], unique=False)
    op.drop_index('ix_notifications_inbox', table_name='notifications')


def downgrade():
    op.create_index('ix_notifications_inbox', 'notifications', ['user_id', 'id'],
                    unique=False)
    op.drop_index('ix_notifications_inbox_time', table_name='notifications')
