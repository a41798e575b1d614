"""The scanner's common case in a fixed, small number of statements.

A phone at the door sends one personal code at a time, and nearly every answer is `ok` or
a repeat (`already_checked_in`). services.redeem decides every kind of scan with the ORM
(about a dozen statements); this module decides those two kinds with one read and one or
two writes, under the same guarantees:

- one SELECT reads the activity, the code's owner, their sign-up, its last successful scan
  and whether the nonce was seen, and on PostgreSQL takes the locks redeem takes: the
  sign-up's row (FOR NO KEY UPDATE, as services.lock_signup) and a share lock on the
  activity's row, taken first, as finish and sign-up lock the activity before sign-ups.
  Reading after a wait for a lock, PostgreSQL re-reads the locked rows as committed now
  (not as of the statement's start), so a finish that committed meanwhile is seen, as
  redeem sees it by re-reading the activity after the lock. (SQLite runs one writer at a
  time: every transaction here begins IMMEDIATE.)
- the scan is one INSERT ... ON CONFLICT (nonce) DO NOTHING RETURNING id: a twin with the
  same nonce that committed first makes it insert nothing, and the twin's answer is given.
  The unique index on (sign-up, seq) still refuses a second `ok` on the same state.
- a successful scan updates the sign-up's count and presence in one UPDATE.

Anything else (a replayed nonce, an unknown or revoked code, a person not on the list, a
cancelled, finished or draft activity, outside the window, a forced or walk-in scan, or a
scan of this sign-up that committed while this one waited for its lock) returns None, and
the caller runs services.redeem, which answers and records every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, text, update
from sqlalchemy.dialects import postgresql, sqlite

from server.activities.models import Signup
from server.checkin import codes
from server.checkin.models import Scan
from server.checkin.services import ScanRequest, _window
from server.core.db import UTCDateTime
from server.core.metrics import note_scan
from server.extensions import db

_LOCKS = "FOR SHARE OF activities FOR NO KEY UPDATE OF signups"


@dataclass
class Recorded:
    """A scan this module wrote: what ScanOut reads, without loading the row back."""

    id: int
    result: str
    direction: str
    source: str
    nonce: str | None
    duplicate_of_id: int | None
    server_time: datetime
    effective_time: datetime
    user: SimpleNamespace
    operator_locale: str | None = None  # the answer's language, without loading the operator
    forced: bool = False
    walk_in: bool = False
    assisted: bool = False
    late: bool = False


def _token(payload: str | None) -> str | None:
    text = (payload or "").strip()
    if not text.startswith(codes.PERSONAL_PREFIX):
        return None
    token = text[len(codes.PERSONAL_PREFIX):]
    return token if 20 <= len(token) <= 64 else None


# One read for the whole decision. Written out (not built per request): building and
# keying a statement this size cost more than running it. `may_scan` is
# activities.services.can_oversee in SQL (organisers of the activity's organisation,
# coordinators and admins at or above its node; tests/checkin/test_live.py holds the two
# to the same answers), so a scan never loads the operator's roles.
_READ = """
SELECT activities.status, activities.starts_at, activities.ends_at,
       activities.organisation_id, nodes.path, personal_codes.user_id,
       personal_codes.revoked_at, users.name, users.phone, manager.name AS manager_name,
       signups.id AS signup_id,
       signups.status AS signup_status, signups.scan_seq,
       last_ok.id AS last_id, last_ok.direction AS last_direction,
       last_ok.effective_time AS last_time,
       (SELECT max(scans.seq) FROM scans WHERE scans.signup_id = signups.id) AS top_seq,
       (SELECT scans.id FROM scans WHERE scans.nonce = :nonce) AS seen,
       operator_user.id AS operator_id, operator_user.locale AS operator_locale,
       EXISTS (SELECT 1 FROM role_assignments JOIN nodes AS held
                 ON held.id = role_assignments.node_id
               WHERE role_assignments.user_id = operator_user.id AND (
                 (role_assignments.role = 'organiser'
                  AND role_assignments.organisation_id = activities.organisation_id)
                 OR (role_assignments.role IN ('coordinator', 'admin')
                     AND substr(nodes.path, 1, length(held.path)) = held.path))
       ) AS may_scan
FROM activities
JOIN users AS operator_user ON operator_user.id = {operator} AND operator_user.active
JOIN nodes ON nodes.id = activities.node_id
JOIN personal_codes ON personal_codes.token = :token
JOIN users ON users.id = personal_codes.user_id
LEFT JOIN users AS manager ON manager.id = users.managed_by_id
JOIN signups ON signups.activity_id = activities.id
     AND signups.user_id = personal_codes.user_id
     AND signups.status IN ('confirmed', 'waitlisted')
LEFT JOIN scans AS last_ok ON last_ok.id = (
     SELECT scans.id FROM scans WHERE scans.signup_id = signups.id AND scans.result = 'ok'
     ORDER BY scans.effective_time DESC, scans.id DESC LIMIT 1)
WHERE activities.id = :activity_id
"""
# the operator: given (a test, a caller that has loaded them), or the person whose live
# login the session cookie carries, checked here as accounts.sessions.user_for checks it, so
# a scan does not load the logged-in person at all (no login row: None, and the caller's
# usual login check answers)
_GIVEN = ":operator_id"
_BY_LOGIN = """(SELECT login_sessions.user_id FROM login_sessions
  WHERE login_sessions.token_hash = :token_hash AND login_sessions.ended_at IS NULL
    AND login_sessions.expires_at > :now)"""
_TYPES = {"starts_at": UTCDateTime(), "ends_at": UTCDateTime(),
          "revoked_at": UTCDateTime(), "last_time": UTCDateTime()}
_statements: dict[str, tuple] = {}


def _prepared() -> tuple:
    """(read given an operator, read by login, insert, update) for this database, made once
    per process."""
    name = db.engine.dialect.name
    if name not in _statements:
        locks = _LOCKS if name == "postgresql" else ""
        given = text(_READ.format(operator=_GIVEN) + locks).columns(**_TYPES)
        by_login = (text(_READ.format(operator=_BY_LOGIN) + locks).columns(**_TYPES)
                    .bindparams(bindparam("now", type_=UTCDateTime())))
        dialect = postgresql if name == "postgresql" else sqlite
        insert = (dialect.insert(Scan.__table__).on_conflict_do_nothing(index_elements=["nonce"])
                  .returning(Scan.__table__.c.id))
        signups = Signup.__table__
        bump = (update(signups).where(signups.c.id == bindparam("signup_id"))
                .values(scan_seq=bindparam("seq"), presence=bindparam("presence")))
        _statements[name] = (given, by_login, insert, bump)
    return _statements[name]


def redeem_code(req: ScanRequest, *, now: datetime,
                login_hash: str | None = None) -> Recorded | None:
    """An organiser's live scan of a personal code, if it is the common case; else None.
    The operator is req.operator, or (login_hash, accounts.sessions.token_hash) the person
    whose live login that is."""
    if (req.source != "organiser_scan" or req.forced or req.walk_in or req.user_id is not None
            or req.phone is not None or (req.operator is None and login_hash is None)):
        return None
    token = _token(req.code)
    if token is None:
        return None
    given, by_login, insert, bump = _prepared()
    params = {"activity_id": req.activity_id, "token": token, "nonce": req.nonce or None}
    if req.operator is not None:
        read, params["operator_id"] = given, req.operator.id
    else:
        read, params["token_hash"], params["now"] = by_login, login_hash, now
    row = db.session.execute(read, params).one_or_none()
    if (row is None or row.seen is not None or row.revoked_at is not None
            or row.status != "published" or row.signup_status != "confirmed"
            or (row.top_seq or 0) != (row.scan_seq or 0)):
        return None
    times = SimpleNamespace(starts_at=row.starts_at, ends_at=row.ends_at)
    if not row.may_scan or _window(times, req.direction, now):
        return None
    state = ("none" if row.last_id is None
             else "in" if row.last_direction == "entry" else "out")
    effective = now
    if row.last_time is not None and row.last_time > effective:
        effective = row.last_time  # the order of successful scans is the order decided
    duplicate_of = None
    if req.direction == "entry" and state == "in":
        result, duplicate_of = "already_checked_in", row.last_id
    elif req.direction == "exit" and state == "out":
        result, duplicate_of = "already_checked_out", row.last_id
    elif req.direction == "exit" and state == "none":
        result = "not_checked_in"
    else:
        result = "ok"
    seq = (row.scan_seq or 0) + 1 if result == "ok" else None
    scan_id = db.session.execute(insert, dict(
        activity_id=req.activity_id, user_id=row.user_id, signup_id=row.signup_id,
        direction=req.direction, result=result, source=req.source,
        operator_id=row.operator_id, device=(req.device or None) and req.device[:64],
        client_time=req.client_time, server_time=now, effective_time=effective,
        nonce=req.nonce or None, forced=False, walk_in=False, assisted=False, late=False,
        seq=seq, duplicate_of_id=duplicate_of, ip=req.ip, code_hint=codes.hint(req.code),
        latitude=None, longitude=None, paper_batch_id=None)).scalar_one_or_none()
    if scan_id is None:
        return None  # a twin with this nonce committed first: redeem gives its answer
    if seq is not None:
        db.session.execute(bump, {"signup_id": row.signup_id, "seq": seq,
                                  "presence": "in" if req.direction == "entry" else "out"})
    note_scan(db.session, result, req.source)
    return Recorded(id=scan_id, result=result, direction=req.direction, source=req.source,
                    nonce=req.nonce or None, duplicate_of_id=duplicate_of, server_time=now,
                    effective_time=effective, operator_locale=row.operator_locale,
                    user=SimpleNamespace(
                        id=row.user_id, name=row.name, phone=row.phone,
                        # a family member's manager (accounts.family), named on the scanner
                        managed_by=SimpleNamespace(name=row.manager_name)
                        if row.manager_name else None))

