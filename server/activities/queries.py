"""Read-side queries: the public list, "my activities" and the roster."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.activities.models import LIVE_SIGNUP, Activity, Signup
from server.activities.services import PUBLIC_STATUSES
from server.communities.models import Node
from server.core.clock import from_local
from server.extensions import db

PAGE_SIZE = 20


@dataclass
class ActivityFilter:
    node_id: int | None = None
    kind: str | None = None
    day: date | None = None
    q: str | None = None
    include_past: bool = False
    page: int = 1


@dataclass
class Page:
    items: list
    total: int
    page: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max((self.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def public_activities(flt: ActivityFilter, *, now: datetime) -> Page:
    """Published (and recently cancelled/finished) activities, soonest first."""
    query = select(Activity).where(Activity.status.in_(PUBLIC_STATUSES),
                                   Activity.published_at.is_not(None))
    if flt.node_id:
        node = db.session.get(Node, flt.node_id)
        path = node.path if node else "/nonexistent/"
        query = query.join(Node, Activity.node_id == Node.id).where(
            Node.path.startswith(path, autoescape=True))
    if flt.kind:
        query = query.where(Activity.kind == flt.kind)
    if flt.day:
        start = from_local(datetime.combine(flt.day, time.min))
        query = query.where(Activity.starts_at >= start,
                            Activity.starts_at < start + timedelta(days=1))
    elif not flt.include_past:
        query = query.where(Activity.ends_at >= now, Activity.status == "published")
    if flt.q:
        like = f"%{flt.q.strip()}%"
        query = query.where(or_(Activity.title.ilike(like), Activity.place.ilike(like)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(flt.page, 1)
    items = db.session.scalars(
        query.options(joinedload(Activity.organisation), joinedload(Activity.node))
        .order_by(Activity.starts_at, Activity.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).unique().all()
    return Page(items=list(items), total=total, page=page)


@dataclass
class MyActivities:
    upcoming: list[Signup]
    waitlisted: list[tuple[Signup, int]]
    past: list[Signup]


def my_activities(user: User, *, now: datetime) -> MyActivities:
    from server.activities.signups import waitlist_position
    # one's own sign-ups and those of the family members one manages (accounts.family)
    members = select(User.id).where(User.managed_by_id == user.id).scalar_subquery()
    rows = db.session.scalars(
        select(Signup).join(Activity, Signup.activity_id == Activity.id)
        .where(or_(Signup.user_id == user.id, Signup.user_id.in_(members)),
               Signup.status.in_((*LIVE_SIGNUP, "cancelled")))
        .options(joinedload(Signup.activity), joinedload(Signup.user))
        .order_by(Activity.starts_at, Signup.id)).all()
    upcoming, waitlisted, past = [], [], []
    for s in rows:
        ended = s.activity.ends_at < now or s.activity.status in ("finished", "cancelled")
        if s.status == "cancelled" or ended:
            past.append(s)
        elif s.status == "waitlisted":
            waitlisted.append((s, waitlist_position(s)))
        else:
            upcoming.append(s)
    past.reverse()
    return MyActivities(upcoming=upcoming, waitlisted=waitlisted, past=past)


def roster(activity: Activity, *, include_ended: bool = False) -> list[Signup]:
    statuses = LIVE_SIGNUP + (("withdrawn", "cancelled") if include_ended else ())
    return list(db.session.scalars(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status.in_(statuses))
        .options(joinedload(Signup.user), joinedload(Signup.acted_by))
        .order_by(Signup.status, Signup.queue_no)))
