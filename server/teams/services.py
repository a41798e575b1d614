"""Team membership rules: request, answer, remove, leave, leaders, sign-ups (invitations
by phone: teams.invitations).

Every answer locks the membership row (SELECT … FOR UPDATE) and decides on what is
committed now, so two leaders approving one request approve it once. Two first steps
that cross (a leader invites while the person asks to join) meet at the partial unique
index on open memberships: the loser's insert fails, the unit of work runs it again, and
the second look finds the other's row and completes it (an invitation to someone who
asked is an approval; a request from someone invited is an acceptance).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from server.accounts import permissions
from server.accounts.models import User
from server.communities.models import Organisation
from server.core.db import fetch
from server.core.errors import ValidationError, WusheError
from server.extensions import db
from server.notifications.services import notify
from server.teams import errors
from server.teams.models import OPEN_STATES, ROLES, TEAM_KIND, Membership, known_to_team


def get_team(team_id: int) -> Organisation:
    team = db.session.get(Organisation, team_id)
    if team is None or team.kind != TEAM_KIND or not team.active:
        raise errors.TeamNotFound()
    return team


def open_membership(team_id: int, user_id: int) -> Membership | None:
    # as it stands now (a row read earlier in the request keeps its old state and role)
    return db.session.scalar(select(Membership).where(
        Membership.team_id == team_id, Membership.user_id == user_id,
        Membership.state.in_(OPEN_STATES)).execution_options(populate_existing=True))


def is_leader(user: User | None, team: Organisation) -> bool:
    if user is None:
        return False
    found = open_membership(team.id, user.id)
    return found is not None and found.state == "active" and found.role == "leader"


def can_manage(user: User | None, team: Organisation) -> bool:
    """Its leaders, and the staff over the team: its organisers and admins above it."""
    return (is_leader(user, team) or team.id in permissions.organiser_org_ids(user)
            or permissions.is_admin_for(user, team.node))


def _require_manager(user: User, team: Organisation) -> None:
    if not can_manage(user, team):
        raise errors.LeadersOnly()


def get_membership(membership_id: int, *, lock: bool = False,
                   viewer: User | None = None) -> Membership:
    """A membership, as `viewer` may reach it by its id: an invitation not yet answered is
    the invited person's alone. Leaders reach it as the invitation (teams.invitations), so
    its id, made only when the number had an account, tells nobody else anything."""
    m = fetch(Membership, membership_id, errors.MembershipNotFound, lock=lock)
    if viewer is not None and m.state == "invited" and m.user_id != viewer.id:
        raise errors.MembershipNotFound()
    return m


def _leaders(team_id: int) -> list[int]:
    return list(db.session.scalars(select(Membership.user_id).where(
        Membership.team_id == team_id, Membership.state == "active",
        Membership.role == "leader").order_by(Membership.user_id)))


def _facts(team: Organisation, **more) -> dict:
    return {"team_id": team.id, "team": team.name, **more}


def _activate(m: Membership, *, by: User, now: datetime) -> Membership:
    m.state, m.decided_at, m.decided_by_id, m.joined_at = "active", now, by.id, now
    db.session.flush()
    return m


def request_to_join(team: Organisation, *, user: User, now: datetime,
                    message: str | None = None) -> Membership:
    """Ask to join; the leaders are told. Already invited: that is an acceptance."""
    existing = open_membership(team.id, user.id)
    if existing is not None:
        if existing.state == "invited":
            return answer_invitation(existing.id, user=user, accept=True, now=now)
        raise errors.AlreadyMember() if existing.state == "active" else errors.AlreadyPending()
    m = Membership(team_id=team.id, user_id=user.id, state="requested", role="member",
                   origin="request", message=(message or "").strip() or None, created_at=now,
                   created_by_id=user.id)
    db.session.add(m)
    db.session.flush()
    for leader_id in _leaders(team.id):
        notify(leader_id, "team_join_requested", now=now, **_facts(team, name=user.name))
    return m


def answer_invitation(membership_id: int, *, user: User, accept: bool,
                      now: datetime) -> Membership:
    """The invited person accepts or declines; whoever invited them is told."""
    m = get_membership(membership_id, lock=True)
    if m.user_id != user.id:
        raise errors.MembershipNotFound()
    if m.state != "invited":
        raise errors.AlreadyAnswered()
    if accept:
        _activate(m, by=user, now=now)
    else:
        m.state, m.decided_at, m.decided_by_id = "declined", now, user.id
        db.session.flush()
    # a decline names the person as the invitation did: masked, unless the team knew them
    notify(m.created_by_id, "team_invitation_accepted" if accept else "team_invitation_declined",
           now=now, **_facts(m.team, name=m.name_for(m.created_by_id)))
    return m


def answer_request(membership_id: int, *, actor: User, approve: bool,
                   now: datetime) -> Membership:
    """A leader approves or declines a request to join; the person is told."""
    m = get_membership(membership_id, lock=True, viewer=actor)
    _require_manager(actor, m.team)
    if m.state != "requested":
        raise errors.AlreadyAnswered()
    if approve:
        _activate(m, by=actor, now=now)
    else:
        m.state, m.decided_at, m.decided_by_id = "declined", now, actor.id
        db.session.flush()
    notify(m.user_id, "team_request_approved" if approve else "team_request_declined",
           now=now, **_facts(m.team))
    return m


def decline(membership_id: int, *, actor: User, now: datetime) -> Membership:
    """No to an invitation (the invited person) or to a request (a leader)."""
    m = get_membership(membership_id, viewer=actor)
    if m.state == "invited" and m.user_id == actor.id:
        return answer_invitation(m.id, user=actor, accept=False, now=now)
    if m.state == "requested" and m.user_id != actor.id:
        return answer_request(m.id, actor=actor, approve=False, now=now)
    if m.user_id != actor.id and not can_manage(actor, m.team):
        raise errors.MembershipNotFound()
    raise errors.AlreadyAnswered()


def cancel(membership_id: int, *, actor: User, now: datetime) -> Membership:
    """The person takes back their request. (A leader takes back an invitation as the
    invitation: teams.invitations.cancel.)"""
    m = get_membership(membership_id, lock=True, viewer=actor)
    if m.user_id != actor.id:
        raise errors.MembershipNotFound()
    return _cancelled(m, waiting="requested", actor=actor, now=now)


def take_back_invitation(membership_id: int, *, actor: User, now: datetime) -> Membership:
    """The invitation's membership, taken back by a leader (teams.invitations.cancel,
    which has checked the right): refused if the person answered meanwhile."""
    m = get_membership(membership_id, lock=True)
    return _cancelled(m, waiting="invited", actor=actor, now=now)


def _cancelled(m: Membership, *, waiting: str, actor: User, now: datetime) -> Membership:
    if m.state != waiting:
        raise errors.AlreadyAnswered()
    m.state, m.decided_at, m.decided_by_id = "cancelled", now, actor.id
    db.session.flush()
    return m


def _lock_leaders(team_id: int) -> list[Membership]:
    """The active leaders, locked: two leaders stepping down at once see each other's step
    (PostgreSQL re-reads a locked row after waiting for it), so one of them stays."""
    return list(db.session.scalars(select(Membership).where(
        Membership.team_id == team_id, Membership.state == "active",
        Membership.role == "leader").order_by(Membership.id).with_for_update()
        .execution_options(populate_existing=True)))


def _keep_a_leader(m: Membership) -> None:
    if m.role != "leader":
        return
    if [x.id for x in _lock_leaders(m.team_id)] == [m.id]:
        raise errors.LastLeader()


def _end(m: Membership, state: str, *, actor: User, now: datetime,
         reason: str | None = None) -> Membership:
    _keep_a_leader(m)
    db.session.refresh(m, with_for_update=True)
    if m.state != "active":
        raise errors.AlreadyAnswered()
    m.state, m.left_at, m.ended_by_id, m.end_reason = state, now, actor.id, reason
    db.session.flush()
    return m


def remove(membership_id: int, *, actor: User, now: datetime, reason: str) -> Membership:
    """A leader removes a member, with a reason they are told."""
    if not (reason or "").strip():
        raise ValidationError(errors={"reason": ["required"]})
    m = get_membership(membership_id, viewer=actor)
    _require_manager(actor, m.team)
    # again under the leaders' lock, which every end of a leadership takes: two leaders
    # removing each other at once both passed the check above, and the second must find
    # that it is no longer a leader
    _lock_leaders(m.team_id)
    _require_manager(actor, m.team)
    if m.state != "active":
        raise errors.AlreadyAnswered()
    _end(m, "removed", actor=actor, now=now, reason=reason.strip())
    notify(m.user_id, "team_removed", now=now, **_facts(m.team, reason=reason.strip()))
    return m


def leave(membership_id: int, *, user: User, now: datetime) -> Membership:
    """A member leaves. The team keeps the hours they gave while in it."""
    m = get_membership(membership_id)
    if m.user_id != user.id:
        raise errors.MembershipNotFound()
    if m.state != "active":
        raise errors.AlreadyAnswered()
    return _end(m, "left", actor=user, now=now)


def set_role(membership_id: int, *, role: str, actor: User, now: datetime) -> Membership:
    """A leader makes a member a leader, or a leader a member again (never the last)."""
    if role not in ROLES:
        raise ValidationError(errors={"role": ["unknown"]})
    m = get_membership(membership_id, viewer=actor)
    _require_manager(actor, m.team)
    _lock_leaders(m.team_id)  # as remove: the actor's leadership as it stands now
    _require_manager(actor, m.team)
    if m.state != "active":
        raise errors.AlreadyAnswered()
    if role == "member":
        _keep_a_leader(m)
    db.session.refresh(m, with_for_update=True)
    if m.state != "active":
        raise errors.AlreadyAnswered()
    m.role = role
    db.session.flush()
    return m


@dataclass
class SignupResult:
    user_id: int
    name: str
    status: str | None  # confirmed | waitlisted, or None when refused
    code: str | None = None
    message: str | None = None


def sign_up_members(team: Organisation, *, activity_id: int, user_ids: list[int],
                    actor: User, now: datetime) -> list[SignupResult]:
    """A leader signs members up for an activity: each goes through every sign-up rule
    (capacity, waitlist, clashes, age) as if they had tapped it themselves, recorded as
    done by the leader; each is told. One refusal does not stop the others."""
    from server.activities import services as activities
    from server.activities import signups
    _require_manager(actor, team)
    activity = activities.get_activity(activity_id, viewer=actor)
    # the activity, then every person named, in id order (signups.lock_people): each member's
    # sign_up below takes the same locks again, so two leaders signing the same people up for
    # two activities at once, in different orders, wait for each other instead of deadlocking.
    # Taken outside the members' savepoints, which would give them back on a refusal.
    signups.lock_activity(activity.id)
    signups.lock_people(user_ids)
    results = []
    for user_id in dict.fromkeys(user_ids):
        person = db.session.get(User, user_id)
        m = open_membership(team.id, user_id) if person else None
        if person is None or m is None or m.state != "active":
            # named only if the team has known them (a member, or one who asked to join):
            # anyone else is an id, answered as an id that names nobody
            name = person.name if person and known_to_team(team.id, person.id) else ""
            refusal = errors.NotAMember()
            results.append(SignupResult(user_id, name, None, refusal.code, refusal.text()))
            continue
        try:
            with db.session.begin_nested():
                signup = signups.sign_up(activity.id, user=person, now=now, acted_by=actor)
        except WusheError as exc:
            results.append(SignupResult(person.id, person.name, None, exc.code,
                                        errors.about_a_member(exc)))
            continue
        if person.id != actor.id:
            notify(person.id, "team_signed_up", now=now, activity_id=activity.id,
                   status=signup.status, **_facts(team, leader=actor.name, title=activity.title,
                                                  starts_at=activity.starts_at.isoformat()))
        results.append(SignupResult(person.id, person.name, signup.status))
    return results


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: their memberships end (a team they alone lead refuses it, as leaving
    would: LastLeader), invitations and requests are withdrawn."""
    for m in db.session.scalars(select(Membership).where(
            Membership.user_id == user.id, Membership.state.in_(OPEN_STATES))
            .order_by(Membership.id)).all():
        if m.state == "active":
            _end(m, "left", actor=user, now=now, reason="account_deleted")
        else:
            m.state, m.decided_at, m.decided_by_id = "cancelled", now, user.id
    db.session.execute(update(Membership).where(Membership.user_id == user.id)
                       .values(message=None))
    db.session.flush()


def erasure_refusal(user: User) -> Exception | None:
    """A team this person alone leads would be left without a leader (accounts.erasure)."""
    for team_id in db.session.scalars(select(Membership.team_id).where(
            Membership.user_id == user.id, Membership.state == "active",
            Membership.role == "leader")):
        leaders = db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.team_id == team_id, Membership.state == "active",
            Membership.role == "leader"))
        if leaders == 1:
            return errors.LastLeader()
    return None
