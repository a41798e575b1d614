"""One redeem service for every door: scanner, self check-in, offline upload, search.

Every scan becomes a row, failed ones too. The person's sign-up row is locked while
their scan is decided, and the decision reads the state as it is once the lock is held
(not as of the moment the request began: with several server processes, a request that
started earlier may get the lock later). Successful scans of a sign-up are numbered, and
a unique index on (sign-up, number) refuses a second decision on the same state, so
three phones at once make one check-in even if the lock were bypassed. A replayed nonce
returns the original scan to the one who made it, and nothing to anyone else.

Attendance closes when the activity is finished (activities.finish, which takes every
sign-up's lock first): an offline scan made before that moment is still accepted, marked
late, and its hours follow (events.ATTENDANCE_CHANGED); anything else is refused with
`attendance_closed`.
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
from server.checkin import codes, geo
from server.checkin.errors import MayNotScan, NeedsOneOf
from server.checkin.models import Scan
from server.core import events
from server.core.errors import NotFound
from server.extensions import db

STAFF_SOURCES = ("organiser_scan", "offline_upload", "manual_search", "phone_lookup", "paper")
# recorded after the fact, each at its own time (the phone's clock, the sheet's tick):
# decided on the state at that time, and still accepted after a finish if made before it
TIMED_SOURCES = ("offline_upload", "paper")


@dataclass
class ScanRequest:
    activity_id: int
    direction: str
    source: str
    operator: User | None
    code: str | None = None
    user_id: int | None = None
    phone: str | None = None
    client_time: datetime | None = None
    nonce: str | None = None
    device: str | None = None
    forced: bool = False
    walk_in: bool = False
    ip: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    paper_batch_id: int | None = None
    # a paper tick with no time written: it confirms a scan of this direction if there is
    # one (the scan's time is the better record), instead of one at the activity's start
    confirms: bool = False

    @property
    def assisted(self) -> bool:
        """Not the person's own code: someone found them by name or phone. (A paper
        sheet's row is its own kind of record, marked as such.)"""
        return self.code is None and self.source not in ("self", "self_poster", "automatic",
                                                          "paper")


class Answer:
    """An answer that is not recorded: the nonce is another person's scan."""

    id = None
    nonce = None
    user = None
    signup_id = None
    forced = walk_in = assisted = late = False
    duplicate_of_id = None

    def __init__(self, req: ScanRequest, result: str, now: datetime):
        self.result, self.direction, self.source = result, req.direction, req.source
        self.server_time = self.effective_time = now


def _by_nonce(nonce: str | None) -> Scan | None:
    if not nonce:
        return None
    return db.session.scalar(select(Scan).where(Scan.nonce == nonce))


def _replayed(req: ScanRequest, now: datetime) -> Scan | Answer | None:
    found = _by_nonce(req.nonce)
    if found is None:
        return None
    if (req.operator is None or found.operator_id != req.operator.id
            or found.activity_id != req.activity_id):
        return Answer(req, "nonce_reused", now)  # not this scanner's, or another activity's
    return found


def _record(req: ScanRequest, *, result: str, now: datetime, effective: datetime,
            user_id: int | None = None, signup: Signup | None = None,
            duplicate_of: Scan | None = None, late: bool = False) -> Scan | Answer:
    scan = Scan(activity_id=req.activity_id, user_id=user_id,
                signup_id=signup.id if signup else None, direction=req.direction,
                result=result, source=req.source,
                operator_id=req.operator.id if req.operator else None,
                device=(req.device or None) and req.device[:64], client_time=req.client_time,
                server_time=now, effective_time=effective, nonce=req.nonce or None,
                forced=req.forced, walk_in=req.walk_in and result == "ok",
                assisted=req.assisted, late=late and result == "ok",
                duplicate_of_id=duplicate_of.id if duplicate_of else None, ip=req.ip,
                latitude=req.latitude, longitude=req.longitude, code_hint=codes.hint(req.code),
                paper_batch_id=req.paper_batch_id)
    if result == "ok":
        signup.scan_seq = (signup.scan_seq or 0) + 1
        scan.seq = signup.scan_seq
    try:
        with db.session.begin_nested():
            db.session.add(scan)
    except IntegrityError:
        # the same nonce arrived twice at once: the first one's answer stands
        replay = _replayed(req, now)
        if replay is None:
            raise
        return replay
    return scan


def _effective_time(req: ScanRequest, now: datetime) -> datetime:
    """Offline scans count at the phone's time, paper ticks at the sheet's (never later
    than now)."""
    if req.source in TIMED_SOURCES and req.client_time is not None:
        return min(req.client_time, now)
    return now


def exit_grace() -> timedelta:
    """How long after its end an activity still takes check-outs: nobody is checked out
    automatically, nor the activity finished by the scheduler, before it is over."""
    return timedelta(minutes=current_app.config["CHECKIN_EXIT_GRACE_MINUTES"])


def window_of(activity: Activity) -> tuple[datetime, datetime, datetime]:
    """When scans are taken: (opens, the last check-in, the last check-out). The scanner page
    carries them, so that a phone without network refuses what the server would."""
    cfg = current_app.config
    return (activity.starts_at - timedelta(minutes=cfg["CHECKIN_OPENS_MINUTES_BEFORE"]),
            activity.ends_at, activity.ends_at + exit_grace())


def _window(activity: Activity, direction: str, at: datetime) -> str | None:
    opens, last_entry, last_exit = window_of(activity)
    if at < opens:
        return "too_early"
    return "too_late" if at > (last_exit if direction == "exit" else last_entry) else None


def last_ok(signup: Signup, at: datetime | None = None,
            direction: str | None = None) -> Scan | None:
    query = select(Scan).where(Scan.signup_id == signup.id, Scan.result == "ok")
    if at is not None:
        query = query.where(Scan.effective_time <= at)
    if direction is not None:
        query = query.where(Scan.direction == direction)
    return db.session.scalar(query.order_by(Scan.effective_time.desc(), Scan.id.desc())
                             .limit(1))


def _person(req: ScanRequest) -> tuple[int | None, str | None]:
    """(user id, failure code) for the code, person or phone the request names."""
    if sum(x is not None for x in (req.code, req.user_id, req.phone)) != 1:
        raise NeedsOneOf()
    if req.user_id is not None:
        if db.session.get(User, req.user_id) is None:
            return None, "not_signed_up"  # names nobody: answered, and nothing learnt
        return req.user_id, None
    if req.phone is not None:
        from server.accounts.roles import find_user_by_phone
        found = find_user_by_phone(req.phone)  # a malformed number is a 422
        return (found.id, None) if found else (None, "not_signed_up")
    found = codes.lookup_personal(req.code)
    if found is None:
        return None, "invalid_code"
    if found.revoked_at is not None:
        return found.user_id, "revoked"
    return found.user_id, None


def _listed(activity_id: int, user_id: int) -> bool:
    """Whether the person is on the activity's list (confirmed or waitlisted)."""
    return db.session.scalar(select(Signup.id).where(
        Signup.activity_id == activity_id, Signup.user_id == user_id,
        Signup.status.in_(("confirmed", "waitlisted"))).limit(1)) is not None


def _may_admit(req: ScanRequest, user_id: int) -> bool:
    """A walk-in shows their own code; a number typed for them admits only a resident of a
    place the operator serves (as a sign-up on their behalf): anyone else's number is
    answered as one not on the list, and names nobody."""
    if req.phone is None:
        return True
    from server.accounts.roles import serves
    return serves(req.operator, db.session.get(User, user_id))


def lock_signup(activity_id: int, user_id: int | None) -> Signup | None:
    if user_id is None:
        return None
    return db.session.execute(
        select(Signup).where(Signup.activity_id == activity_id, Signup.user_id == user_id,
                             Signup.status.in_(("confirmed", "waitlisted")))
        .with_for_update(key_share=True).execution_options(populate_existing=True)).scalar_one_or_none()


def _settled(activity_id: int) -> Activity:
    """The activity as committed now: read after the sign-up's lock, so a finish that
    committed meanwhile is seen (finish holds every sign-up's lock while it closes)."""
    return db.session.execute(select(Activity).where(Activity.id == activity_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _closed(activity: Activity, req: ScanRequest, effective: datetime) -> bool:
    """After finish, only an offline scan (or a paper tick) made before it still counts."""
    if activity.status != "finished":
        return False
    return not (req.source in TIMED_SOURCES and activity.finished_at is not None
                and effective <= activity.finished_at)


def require_scanner(operator: User | None, activity: Activity) -> None:
    """Staff scans (a code, a search, a walk-in, an offline upload, a forced scan) come
    from those who organise or oversee the activity; anyone else is refused before a row
    is written (MayNotScan, 403), as the scan log and the roster refuse them."""
    if not can_oversee(operator, activity):
        raise MayNotScan()


def redeem(req: ScanRequest, *, now: datetime) -> Scan | Answer:
    """Decide and record one scan. Returns the Scan; its `result` is the answer."""
    replay = _replayed(req, now)
    if replay is not None:
        return replay
    activity = db.session.get(Activity, req.activity_id)
    if activity is None:
        raise NotFound()
    effective = _effective_time(req, now)
    user_id, failure = _person(req)
    # staff who found a person by id or phone learn who it is only if that person is on the
    # list: every answer before the sign-up is read, too (cancelled, outside the window,
    # closed), names nobody else, and records nobody
    searched = req.source in STAFF_SOURCES and (req.user_id is not None or req.phone is not None)

    def answer(result, **kw):
        shown = user_id
        if (searched and shown is not None and kw.get("signup") is None
                and not _listed(req.activity_id, shown)):
            shown = None
        return _record(req, result=result, now=now, effective=effective, user_id=shown, **kw)

    if req.source in STAFF_SOURCES or req.forced or req.walk_in:
        if req.source == "offline_upload" and not can_oversee(req.operator, activity):
            # a phone's queue, uploaded by someone who may not scan here (any longer): each
            # scan is answered, so the phone files it with its conflicts and sends the rest
            # of its queue, and none is written (a replay above kept its first answer)
            return Answer(req, "not_allowed", now)
        require_scanner(req.operator, activity)
    elif req.operator is None or req.user_id != req.operator.id:
        return answer("not_allowed")  # a self check-in is only ever for oneself
    if failure:
        return answer(failure)
    if activity.status == "cancelled":
        return answer("activity_cancelled")
    if activity.status == "draft":
        return answer("not_allowed")
    # a paper sheet's times were checked to be on the activity's day (checkin.paper)
    if not req.forced and req.source != "paper":
        outside = _window(activity, req.direction, effective)
        if outside:
            return answer(outside)

    signup = lock_signup(activity.id, user_id)
    activity = _settled(activity.id)
    if req.source in TIMED_SOURCES:
        # batches are re-sent whole: a twin upload may have finished while we waited.
        # (A live twin is caught by the unique nonce when its row is written.)
        replay = _replayed(req, now)
        if replay is not None:
            return replay
    if _closed(activity, req, effective):
        return answer("attendance_closed", signup=signup)
    if (signup is None and req.walk_in and req.direction == "entry" and req.user_id is None
            and _may_admit(req, user_id)):
        signup, full = signup_rules.walk_in(activity.id, user=db.session.get(User, user_id),
                                            operator=req.operator, now=now)
        if full:
            return answer("activity_full")
        activity = _settled(activity.id)
        if _closed(activity, req, effective):
            return answer("attendance_closed", signup=signup)
    if signup is None:
        if req.user_id is not None or req.phone is not None:
            user_id = None  # found by id or phone: nobody learns who is not on the list
        return answer("not_signed_up")
    if signup.status == "waitlisted":
        return answer("waitlisted", signup=signup)
    return _decide(req, signup, activity, now=now, effective=effective, user_id=user_id)


def _decide(req: ScanRequest, signup: Signup, activity: Activity, *, now: datetime,
            effective: datetime, user_id: int) -> Scan | Answer:
    live = req.source not in TIMED_SOURCES
    # a live scan is decided on the state now; an offline one on the state at its time
    before = last_ok(signup, None if live else effective)
    if live and before is not None and before.effective_time > effective:
        effective = before.effective_time  # the order of successful scans is the order decided
    state = "none" if before is None else ("in" if before.direction == "entry" else "out")

    def answer(result, **kw):
        return _record(req, result=result, now=now, effective=effective, user_id=user_id,
                       signup=signup, **kw)

    scanned = last_ok(signup, direction=req.direction) if req.confirms else None
    if scanned is not None:  # an untimed tick beside a scan: the scan stands
        return answer("already_checked_in" if req.direction == "entry"
                      else "already_checked_out", duplicate_of=scanned)
    if req.direction == "entry" and state == "in":
        return answer("already_checked_in", duplicate_of=before)
    if req.direction == "exit" and state == "out":
        return answer("already_checked_out", duplicate_of=before)
    if req.direction == "exit" and state == "none":
        return answer("not_checked_in")
    late = activity.status == "finished"
    scan = answer("ok", late=late)
    latest = scan if live else last_ok(signup)
    signup.presence = "in" if latest.direction == "entry" else "out"
    db.session.flush()
    if late:
        events.announce(events.ATTENDANCE_CHANGED, key=signup.id, signup=signup, now=now)
    return scan


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


def self_check_in(activity_id: int, *, user: User, step: str, mac: str, direction: str,
                  now: datetime, seen_at: datetime | None = None, nonce: str | None = None,
                  ip: str | None = None, latitude: float | None = None,
                  longitude: float | None = None) -> Scan | Answer:
    """A volunteer scanned the venue code and confirmed entry or exit.

    `direction` is what the person pressed: a second tap, or a retry of a request
    whose answer was lost, does not turn a check-in into a check-out. The position is
    the browser's WGS-84; the venue is in GCJ-02, so it is converted here, for every
    door. `seen_at` is when a not-yet-logged-in volunteer opened the link; it is what
    the code's freshness is judged by (they may log in first).
    """
    poster = step == "poster"
    if latitude is not None and longitude is not None:
        latitude, longitude = geo.wgs84_to_gcj02(latitude, longitude)
    else:
        latitude = longitude = None
    req = ScanRequest(activity_id=activity_id, direction=direction,
                      source="self_poster" if poster else "self", operator=user,
                      user_id=user.id, ip=ip, latitude=latitude, longitude=longitude,
                      nonce=nonce, device="poster" if poster else None)
    if db.session.get(Activity, activity_id) is None:
        raise NotFound()
    replay = _replayed(req, now)
    if replay is not None:
        return replay
    failure = codes.check_venue(activity_id, step, mac, now=seen_at or now)
    if failure:
        req.code = f"venue:{step}"
        return _record(req, result=failure, now=now, effective=now, user_id=user.id)
    return redeem(req, now=now)


def next_direction(activity_id: int, user: User) -> str:
    """What the self check-in button offers: exit if the person is inside, else entry."""
    live = signup_rules.live_signup(activity_id, user.id)
    return "exit" if live is not None and live.presence == "in" else "entry"
