"""One redeem service for every door: scanner, self check-in, offline upload, search.

Every scan becomes a row, failed ones too. The person's sign-up row is locked
while their scan is decided, so the same code on three phones at once yields one
check-in. A replayed nonce returns the original scan and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.accounts.models import User
from server.activities import signups as signup_rules
from server.activities.models import Activity, Signup
from server.activities.services import can_oversee
from server.checkin import codes
from server.checkin.errors import NeedsOneOf
from server.checkin.models import Scan
from server.core.errors import NotFound
from server.extensions import db

STAFF_SOURCES = ("organiser_scan", "offline_upload", "manual_search")


@dataclass
class ScanRequest:
    activity_id: int
    direction: str
    source: str
    operator: User | None
    code: str | None = None
    user_id: int | None = None
    client_time: datetime | None = None
    nonce: str | None = None
    device: str | None = None
    forced: bool = False
    walk_in: bool = False
    ip: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def _by_nonce(nonce: str | None) -> Scan | None:
    if not nonce:
        return None
    return db.session.scalar(select(Scan).where(Scan.nonce == nonce))


def _record(req: ScanRequest, *, result: str, now: datetime, effective: datetime,
            user_id: int | None = None, signup: Signup | None = None,
            duplicate_of: Scan | None = None) -> Scan:
    scan = Scan(activity_id=req.activity_id, user_id=user_id,
                signup_id=signup.id if signup else None, direction=req.direction,
                result=result, source=req.source,
                operator_id=req.operator.id if req.operator else None,
                device=(req.device or None) and req.device[:64], client_time=req.client_time,
                server_time=now, effective_time=effective, nonce=req.nonce or None,
                forced=req.forced, walk_in=req.walk_in and result == "ok",
                duplicate_of_id=duplicate_of.id if duplicate_of else None, ip=req.ip,
                latitude=req.latitude, longitude=req.longitude, code_hint=codes.hint(req.code))
    try:
        with db.session.begin_nested():
            db.session.add(scan)
    except IntegrityError:
        # the same nonce arrived twice at once: the first one's answer stands
        existing = _by_nonce(req.nonce)
        if existing is None:
            raise
        return existing
    return scan


def _effective_time(req: ScanRequest, now: datetime) -> datetime:
    """Offline scans count at the phone's time (never later than now)."""
    if req.source == "offline_upload" and req.client_time is not None:
        return min(req.client_time, now)
    return now


def _window(activity: Activity, direction: str, at: datetime) -> str | None:
    cfg = current_app.config
    if at < activity.starts_at - timedelta(minutes=cfg["CHECKIN_OPENS_MINUTES_BEFORE"]):
        return "too_early"
    limit = activity.ends_at
    if direction == "exit":
        limit += timedelta(minutes=cfg["CHECKIN_EXIT_GRACE_MINUTES"])
    return "too_late" if at > limit else None


def _last_ok(signup: Signup, at: datetime | None = None) -> Scan | None:
    query = select(Scan).where(Scan.signup_id == signup.id, Scan.result == "ok")
    if at is not None:
        query = query.where(Scan.effective_time <= at)
    return db.session.scalar(query.order_by(Scan.effective_time.desc(), Scan.id.desc())
                             .limit(1))


def _person(req: ScanRequest) -> tuple[int | None, str | None]:
    """(user id, failure code) for the code or person the request names."""
    if (req.code is None) == (req.user_id is None):
        raise NeedsOneOf()
    if req.user_id is not None:
        return req.user_id, None
    found = codes.lookup_personal(req.code)
    if found is None:
        return None, "invalid_code"
    if found.revoked_at is not None:
        return found.user_id, "revoked"
    return found.user_id, None


def redeem(req: ScanRequest, *, now: datetime) -> Scan:
    """Decide and record one scan. Returns the Scan; its `result` is the answer."""
    replay = _by_nonce(req.nonce)
    if replay is not None:
        return replay
    activity = db.session.get(Activity, req.activity_id)
    if activity is None:
        raise NotFound()
    effective = _effective_time(req, now)
    user_id, failure = _person(req)

    def answer(result, **kw):
        return _record(req, result=result, now=now, effective=effective, user_id=user_id, **kw)

    if req.source in STAFF_SOURCES or req.forced or req.walk_in:
        if not can_oversee(req.operator, activity):
            return answer("not_allowed")
    elif req.operator is None or req.user_id != req.operator.id:
        return answer("not_allowed")  # a self check-in is only ever for oneself
    if failure:
        return answer(failure)
    if activity.status == "cancelled":
        return answer("activity_cancelled")
    if activity.status == "draft":
        return answer("not_allowed")
    if not req.forced:
        outside = _window(activity, req.direction, effective)
        if outside:
            return answer(outside)

    signup = db.session.execute(
        select(Signup).where(Signup.activity_id == activity.id, Signup.user_id == user_id,
                             Signup.status.in_(("confirmed", "waitlisted")))
        .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if req.source == "offline_upload":
        # batches are re-sent whole: a twin upload may have finished while we waited.
        # (A live twin is caught by the unique nonce when its row is written.)
        replay = _by_nonce(req.nonce)
        if replay is not None:
            return replay
    if signup is None and req.walk_in and req.direction == "entry":
        signup = signup_rules.walk_in(activity.id, user=db.session.get(User, user_id),
                                      operator=req.operator, now=now)
    if signup is None:
        return answer("not_signed_up")
    if signup.status == "waitlisted":
        return answer("waitlisted", signup=signup)

    before = _last_ok(signup, effective)
    state = "none" if before is None else ("in" if before.direction == "entry" else "out")
    if req.direction == "entry" and state == "in":
        return answer("already_checked_in", signup=signup, duplicate_of=before)
    if req.direction == "exit" and state == "out":
        return answer("already_checked_out", signup=signup, duplicate_of=before)
    if req.direction == "exit" and state == "none":
        return answer("not_checked_in", signup=signup)
    scan = answer("ok", signup=signup)
    # a live scan is the newest; only an offline one may land before later scans
    latest = scan if req.source != "offline_upload" else _last_ok(signup)
    signup.presence = "in" if latest.direction == "entry" else "out"
    db.session.flush()
    return scan


def auto_check_out(activity: Activity, *, now: datetime) -> int:
    """Everyone still inside when the activity ended leaves at its end, marked automatic."""
    if now < activity.ends_at:
        return 0
    inside = db.session.scalars(select(Signup).where(
        Signup.activity_id == activity.id, Signup.presence == "in")
        .with_for_update()).all()
    for signup in inside:
        last = _last_ok(signup)
        db.session.add(Scan(activity_id=activity.id, user_id=signup.user_id,
                            signup_id=signup.id, direction="exit", result="ok",
                            source="automatic", server_time=now,
                            effective_time=max(activity.ends_at, last.effective_time),
                            forced=False, walk_in=False))
        signup.presence = "out"
    db.session.flush()
    return len(inside)


def auto_check_out_due(*, now: datetime) -> int:
    """For the CLI and the scheduler: every ended activity with people still inside."""
    due = db.session.scalars(select(Signup.activity_id).join(
        Activity, Signup.activity_id == Activity.id).where(
        Activity.ends_at <= now, Signup.presence == "in").distinct()).all()
    return sum(auto_check_out(db.session.get(Activity, a), now=now) for a in due)


@dataclass
class Counts:
    signed_up: int
    present: int
    left: int


def counts(activity: Activity) -> Counts:
    rows = dict(db.session.execute(
        select(Signup.presence, func.count()).where(
            Signup.activity_id == activity.id, Signup.status == "confirmed")
        .group_by(Signup.presence)).all())
    return Counts(signed_up=sum(rows.values()), present=rows.get("in", 0),
                  left=rows.get("out", 0))


def self_check_in(activity_id: int, *, user: User, step: str, mac: str, now: datetime,
                  seen_at: datetime | None = None, ip: str | None = None,
                  latitude: float | None = None, longitude: float | None = None) -> Scan:
    """A volunteer scanned the venue code. Entry, or exit if they are inside.

    `seen_at` is when a not-yet-logged-in volunteer opened the link; it is what the
    code's freshness is judged by (they may log in first).
    """
    poster = step == "poster"
    source = "self_poster" if poster else "self"
    live = signup_rules.live_signup(activity_id, user.id)
    direction = "exit" if live is not None and live.presence == "in" else "entry"
    req = ScanRequest(activity_id=activity_id, direction=direction, source=source,
                      operator=user, user_id=user.id, ip=ip, latitude=latitude,
                      longitude=longitude, device="poster" if poster else None)
    if db.session.get(Activity, activity_id) is None:
        raise NotFound()
    failure = codes.check_venue(activity_id, step, mac, now=seen_at or now)
    if failure:
        req.code = f"venue:{step}"
        return _record(req, result=failure, now=now, effective=now, user_id=user.id)
    return redeem(req, now=now)
