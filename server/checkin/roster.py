"""Read side for scanners: the roster a phone caches, and search by name or phone digits.

A phone refreshes its roster every two minutes; at 5,000 people the whole list each time
is most of the traffic. So the answer carries a cursor (the time it was read), and the
next fetch names it: only the sign-ups changed since come back (every sign-up row carries
`changed_at`, set on each insert and update), with the ids of those that left the list
(withdrawn, cancelled). A new personal code changes its owner's row too. A change is
stamped when its request began and may commit a little after a read: a delta goes back
GRACE before the cursor, more than any request may take, so such a change comes in the
next delta (some rows twice: the phone's merge is idempotent). No cursor, or one older
than MAX_AGE or from the future, gets the whole list.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.activities.models import Activity, Signup
from server.checkin import codes
from server.checkin.models import PersonalCode, Scan
from server.core.numbers import only_ascii_digits, typed
from server.extensions import db

ON_ROSTER = ("confirmed", "waitlisted")
GRACE = timedelta(minutes=2)
MAX_AGE = timedelta(hours=12)


def cursor_of(moment: datetime) -> int:
    """A cursor is the read's time in milliseconds since 1970 (UTC)."""
    return int(moment.timestamp() * 1000)


def _since(cursor: int | None, now: datetime) -> datetime | None:
    if cursor is None:
        return None
    since = datetime.fromtimestamp(cursor / 1000, UTC)
    return since if now - MAX_AGE <= since <= now + GRACE else None


def offline_roster(activity: Activity, *, since: int | None = None,
                   now: datetime) -> dict:
    """{"roster", "removed", "full", "cursor"}: every row on the list, or (with a recent
    cursor) the rows changed since it and the sign-up ids that left the list. One query,
    columns only."""
    changed_after = _since(since, now)
    query = (select(Signup.id, Signup.user_id, Signup.status, Signup.presence, User.name,
                    User.phone, PersonalCode.token)
             .join(User, Signup.user_id == User.id)
             .outerjoin(PersonalCode, (PersonalCode.user_id == User.id)
                        & PersonalCode.revoked_at.is_(None))
             .where(Signup.activity_id == activity.id).order_by(Signup.queue_no))
    if changed_after is None:
        query = query.where(Signup.status.in_(ON_ROSTER))
    else:
        after = changed_after - GRACE
        query = query.where(or_(Signup.changed_at > after, PersonalCode.created_at > after))
    roster, removed = [], []
    for signup_id, user_id, status, presence, name, phone, token in db.session.execute(query):
        if status not in ON_ROSTER:
            removed.append(signup_id)
            continue
        roster.append({
            "signup_id": signup_id, "user_id": user_id, "name": name,
            "phone": mask_phone(phone), "status": status, "presence": presence,
            "code_hash": codes.payload_hash(codes.PERSONAL_PREFIX + token) if token else None})
    return {"roster": roster, "removed": removed, "full": changed_after is None,
            "cursor": cursor_of(now)}


def search(activity: Activity, q: str, limit: int = 20) -> list[dict]:
    """By name, or by the last digits of the phone (what people say at the door)."""
    q = typed(q)  # full-width digits from a Chinese keyboard are the phone's digits
    cond = User.name.contains(q, autoescape=True)
    if only_ascii_digits(q):
        cond = or_(cond, User.phone.endswith(q, autoescape=True))
    rows = db.session.scalars(
        select(Signup).join(User, Signup.user_id == User.id)
        .where(Signup.activity_id == activity.id,
               Signup.status.in_(("confirmed", "waitlisted")), cond)
        .options(joinedload(Signup.user)).order_by(User.name).limit(limit)).all()
    return [{"signup_id": s.id, "user_id": s.user_id, "name": s.user.name,
             "phone": mask_phone(s.user.phone), "status": s.status, "presence": s.presence,
             "code_hash": None} for s in rows]


def scan_log(activity: Activity, *, result: str | None = None, limit: int = 200) -> list[Scan]:
    """Newest first; duplicates (two offline phones, double taps) carry duplicate_of_id."""
    query = select(Scan).where(Scan.activity_id == activity.id)
    if result:
        query = query.where(Scan.result == result)
    return list(db.session.scalars(query.options(joinedload(Scan.user),
                                                 joinedload(Scan.operator))
                                   .order_by(Scan.id.desc()).limit(limit)))
