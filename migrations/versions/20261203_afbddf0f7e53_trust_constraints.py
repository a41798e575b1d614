"""trust: the database enforces what the rules rely on; scan numbering; login sessions

One active personal code per person, one grant per person/role/node/organisation (NULL
organisations included), one open correction or certificate request, numbered successful
scans, CHECKs for every state and quantity; login sessions that logging out ends.
Existing rows are brought in line first (duplicates set aside, scans numbered).

Revision ID: afbddf0f7e53
Revises: 08793d6fa9a2
Create Date: 2026-12-03 12:24:30.511547

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = 'afbddf0f7e53'
down_revision = '08793d6fa9a2'
branch_labels = None
depends_on = None

PHONE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)

# (table, name, condition): the models' CHECKs, written out (migrations import no app code)
CHECKS = [
    ("users", "gender", "gender IS NULL OR gender IN ('female', 'male')"),
    ("certificates", "status", "status IN ('requested', 'issued', 'declined', 'revoked')"),
    ("certificates", "total_minutes", "total_minutes IS NULL OR total_minutes >= 0"),
    ("funds", "status", "status IN ('open', 'closed')"),
    ("funds", "kind", "kind IN ('fund', 'campaign')"),
    ("funds", "target_amount", "target_amount IS NULL OR target_amount > 0"),
    ("funds", "accepts_something", "accepts_money OR accepts_goods"),
    ("role_assignments", "role", "role IN ('organiser', 'coordinator', 'admin')"),
    ("role_assignments", "organiser_has_organisation",
     "(role = 'organiser') = (organisation_id IS NOT NULL)"),
    ("activities", "confirmed_count", "confirmed_count BETWEEN 0 AND capacity"),
    ("activities", "waitlist_count", "waitlist_count >= 0"),
    ("activities", "hours_rounding", "hours_rounding IN ('minute', 'quarter', 'half_hour')"),
    ("activities", "status", "status IN ('draft', 'published', 'cancelled', 'finished')"),
    ("activities", "capacity", "capacity BETWEEN 1 AND 100000"),
    ("activities", "withdraw_cutoff", "withdraw_cutoff_hours BETWEEN 0 AND 720"),
    ("activities", "kind", "kind IN ('home_visit', 'case_work', 'community_event', 'lecture', "
                           "'charity_festival', 'book_drive', 'programme_session', 'training')"),
    ("activities", "ends_after_start", "ends_at > starts_at"),
    ("activities", "finished_at", "(status = 'finished') = (finished_at IS NOT NULL)"),
    ("distributions", "recipient_kind", "recipient_kind IN ('household', 'organisation')"),
    ("distributions", "sign", "(reverses_id IS NULL AND COALESCE(amount, 0) >= 0) OR "
                              "(reverses_id IS NOT NULL AND COALESCE(amount, 0) <= 0)"),
    ("distributions", "kind", "kind IN ('money', 'goods')"),
    ("intake_batches", "expected_total", "expected_total IS NULL OR expected_total >= 0"),
    ("intake_batches", "expected_count", "expected_count >= 1"),
    ("pledges", "end_state",
     "end_state IS NULL OR end_state IN ('rejected', 'withdrawn', 'cancelled', 'released')"),
    ("pledges", "version", "version >= 0"),
    ("pledges", "kind_amount",
     "(kind = 'money' AND amount > 0) OR (kind = 'goods' AND amount IS NULL)"),
    ("pledges", "title", "title IS NULL OR title IN ('ms', 'mr')"),
    ("pledges", "display", "display IN ('anonymous', 'surname', 'full_name', 'organisation')"),
    ("distribution_lines", "quantity", "quantity <> 0"),
    ("fulfilments", "sign",
     "(reverses_id IS NULL AND COALESCE(amount, 0) >= 0 AND COALESCE(in_kind_value, 0) >= 0) "
     "OR (reverses_id IS NOT NULL AND COALESCE(amount, 0) <= 0 "
     "AND COALESCE(in_kind_value, 0) <= 0)"),
    ("fulfilments", "kind", "kind IN ('money', 'goods')"),
    ("pledge_lines", "quantity", "quantity BETWEEN 1 AND 100000"),
    ("pledge_lines", "condition", "condition IN ('new', 'like_new', 'used')"),
    ("signups", "scan_seq", "scan_seq >= 0"),
    ("signups", "presence", "presence IN ('none', 'in', 'out')"),
    ("signups", "queue_no", "queue_no >= 1"),
    ("signups", "status", "status IN ('confirmed', 'waitlisted', 'withdrawn', 'cancelled')"),
    ("fulfilment_lines", "counts_sign",
     "(accepted >= 0 AND rejected >= 0) OR (accepted <= 0 AND rejected <= 0)"),
    ("fulfilment_lines", "unit_value", "unit_value >= 0"),
    ("hour_entries", "replacement_names_its_entry",
     "(kind = 'replacement') = (replaces_id IS NOT NULL)"),
    ("hour_entries", "minutes_sign",
     "(kind = 'reversal' AND minutes <= 0 AND reverses_id IS NOT NULL) OR "
     "(kind <> 'reversal' AND minutes >= 0 AND reverses_id IS NULL)"),
    ("hour_entries", "kind", "kind IN ('attendance', 'retroactive', 'replacement', 'reversal')"),
    ("hour_entries", "minutes_range", "minutes BETWEEN -100000 AND 100000"),
    ("ledger_entries", "kind", "kind IN ('cash_in', 'goods_in', 'payout', 'goods_out')"),
    ("scans", "ok_numbered", "(result = 'ok') = (seq IS NOT NULL)"),
    ("scans", "source", "source IN ('organiser_scan', 'self', 'self_poster', 'offline_upload', "
                        "'manual_search', 'phone_lookup', 'automatic')"),
    ("scans", "seq_positive", "seq IS NULL OR seq >= 1"),
    ("scans", "ok_has_signup", "result <> 'ok' OR signup_id IS NOT NULL"),
    ("scans", "result", "result IN ('ok', 'already_checked_in', 'not_signed_up', 'waitlisted', "
                        "'too_early', 'too_late', 'activity_cancelled', 'invalid_code', "
                        "'code_expired', 'revoked', 'not_allowed', 'already_checked_out', "
                        "'not_checked_in', 'attendance_closed', 'activity_full')"),
    ("scans", "direction", "direction IN ('entry', 'exit')"),
    ("hour_corrections", "answer", "answer IS NULL OR answer IN ('corrected', 'declined')"),
    ("hour_reviews", "decision", "decision IN ('approved', 'rejected', 'superseded')"),
]
PHONE_CHECK = {
    "postgresql": "phone ~ '^1[3-9][0-9]{9}$'",
    "sqlite": "phone GLOB '1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'",
}


def _phones(bind) -> None:
    """One spelling per phone: full-width look-alikes become ASCII; a look-alike of an
    existing account cannot be merged silently, so the upgrade stops and names it."""
    rows = bind.execute(sa.text("SELECT id, phone FROM users")).all()
    taken = {phone for _, phone in rows}
    clashes = []
    for user_id, phone in rows:
        if PHONE.fullmatch(phone):
            continue
        fixed = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", phone))
        if PHONE.fullmatch(fixed) and fixed not in taken:
            bind.execute(sa.text("UPDATE users SET phone = :p WHERE id = :i"),
                         {"p": fixed, "i": user_id})
            taken.add(fixed)
        else:
            clashes.append(user_id)
    if clashes:
        raise RuntimeError(f"users {clashes} have phones that are not 11 ASCII digits or "
                           "look like another account's: resolve them by hand, then upgrade")


def _data(bind) -> None:
    _phones(bind)
    bind.execute(sa.text(
        "DELETE FROM role_assignments WHERE id NOT IN (SELECT MIN(id) FROM role_assignments "
        "GROUP BY user_id, role, node_id, organisation_id)"))
    bind.execute(sa.text(
        "UPDATE personal_codes SET revoked_at = created_at WHERE revoked_at IS NULL AND id NOT "
        "IN (SELECT MAX(id) FROM personal_codes WHERE revoked_at IS NULL GROUP BY user_id)"))
    bind.execute(sa.text(
        "UPDATE hour_corrections SET answer = 'declined', answer_reason = 'duplicate' "
        "WHERE answer IS NULL AND id NOT IN (SELECT MIN(id) FROM hour_corrections "
        "WHERE answer IS NULL GROUP BY entry_id)"))
    bind.execute(sa.text(
        "UPDATE certificates SET status = 'declined', revoked_reason = 'duplicate' "
        "WHERE status = 'requested' AND id NOT IN (SELECT MIN(id) FROM certificates "
        "WHERE status = 'requested' GROUP BY user_id, organisation_id)"))
    bind.execute(sa.text(
        "UPDATE activities SET finished_at = updated_at WHERE status = 'finished'"))
    # successful scans numbered in the order they count
    bind.execute(sa.text(
        "UPDATE scans SET seq = (SELECT COUNT(*) FROM scans s2 WHERE s2.signup_id = "
        "scans.signup_id AND s2.result = 'ok' AND (s2.effective_time < scans.effective_time "
        "OR (s2.effective_time = scans.effective_time AND s2.id <= scans.id))) "
        "WHERE result = 'ok' AND signup_id IS NOT NULL"))
    bind.execute(sa.text(
        "UPDATE signups SET scan_seq = (SELECT COUNT(*) FROM scans WHERE scans.signup_id = "
        "signups.id AND scans.result = 'ok')"))


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_login_sessions_expires_after')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assisted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('late', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scan_seq', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))

    bind = op.get_bind()
    _data(bind)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('uq_certificates_open_request', ['user_id', 'organisation_id'], unique=True, sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))
    with op.batch_alter_table('hour_corrections', schema=None) as batch_op:
        batch_op.create_index('uq_hour_corrections_open', ['entry_id'], unique=True, sqlite_where=sa.text('answer IS NULL'), postgresql_where=sa.text('answer IS NULL'))
    with op.batch_alter_table('personal_codes', schema=None) as batch_op:
        batch_op.create_index('uq_personal_codes_active', ['user_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('uq_role_assignments_grant'))
        batch_op.create_index('uq_role_assignments_node_grant', ['user_id', 'role', 'node_id'], unique=True, sqlite_where=sa.text('organisation_id IS NULL'), postgresql_where=sa.text('organisation_id IS NULL'))
        batch_op.create_index('uq_role_assignments_org_grant', ['user_id', 'role', 'node_id', 'organisation_id'], unique=True, sqlite_where=sa.text('organisation_id IS NOT NULL'), postgresql_where=sa.text('organisation_id IS NOT NULL'))
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('uq_scans_signup_seq', ['signup_id', 'seq'], unique=True, sqlite_where=sa.text('seq IS NOT NULL'), postgresql_where=sa.text('seq IS NOT NULL'))

    checks = list(CHECKS)
    if bind.dialect.name in PHONE_CHECK:
        checks.append(("users", "phone_digits", PHONE_CHECK[bind.dialect.name]))
    for table in dict.fromkeys(t for t, _, _ in checks):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, name, condition in (c for c in checks if c[0] == table):
                batch_op.create_check_constraint(f"ck_{table}_{name}", condition)


def downgrade():
    bind = op.get_bind()
    checks = list(CHECKS)
    if bind.dialect.name in PHONE_CHECK:
        checks.append(("users", "phone_digits", PHONE_CHECK[bind.dialect.name]))
    for table in dict.fromkeys(t for t, _, _ in checks):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, name, _condition in (c for c in checks if c[0] == table):
                batch_op.drop_constraint(f"ck_{table}_{name}", type_="check")

    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_column('scan_seq')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('uq_scans_signup_seq', sqlite_where=sa.text('seq IS NOT NULL'), postgresql_where=sa.text('seq IS NOT NULL'))
        batch_op.drop_column('seq')
        batch_op.drop_column('late')
        batch_op.drop_column('assisted')
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_role_assignments_org_grant', sqlite_where=sa.text('organisation_id IS NOT NULL'), postgresql_where=sa.text('organisation_id IS NOT NULL'))
        batch_op.drop_index('uq_role_assignments_node_grant', sqlite_where=sa.text('organisation_id IS NULL'), postgresql_where=sa.text('organisation_id IS NULL'))
        batch_op.create_index(batch_op.f('uq_role_assignments_grant'), ['user_id', 'role', 'node_id', 'organisation_id'], unique=True)
    with op.batch_alter_table('personal_codes', schema=None) as batch_op:
        batch_op.drop_index('uq_personal_codes_active', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
    with op.batch_alter_table('hour_corrections', schema=None) as batch_op:
        batch_op.drop_index('uq_hour_corrections_open', sqlite_where=sa.text('answer IS NULL'), postgresql_where=sa.text('answer IS NULL'))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_open_request', sqlite_where=sa.text("status = 'requested'"), postgresql_where=sa.text("status = 'requested'"))
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
