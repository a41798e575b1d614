"""Read side for scanners: the roster a phone caches, and search by name or phone digits."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.activities.models import Activity, Signup
from server.checkin import codes
from server.checkin.models import PersonalCode, Scan
from server.extensions import db


def offline_roster(activity: Activity) -> list[dict]:
    rows = db.session.execute(
        select(Signup, PersonalCode.token)
        .join(User, Signup.user_id == User.id)
        .outerjoin(PersonalCode, (PersonalCode.user_id == User.id)
                   & PersonalCode.revoked_at.is_(None))
        .where(Signup.activity_id == activity.id,
               Signup.status.in_(("confirmed", "waitlisted")))
        .options(joinedload(Signup.user)).order_by(Signup.queue_no)).all()
    return [{"signup_id": s.id, "user_id": s.user_id, "name": s.user.name,
             "phone": mask_phone(s.user.phone), "status": s.status, "presence": s.presence,
             "code_hash": codes.payload_hash(codes.PERSONAL_PREFIX + token) if token else None}
            for s, token in rows]


def search(activity: Activity, q: str, limit: int = 20) -> list[dict]:
    """By name, or by the last digits of the phone (what people say at the door)."""
    q = q.strip()
    cond = User.name.contains(q, autoescape=True)
    if q.isdigit():
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
