"""Invitations by phone, answered the same whether or not the number has an account.

A leader types a number. Telling them "no such user", or naming the owner (王*), would
let any leader find out who is on the platform, one number at a time (account
enumeration): the invitation is recorded and the answer is the same in every case, a
row in the list of invitations out (a masked number, no name) until it is answered.

- a number with an account and no open membership: invited at once (a Membership the
  person sees in their teams and messages, accepted or declined by them);
- a number without an account: the invitation waits, and becomes that Membership when
  someone registers with the number (PHONE_CLAIMED, on_phone_claimed);
- a number already invited, waiting: the same invitation again, nothing sent twice;
- a person who asked to join: an approval, as before (they showed themselves to the team);
- a member already: an invitation that waits, as one to a number nobody has, until the
  leader takes it back (the list must not tell a member's number from a stranger's).

Only the invitee's own answer (accept, decline) shows who they are. The rate limit
(teams.throttle) stays: it bounds the invitations a leader can send at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.accounts.services import normalise_phone
from server.communities.models import Organisation
from server.core.db import fetch
from server.extensions import db
from server.notifications.services import notify
from server.teams import errors, services
from server.teams.models import Invitation, Membership


def _waiting_query(team_id: int):
    return (select(Invitation).outerjoin(Membership, Invitation.membership_id == Membership.id)
            .where(Invitation.team_id == team_id, Invitation.cancelled_at.is_(None),
                   or_(Invitation.membership_id.is_(None), Membership.state == "invited")))


def waiting(team_id: int) -> list[Invitation]:
    """The team's invitations not yet answered, oldest first: one statement, whoever
    they went to."""
    return list(db.session.scalars(
        _waiting_query(team_id).options(joinedload(Invitation.created_by),
                                        joinedload(Invitation.membership))
        .order_by(Invitation.created_at, Invitation.id)))


def _tell(m: Membership, *, leader: User, now: datetime) -> None:
    notify(m.user_id, "team_invited", now=now, team_id=m.team_id, team=m.team.name,
           leader=leader.name, membership_id=m.id)


def _invite_person(team: Organisation, person: User, *, actor: User,
                   now: datetime) -> Membership | None:
    """The Membership the invitation stands for, or None when it waits (a member)."""
    existing = services.open_membership(team.id, person.id)
    if existing is None:
        m = Membership(team_id=team.id, user_id=person.id, state="invited", role="member",
                       origin="invitation", created_at=now, created_by_id=actor.id)
        db.session.add(m)
        db.session.flush()
        _tell(m, leader=actor, now=now)
        return m
    if existing.state == "requested":
        return services.answer_request(existing.id, actor=actor, approve=True, now=now)
    if existing.state == "invited":  # invited before this table kept invitations
        return existing
    return None


def invite(team: Organisation, *, phone: str, actor: User, now: datetime) -> Invitation:
    """A leader invites a number: recorded, and answered alike whoever has it."""
    services._require_manager(actor, team)
    phone = normalise_phone(phone)
    invitation = db.session.scalar(_waiting_query(team.id).where(Invitation.phone == phone)
                                   .order_by(Invitation.id).limit(1))
    if invitation is None:
        invitation = Invitation(team_id=team.id, phone=phone, phone_masked=mask_phone(phone),
                                created_at=now, created_by_id=actor.id)
        db.session.add(invitation)
    person = db.session.scalar(select(User).where(User.phone == phone))
    # the same number again: an invitation that waited (a member then, who has left since)
    # reaches the person now
    if invitation.membership_id is None and person is not None and person.active:
        m = _invite_person(team, person, actor=actor, now=now)
        invitation.membership_id = m.id if m is not None else None
    db.session.flush()
    return invitation


def get_invitation(invitation_id: int, *, lock: bool = False) -> Invitation:
    return fetch(Invitation, invitation_id, errors.InvitationNotFound, lock=lock)


def cancel(invitation_id: int, *, actor: User, now: datetime) -> Invitation:
    """A leader takes back an invitation not yet answered (and its Membership, if it
    reached someone)."""
    invitation = get_invitation(invitation_id, lock=True)
    if not services.can_manage(actor, invitation.team):
        raise errors.InvitationNotFound()
    if invitation.cancelled_at is not None:
        raise errors.AlreadyAnswered()
    if invitation.membership_id is not None:
        # under the membership's lock: refused if the person answered meanwhile
        services.take_back_invitation(invitation.membership_id, actor=actor, now=now)
    else:
        invitation.phone = None  # nobody's number that we need to keep
    invitation.cancelled_at, invitation.cancelled_by_id = now, actor.id
    db.session.flush()
    return invitation


def on_phone_claimed(*, user: User, now: datetime, **_) -> None:
    """PHONE_CLAIMED: someone registered with (or took over) a number invitations wait
    for. Each becomes an invitation to them, from whoever sent it, in their messages."""
    if not user.phone:
        return
    found = db.session.scalars(
        select(Invitation).join(Organisation, Organisation.id == Invitation.team_id)
        .where(Invitation.phone == user.phone, Invitation.membership_id.is_(None),
               Invitation.cancelled_at.is_(None), Organisation.active.is_(True))
        .order_by(Invitation.id).with_for_update(of=Invitation)).all()
    for invitation in found:
        if services.open_membership(invitation.team_id, user.id) is not None:
            continue
        m = Membership(team_id=invitation.team_id, user_id=user.id, state="invited",
                       role="member", origin="invitation", created_at=now,
                       created_by_id=invitation.created_by_id)
        db.session.add(m)
        db.session.flush()
        invitation.membership_id = m.id
        _tell(m, leader=invitation.created_by, now=now)
    db.session.flush()


def on_phones_claimed(*, phones: list[str], now: datetime, **_) -> None:
    """PHONES_CLAIMED: accounts made in bulk (a roster import). One look for invitations
    waiting for any of the numbers; each number that has some is claimed as above."""
    if not phones:
        return
    waited_for = set(db.session.scalars(select(Invitation.phone).where(
        Invitation.phone.in_(phones), Invitation.membership_id.is_(None),
        Invitation.cancelled_at.is_(None))))
    if not waited_for:
        return
    for user in db.session.scalars(select(User).where(User.phone.in_(sorted(waited_for)))
                                   .order_by(User.id)):
        on_phone_claimed(user=user, now=now)


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: the number goes from the invitations it was typed into; one still
    waiting ends (their memberships end with the others, teams.services.on_person_erased)."""
    if not user.phone:
        return
    for invitation in db.session.scalars(select(Invitation).where(
            Invitation.phone == user.phone)):
        invitation.phone = None
        if invitation.membership_id is None and invitation.cancelled_at is None:
            invitation.cancelled_at, invitation.cancelled_by_id = now, user.id
    db.session.flush()
