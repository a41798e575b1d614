"""The scanner's common case in a fixed, small number of statements.

A phone at the door sends one personal code at a time, and nearly every answer is `ok` or
a repeat (`already_checked_in`). services.redeem decides every kind of scan with the ORM
(about a dozen statements); this module decides those two kinds with one read and one
write (two on SQLite for a check-in), under the same guarantees:

- one SELECT reads the activity, the code's owner, their sign-up, its last successful scan
  and whether the nonce was seen, and decides (in Python) as redeem would. It takes no
  locks: the write checks that what the decision rests on still holds.
- the write is one statement. On PostgreSQL it first locks the rows redeem locks, the
  activity's (a share lock, taken first, as finish and sign-up lock the activity before
  sign-ups) and the sign-up's (FOR NO KEY UPDATE, as services.lock_signup), and only where
  they are as the read saw them: the activity published with the same times, the sign-up
  confirmed with the same count of successful scans (scan_seq; any `ok` since the read
  moved it, and with it the state and the last scan the decision used). A row that
  changed while this one waited for its lock is re-read as committed now, so a finish or
  a twin scan that committed meanwhile makes it write nothing. Then the scan: INSERT ...
  ON CONFLICT (nonce) DO NOTHING RETURNING id (a twin with the same nonce that committed
  first makes it insert nothing, and the twin's answer is given), and for an `ok` the
  sign-up's count and presence, in the same statement, only if the scan was written. The
  unique index on (sign-up, seq) still refuses a second `ok` on the same state. Each
  statement commits on its own where the request has no transaction open yet (no BEGIN,
  no COMMIT: two round trips fewer; server.core.direct.OnSession), and runs inside the
  transaction where one is (a test's): right both ways, as nothing leans on a lock the
  read took.
- SQLite writes under the same check, without locks: it runs one writer at a time (every
  transaction here begins IMMEDIATE), and has no INSERT inside WITH, so the count is an
  UPDATE of its own, run only if the scan was written. Where the request has no
  transaction open yet, the read and the writes are one transaction on a pooled
  connection of their own (BEGIN IMMEDIATE, COMMIT), without the session's machinery.

The statements are hand-written SQL run on the session's connection (server.core.direct):
through SQLAlchemy's result machinery they cost a third of the scan's CPU in the app.

Anything else (a replayed nonce, an unknown or revoked code, a person not on the list, a
cancelled, finished or draft activity, outside the window, a forced or walk-in scan, or a
scan of this sign-up that committed while this one waited for its lock) returns None, and
the caller runs services.redeem, which answers and records every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from server.checkin import codes
from server.checkin.services import ScanRequest, _window
from server.core import direct
from server.core.db import UTCDateTime
from server.core.metrics import note_scan
from server.extensions import db


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
LEFT JOIN {last_ok}
WHERE activities.id = :activity_id
"""
# the sign-up's last successful scan. PostgreSQL: a LATERAL join, looked up in
# ix_scans_signup_ok for this sign-up alone. Joined on `id = (subquery)` instead, a plan made
# while scans was small (each connection keeps its statement's generic plan) hashed the
# whole table in every scan: seq scan and hash, as many rows as the door had scanned, so
# scans grew slower with every scan (PostgreSQL's CPU per repeat scan 1.5 ms at 5,000 and
# 2.7 ms at 12,000 volunteers). SQLite has no LATERAL and looks the id up per row anyway.
_LAST_OK = """(SELECT scans.id, scans.direction, scans.effective_time FROM scans
     WHERE scans.signup_id = signups.id AND scans.result = 'ok'
     ORDER BY scans.effective_time DESC, scans.id DESC LIMIT 1)"""
_LAST_OK_JOIN = {
    "postgresql": f"LATERAL {_LAST_OK} AS last_ok ON true",
    "sqlite": """scans AS last_ok ON last_ok.id = (
     SELECT scans.id FROM scans WHERE scans.signup_id = signups.id AND scans.result = 'ok'
     ORDER BY scans.effective_time DESC, scans.id DESC LIMIT 1)""",
}
# the operator: given (a test, a caller that has loaded them), or the person whose live
# login the session cookie carries, checked here as accounts.sessions.user_for checks it, so
# a scan does not load the logged-in person at all (no login row: None, and the caller's
# usual login check answers)
_GIVEN = ":operator_id"
_BY_LOGIN = """(SELECT login_sessions.user_id FROM login_sessions
  WHERE login_sessions.token_hash = :token_hash AND login_sessions.ended_at IS NULL
    AND login_sessions.expires_at > :now)"""
_RESULT_TIMES = {name: UTCDateTime() for name in ("starts_at", "ends_at", "revoked_at",
                                                     "last_time")}
# every column of scans is given (those the door never sets as NULL or false), as the ORM
# would write them; a twin with the same nonce that committed first makes it insert nothing
_COLUMNS = """activity_id, user_id, signup_id, direction, result, source, operator_id, device,
  client_time, server_time, effective_time, nonce, forced, walk_in, assisted, late, seq,
  duplicate_of_id, ip, latitude, longitude, code_hint, paper_batch_id"""
_VALUES = """:activity_id, :user_id, :signup_id, :direction, :result, :source,
  CAST(:operator_id AS integer), :device, NULL, :now, :effective, :nonce, false, false, false,
  false, CAST(:seq AS integer), CAST(:duplicate_of_id AS integer), :ip, NULL, NULL,
  :code_hint, NULL"""
# the rows the decision read, if they are still as it saw them. On PostgreSQL they are
# locked as redeem locks them: the activity's first (the sign-up's condition asks for it),
# then the sign-up's. Each is looked up by its primary key alone, the state compared after:
# a generic plan made before the tables were analysed would otherwise take any index that
# matches a condition (activities by status, sign-ups by activity: thousands of rows).
_HELD = """activity AS (SELECT activities.status, activities.starts_at, activities.ends_at
  FROM activities WHERE activities.id = :activity_id{share}),
held AS (SELECT signups.id FROM signups
  WHERE signups.id = :signup_id AND signups.status = 'confirmed'
    AND signups.scan_seq = :scan_seq
    AND EXISTS (SELECT 1 FROM activity WHERE activity.status = 'published'
                AND activity.starts_at = :starts_at AND activity.ends_at = :ends_at){update})"""
# the scan, only if they are (SQLite wants a WHERE before ON CONFLICT in INSERT ... SELECT)
_INSERT = f"""INSERT INTO scans ({_COLUMNS}) SELECT {_VALUES} FROM held WHERE true
ON CONFLICT (nonce) DO NOTHING RETURNING id"""
# a successful scan numbers the sign-up's count and its presence (changed_at: the
# scanner's roster delta, checkin.roster)
_COUNT = """UPDATE signups SET scan_seq = :seq, presence = :presence, changed_at = :now
WHERE signups.id = :signup_id"""
_HELD_LOCKED = _HELD.format(share=" FOR SHARE", update=" FOR NO KEY UPDATE")
_WRITE = {
    "sqlite": f"WITH {_HELD.format(share='', update='')}\n{_INSERT}",
    "postgresql": f"WITH {_HELD_LOCKED},\nrecorded AS ({_INSERT})\nSELECT id FROM recorded",
}
# PostgreSQL also counts in the same statement, only if the scan was written
_WRITE_AND_COUNT = (f"WITH {_HELD_LOCKED},\nrecorded AS ({_INSERT}),\n"
                    f"counted AS ({_COUNT} AND EXISTS (SELECT 1 FROM recorded))\n"
                    "SELECT id FROM recorded")
_WRITE_TIMES = {name: UTCDateTime() for name in ("now", "effective", "starts_at", "ends_at")}
_statements: dict[str, SimpleNamespace] = {}


def _prepared(name: str | None = None) -> SimpleNamespace:
    """The statements (server.core.direct) for this database (its dialect's name, else the
    app's), made once per process."""
    name = name or db.engine.dialect.name
    if name not in _statements:
        last_ok = _LAST_OK_JOIN[name]
        given, by_login = (direct.prepare(_READ.format(operator=operator, last_ok=last_ok),
                                          binds={"now": UTCDateTime()}, results=_RESULT_TIMES)
                           for operator in (_GIVEN, _BY_LOGIN))
        write = direct.prepare(_WRITE[name], binds=_WRITE_TIMES)
        postgres = name == "postgresql"  # SQLite has no INSERT inside WITH
        _statements[name] = SimpleNamespace(
            given=given, by_login=by_login, insert=write,
            insert_and_count=direct.prepare(_WRITE_AND_COUNT, binds=_WRITE_TIMES)
            if postgres else write,
            count=None if postgres else direct.prepare(_COUNT, binds={"now": UTCDateTime()}))
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
    params = {"activity_id": req.activity_id, "token": token, "nonce": req.nonce or None}
    with direct.OnSession(each_commits=True) as on:
        sql = _prepared(on.dialect.name)
        if req.operator is not None:
            read, params["operator_id"] = sql.given, req.operator.id
        else:
            read, params["token_hash"], params["now"] = sql.by_login, login_hash, now
        recorded = _decided(req, on.fetch_one(read, params), on, sql, now)
    if recorded is not None:  # counted once committed: now, or when the session commits
        note_scan(db.session, recorded.result, req.source, committed=on.committed)
    return recorded


def _decided(req: ScanRequest, row, on: direct.OnSession, sql: SimpleNamespace,
             now: datetime) -> Recorded | None:
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
    values = dict(
        activity_id=req.activity_id, user_id=row.user_id, signup_id=row.signup_id,
        direction=req.direction, result=result, source=req.source,
        operator_id=row.operator_id, device=(req.device or None) and req.device[:64],
        now=now, effective=effective, nonce=req.nonce or None, seq=seq,
        duplicate_of_id=duplicate_of, ip=req.ip, code_hint=codes.hint(req.code),
        presence="in" if req.direction == "entry" else "out",
        # what the decision rests on: the write checks it still holds (PostgreSQL)
        starts_at=row.starts_at, ends_at=row.ends_at, scan_seq=row.scan_seq or 0)
    written = on.fetch_one(sql.insert if seq is None else sql.insert_and_count, values)
    if written is None:
        # a twin with this nonce committed first, or (PostgreSQL) what the decision rested
        # on changed since the read: redeem decides again, and answers as the twin did
        return None
    if seq is not None and sql.count is not None:
        on.execute(sql.count, values)
    return Recorded(id=written.id, result=result, direction=req.direction, source=req.source,
                    nonce=req.nonce or None, duplicate_of_id=duplicate_of, server_time=now,
                    effective_time=effective, operator_locale=row.operator_locale,
                    user=SimpleNamespace(
                        id=row.user_id, name=row.name, phone=row.phone,
                        # a family member's manager (accounts.family), named on the scanner
                        managed_by=SimpleNamespace(name=row.manager_name)
                        if row.manager_name else None))

