"""Reading teams: the list and search, a team's people, its hours, a person's teams.

Team hours, the rule: a team's total is the sum of the approved hours (reversals and
replacements net out, as on a person's own page) that its members earned at activities
which **started while they were active members**: joined_at ≤ activity start, and
before left_at if they left. Hours from before joining or after leaving stay the
person's alone; someone who left and came back counts for each period they were in.
Memberships never overlap (one open row per person and team), so no entry counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.activities.models import Activity
from server.communities.models import Node, Organisation
from server.extensions import db
from server.hours.models import HourEntry, HourReview
from server.teams.models import TEAM_KIND, Membership, note_known_to_team

PAGE_SIZE = 20


def _active_count():
    return (select(func.count()).where(Membership.team_id == Organisation.id,
                                       Membership.state == "active")
            .correlate(Organisation).scalar_subquery())


def teams(*, q: str | None = None, node_id: int | None = None, page: int = 1):
    """Active volunteer teams with their member counts, by name; `q` searches names and
    descriptions, `node_id` keeps the teams of that place and below."""
    query = (select(Organisation, _active_count().label("members"))
             .join(Node, Organisation.node_id == Node.id)
             .where(Organisation.kind == TEAM_KIND, Organisation.active.is_(True)))
    if q:
        words = f"%{q.strip()}%"
        query = query.where(or_(Organisation.name.ilike(words),
                                Organisation.description.ilike(words)))
    if node_id:
        node = db.session.get(Node, node_id)
        query = query.where(Node.path.startswith(node.path, autoescape=True)) if node else \
            query.where(false())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(Organisation.name).limit(PAGE_SIZE)
                              .offset((page - 1) * PAGE_SIZE)).all()
    return {"items": [{"team": t, "members": n} for t, n in rows], "total": total,
            "page": page, "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)}


def _minutes_in_team(team_id: int):
    """(user_id, minutes) of approved hours earned while a member: the rule above."""
    return (select(Membership.user_id, func.sum(HourEntry.minutes).label("minutes"))
            .join(HourEntry, HourEntry.user_id == Membership.user_id)
            .join(HourReview, and_(HourReview.entry_id == HourEntry.id,
                                   HourReview.decision == "approved"))
            .join(Activity, Activity.id == HourEntry.activity_id)
            .where(Membership.team_id == team_id, Membership.joined_at.is_not(None),
                   Activity.starts_at >= Membership.joined_at,
                   or_(Membership.left_at.is_(None), Activity.starts_at < Membership.left_at))
            .group_by(Membership.user_id))


def total_minutes(team_id: int) -> int:
    per = _minutes_in_team(team_id).subquery()
    return int(db.session.scalar(select(func.coalesce(func.sum(per.c.minutes), 0))) or 0)


@dataclass
class MemberRow:
    membership: Membership
    user: User
    minutes: int
    phone_shown: bool = True  # a fellow member does not need it; leaders and staff do


def members(team_id: int) -> list[MemberRow]:
    """The active members, leaders first, each with their hours in the team."""
    per = _minutes_in_team(team_id).subquery()
    rows = db.session.execute(
        select(Membership, User, func.coalesce(per.c.minutes, 0))
        .join(User, User.id == Membership.user_id)
        .outerjoin(per, per.c.user_id == Membership.user_id)
        .where(Membership.team_id == team_id, Membership.state == "active")
        .order_by(case((Membership.role == "leader", 0), else_=1), Membership.joined_at,
                  Membership.id)).all()
    return [MemberRow(m, u, int(minutes)) for m, u, minutes in rows]


def waiting(team_id: int, state: str) -> list[Membership]:
    """Requests (state="requested") or invitations ("invited") waiting, oldest first."""
    rows = list(db.session.scalars(select(Membership).where(
        Membership.team_id == team_id, Membership.state == state)
        .options(joinedload(Membership.user))
        .order_by(Membership.created_at, Membership.id)))
    if state == "invited":  # named masked unless known to the team (Membership.name_for)
        note_known_to_team(rows)
    return rows


def mine(user_id: int) -> dict[str, list[Membership]]:
    """A person's teams now, invitations to answer, requests waiting, and past teams."""
    rows = db.session.scalars(select(Membership).join(
        Organisation, Organisation.id == Membership.team_id)
        .where(Membership.user_id == user_id, Organisation.active.is_(True))
        .order_by(Membership.created_at.desc(), Membership.id.desc())).all()
    return {
        "active": [m for m in rows if m.state == "active"],
        "invited": [m for m in rows if m.state == "invited"],
        "requested": [m for m in rows if m.state == "requested"],
        "past": [m for m in rows if m.state in ("left", "removed")],
    }


@dataclass
class TeamView:
    """A team as this viewer may see it (server.teams.schemas.TeamDetailOut)."""

    team: Organisation
    leaders: list[str]
    member_count: int
    total_minutes: int
    members: list[MemberRow] | None  # None: not shown to this viewer
    my_membership: Membership | None
    can_manage: bool

    @property
    def id(self) -> int:
        return self.team.id

    @property
    def name(self) -> str:
        return self.team.name

    @property
    def description(self) -> str:
        return self.team.description

    @property
    def node_id(self) -> int:
        return self.team.node_id

    @property
    def node_name(self) -> str:
        return self.team.node.name


def team_view(team: Organisation, viewer: User | None) -> TeamView:
    """Everyone sees that the team has leaders (their names masked, 王*: residents who
    never agreed to be named in public), how many members and the total hours; members,
    leaders and staff see the leaders' and members' names and each one's hours; only
    leaders and staff the members' (masked) phones."""
    from server.accounts.privacy import mask_name
    from server.teams import services
    rows = members(team.id)
    mine = services.open_membership(team.id, viewer.id) if viewer else None
    manager = services.can_manage(viewer, team)
    inside = manager or (mine is not None and mine.state == "active")
    if not manager:
        rows = [replace(r, phone_shown=viewer is not None and r.user.id == viewer.id)
                for r in rows]
    leaders = [r.user.name if inside else mask_name(r.user.name) for r in rows
               if r.membership.role == "leader"]
    return TeamView(team=team, leaders=leaders, member_count=len(rows),
                    total_minutes=total_minutes(team.id),
                    members=rows if inside else None, my_membership=mine, can_manage=manager)


def open_activities(*, now, limit: int = 50) -> list[Activity]:
    """Published activities still taking sign-ups, soonest first: what a leader can sign
    members up for (the sign-up rules still decide each person)."""
    return list(db.session.scalars(select(Activity).where(
        Activity.status == "published", Activity.starts_at > now,
        or_(Activity.signup_closes_at.is_(None), Activity.signup_closes_at > now))
        .order_by(Activity.starts_at, Activity.id).limit(limit)))


def membership_rows(user: User) -> list[dict]:
    """The person's team memberships, past ones too (server.core.personal_data)."""
    from server.core.personal_data import when
    rows = db.session.execute(
        select(Membership, Organisation.name)
        .join(Organisation, Membership.team_id == Organisation.id)
        .where(Membership.user_id == user.id).order_by(Membership.id)).all()
    return [{"team": name, "state": m.state, "role": m.role, "joined_at": when(m.joined_at),
             "left_at": when(m.left_at), "message": m.message}
            for m, name in rows]
