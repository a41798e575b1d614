"""The public activity list: words, filter chips (kind, date, near me, open places,
suits my skills) and sort order. The page and /api/v1/activities both call
public_activities(); the statements it runs do not grow with the rows (joined loads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, and_, cast, func, not_, or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import SKILLS, User
from server.activities import errors
from server.activities.models import Activity, Programme
from server.activities.services import PUBLIC_STATUSES
from server.activities.signups import open_for_signup
from server.communities.models import Node, Organisation
from server.core.boundary import BAD_CHARS
from server.core.clock import from_local, local
from server.extensions import db

PAGE_SIZE = 20
MAX_QUERY = 60  # characters of search text; longer is refused at the boundary (schemas)
WHENS = ("today", "weekend", "week", "month")
NEARS = ("community", "street")
SORTS = ("soon", "new", "places")


@dataclass
class ActivityFilter:
    node_id: int | None = None
    kind: str | None = None
    day: date | None = None
    when: str | None = None
    near: str | None = None
    open: bool = False
    skills: bool = False
    q: str | None = None
    sort: str = "soon"
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


def words(q: str | None) -> list[str]:
    """The search words: split on any space (full-width 　 too), each once. Control
    characters are refused at the boundary; here they only separate, so a caller inside
    the server cannot reach the database with a NUL."""
    seen: list[str] = []
    for word in BAD_CHARS.sub(" ", q or "")[:MAX_QUERY].split():
        if word.casefold() not in (w.casefold() for w in seen):
            seen.append(word)
    return seen


def _matches(word: str):
    """One word, in the title, place, description, organisation or programme name."""
    return or_(Activity.title.icontains(word, autoescape=True),
               Activity.place.icontains(word, autoescape=True),
               Activity.description.icontains(word, autoescape=True),
               Activity.organisation.has(Organisation.name.icontains(word, autoescape=True)),
               Activity.programme.has(Programme.name.icontains(word, autoescape=True)))


def days_of(when: str, today: date) -> tuple[date, date]:
    """[first, after) of 今天 / 本周末 / 本周 / 本月, from today on (Beijing days)."""
    if when == "today":
        return today, today + timedelta(days=1)
    monday_after = today + timedelta(days=7 - today.weekday())
    if when == "weekend":
        return max(today, monday_after - timedelta(days=2)), monday_after
    if when == "week":
        return today, monday_after
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return today, first_next


def _starts_between(first: date, after: date):
    return and_(Activity.starts_at >= from_local(datetime.combine(first, time.min)),
                Activity.starts_at < from_local(datetime.combine(after, time.min)))


def _subtree(node: Node | None):
    path = node.path if node else "/nonexistent/"
    return Activity.node.has(Node.path.startswith(path, autoescape=True))


def _near(flt: ActivityFilter, viewer: User | None):
    if viewer is None:
        raise errors.SearchNeedsLogin(errors={"near": [str(errors.SearchNeedsLogin.message)]})
    home = viewer.home_node
    if home is None:
        raise errors.NoHomeCommunity()
    return _subtree(home.parent if flt.near == "street" and home.parent else home)


def _suits(viewer: User | None):
    """required_skills empty or within the person's skills: no skill they lack is asked.
    The list is JSON text on both databases, so each missing skill is a quoted match."""
    if viewer is None:
        raise errors.SearchNeedsLogin(errors={"skills": [str(errors.SearchNeedsLogin.message)]})
    lacking = [s for s in SKILLS if s not in (viewer.skills or [])]
    as_text = func.coalesce(cast(Activity.required_skills, String), "")
    return and_(*(not_(as_text.contains(f'"{s}"', autoescape=True)) for s in lacking))


ORDERS = {
    "soon": (Activity.starts_at, Activity.id),
    "new": (Activity.published_at.desc(), Activity.id.desc()),
    "places": ((Activity.capacity - Activity.confirmed_count).desc(), Activity.starts_at,
               Activity.id),
}


def conditions(flt: ActivityFilter, *, now: datetime, viewer: User | None = None) -> list:
    """The WHERE of the public list for these filters."""
    where = [Activity.status.in_(PUBLIC_STATUSES), Activity.published_at.is_not(None)]
    if flt.node_id:
        where.append(_subtree(db.session.get(Node, flt.node_id)))
    if flt.near:
        where.append(_near(flt, viewer))
    if flt.kind:
        where.append(Activity.kind == flt.kind)
    if flt.day:
        where.append(_starts_between(flt.day, flt.day + timedelta(days=1)))
    elif not flt.include_past:
        where += [Activity.ends_at >= now, Activity.status == "published"]
    if flt.when:
        where.append(_starts_between(*days_of(flt.when, local(now).date())))
    if flt.open:
        where += [open_for_signup(now), Activity.confirmed_count < Activity.capacity]
    if flt.skills:
        where.append(_suits(viewer))
    where += [_matches(w) for w in words(flt.q)]
    return where


def public_activities(flt: ActivityFilter, *, now: datetime,
                      viewer: User | None = None) -> Page:
    """Published (and recently cancelled/finished) activities, soonest first unless
    another order is asked for; two statements whatever the number of rows."""
    query = select(Activity).where(*conditions(flt, now=now, viewer=viewer))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(flt.page, 1)
    items = db.session.scalars(
        query.options(joinedload(Activity.organisation), joinedload(Activity.node),
                      joinedload(Activity.programme))
        .order_by(*ORDERS.get(flt.sort, ORDERS["soon"]))
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).unique().all()
    return Page(items=list(items), total=total, page=page)
