"""roster imports: uploaded rosters and their checked rows (a staging area), consent
recorded on someone's behalf, and imported hours (one per person and activity)

Revision ID: 588e6f2d24e8
Revises: 28d6f4098f42
Create Date: 2026-12-04 20:59:08.192878

"""
import sqlalchemy as sa
from alembic import op

OLD_KINDS = "kind IN ('attendance', 'retroactive', 'replacement', 'reversal')"
NEW_KINDS = "kind IN ('attendance', 'retroactive', 'replacement', 'reversal', 'imported')"


# revision identifiers, used by Alembic.
revision = '588e6f2d24e8'
down_revision = '28d6f4098f42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('written', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('checked', 'confirmed')", name=op.f('ck_import_files_status')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_import_files_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_import_files_node_id_nodes')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_import_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_files'))
    )
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_files_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_files_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('sheet', sa.String(length=8), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=True),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('skills', sa.JSON(), nullable=True),
    sa.Column('id_type', sa.String(length=20), nullable=True),
    sa.Column('id_number_encrypted', sa.Text(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'rejected') = (reason IS NOT NULL)", name=op.f('ck_import_rows_reason')),
    sa.CheckConstraint("sheet IN ('people', 'hours')", name=op.f('ck_import_rows_sheet')),
    sa.CheckConstraint("status IN ('new', 'existing', 'rejected')", name=op.f('ck_import_rows_status')),
    sa.ForeignKeyConstraint(['file_id'], ['import_files.id'], name=op.f('fk_import_rows_file_id_import_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows'))
    )
    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_import_rows_phone', ['file_id', 'sheet', 'phone', 'row_no'], unique=False)
        batch_op.create_index('ix_import_rows_status', ['file_id', 'sheet', 'status', 'reason'], unique=False)
        batch_op.create_index('uq_import_rows_row', ['file_id', 'sheet', 'row_no'], unique=True)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consents_recorded_by_id_users'), 'users', ['recorded_by_id'], ['id'])

    with op.batch_alter_table('hour_entries', schema=None) as batch_op:
        batch_op.drop_constraint('ck_hour_entries_kind', type_='check')
        batch_op.create_check_constraint('ck_hour_entries_kind', NEW_KINDS)
        batch_op.create_index('uq_hour_entries_imported', ['user_id', 'activity_id'], unique=True, sqlite_where=sa.text("kind = 'imported'"), postgresql_where=sa.text("kind = 'imported'"))



def downgrade():
    op.execute("DELETE FROM hour_reviews WHERE entry_id IN "
               "(SELECT id FROM hour_entries WHERE kind = 'imported')")
    op.execute("DELETE FROM hour_entries WHERE kind = 'imported'")
    with op.batch_alter_table('hour_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_hour_entries_imported', sqlite_where=sa.text("kind = 'imported'"), postgresql_where=sa.text("kind = 'imported'"))
        batch_op.drop_constraint('ck_hour_entries_kind', type_='check')
        batch_op.create_check_constraint('ck_hour_entries_kind', OLD_KINDS)

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consents_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('recorded_by_id')

    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.drop_index('uq_import_rows_row')
        batch_op.drop_index('ix_import_rows_status')
        batch_op.drop_index('ix_import_rows_phone')

    op.drop_table('import_rows')
    with op.batch_alter_table('import_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_files_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_import_files_sha256'))
        batch_op.drop_index(batch_op.f('ix_import_files_node_id'))

    op.drop_table('import_files')
