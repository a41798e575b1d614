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

from sqlalchemy import func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.accounts.models import User
from server.activities.models import Activity, Signup
from server.activities.services import can_oversee
from server.checkin import codes
from server.checkin.models import PersonalCode, Scan
from server.checkin.services import ScanRequest, _window
from server.communities.models import Node
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


def _read(activity_id: int, token: str, nonce: str | None):
    last_ok = (select(Scan.id).where(Scan.signup_id == Signup.id, Scan.result == "ok")
               .order_by(Scan.effective_time.desc(), Scan.id.desc()).limit(1)
               .correlate(Signup).scalar_subquery())
    last = Scan.__table__.alias("last_ok")
    seen = (select(Scan.id).where(Scan.nonce == nonce).scalar_subquery()
            if nonce else literal_column("NULL"))
    top_seq = (select(func.max(Scan.seq)).where(Scan.signup_id == Signup.id)
               .correlate(Signup).scalar_subquery())
    query = (
        select(Activity.status, Activity.starts_at, Activity.ends_at,
               Activity.organisation_id, Node.path, PersonalCode.user_id,
               PersonalCode.revoked_at, User.name, User.phone, Signup.id.label("signup_id"),
               Signup.status.label("signup_status"), Signup.presence, Signup.scan_seq,
               last.c.id.label("last_id"), last.c.direction.label("last_direction"),
               last.c.effective_time.label("last_time"), top_seq.label("top_seq"),
               seen.label("seen"))
        .select_from(Activity)
        .join(Node, Node.id == Activity.node_id)
        .join(PersonalCode, PersonalCode.token == token)
        .join(User, User.id == PersonalCode.user_id)
        .join(Signup, (Signup.activity_id == Activity.id)
              & (Signup.user_id == PersonalCode.user_id)
              & Signup.status.in_(("confirmed", "waitlisted")))
        .outerjoin(last, last.c.id == last_ok)
        .where(Activity.id == activity_id)
        .suffix_with(_LOCKS, dialect="postgresql"))
    return db.session.execute(query).one_or_none()


def _insert(values: dict) -> int | None:
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(Scan.__table__).values(**values)
            .on_conflict_do_nothing(index_elements=["nonce"]).returning(Scan.__table__.c.id))
    return db.session.execute(stmt).scalar_one_or_none()


def redeem_code(req: ScanRequest, *, now: datetime) -> Recorded | None:
    """An organiser's live scan of a personal code, if it is the common case; else None."""
    if (req.source != "organiser_scan" or req.forced or req.walk_in or req.user_id is not None
            or req.phone is not None or req.operator is None):
        return None
    token = _token(req.code)
    if token is None:
        return None
    row = _read(req.activity_id, token, req.nonce)
    if (row is None or row.seen is not None or row.revoked_at is not None
            or row.status != "published" or row.signup_status != "confirmed"
            or (row.top_seq or 0) != (row.scan_seq or 0)):
        return None
    place = SimpleNamespace(organisation_id=row.organisation_id,
                            node=SimpleNamespace(path=row.path))
    times = SimpleNamespace(starts_at=row.starts_at, ends_at=row.ends_at)
    if not can_oversee(req.operator, place) or _window(times, req.direction, now):
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
    scan_id = _insert(dict(
        activity_id=req.activity_id, user_id=row.user_id, signup_id=row.signup_id,
        direction=req.direction, result=result, source=req.source,
        operator_id=req.operator.id, device=(req.device or None) and req.device[:64],
        client_time=req.client_time, server_time=now, effective_time=effective,
        nonce=req.nonce or None, forced=False, walk_in=False, assisted=False, late=False,
        seq=seq, duplicate_of_id=duplicate_of, ip=req.ip, code_hint=codes.hint(req.code)))
    if scan_id is None:
        return None  # a twin with this nonce committed first: redeem gives its answer
    if seq is not None:
        db.session.execute(update(Signup).where(Signup.id == row.signup_id).values(
            scan_seq=seq, presence="in" if req.direction == "entry" else "out")
            .execution_options(synchronize_session=False))
    note_scan(db.session, result, req.source)
    return Recorded(id=scan_id, result=result, direction=req.direction, source=req.source,
                    nonce=req.nonce or None, duplicate_of_id=duplicate_of, server_time=now,
                    effective_time=effective,
                    user=SimpleNamespace(id=row.user_id, name=row.name, phone=row.phone))

