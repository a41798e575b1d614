"""Invitations by phone, answered the same whether or not the number has an account.

A leader types a number. Telling them "no such user", or naming the owner (王*), would
let any leader find out who is on the platform, one number at a time (account
enumeration): the invitation is recorded and the answer is the same in every case, a
row in the list of invitations out (a masked number, no name) until it is answered.

The answer must not take longer either. So the leader's request does the same work
whatever the number: it records the Invitation row, nothing else, and asks for its
delivery after the response has gone out (server.core.outbox, `after_response`), in a
unit of work of its own with the leader and the moment passed in (`deliver`). There:

- a number with an account and no open membership: the invitation reaches them (a
  Membership the person sees in their teams and messages, accepted or declined by them);
- a number without an account: the invitation waits, and becomes that Membership when
  someone registers with the number (PHONE_CLAIMED, on_phone_claimed);
- a number already invited, waiting: the same invitation again, nothing sent twice;
- a person who asked to join: an approval, as before (they showed themselves to the team);
- a member already: an invitation that waits, as one to a number nobody has, until the
  leader takes it back (the list must not tell a member's number from a stranger's).

A delivery that did not happen (the worker stopped after answering, the database was
away) is made by the scheduler (`undelivered_ids`, the job team_invitations). Every path
takes the invitation's row lock first and looks again, and the partial unique index on
open memberships stands behind them: a delivery, a leader taking the invitation back and
the person registering or asking to join at the same moment leave one membership.

Only the invitee's own answer (accept, decline) shows who they are. The rate limit
(teams.throttle) stays: it bounds the invitations a leader can send at all.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.accounts.services import normalise_phone
from server.communities.models import Organisation
from server.core import outbox
from server.core.db import fetch, hold
from server.core.http import is_transient
from server.extensions import db
from server.notifications.services import notify
from server.teams import errors, services
from server.teams.models import OPEN_STATES, Invitation, Membership

log = logging.getLogger(__name__)
# the scheduler leaves a fresh invitation to the delivery its request asked for
DELIVERY_GRACE = timedelta(minutes=2)
_LOCK_NUMBER = 0x57535401  # advisory locks of numbers invitations wait for (PostgreSQL)


def _hold_number(phone: str) -> None:
    """One delivery or claim of a number's invitations at a time, until the transaction
    ends. A delivery looks for the account, a registration for the invitations: each
    reads only what is committed, so without this a number registered while the delivery
    of an invitation to it ran could be missed by both (the registration looked before the
    invitation was committed, the delivery before the account was). Taken before any
    invitation's row lock, by both, so they never wait for each other in a circle."""
    hold(_LOCK_NUMBER, phone)


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
    """A leader invites a number: recorded, and answered alike whoever has it.

    The same statements whatever the number (tests/teams/test_invitation_alike.py): the
    account behind it is not even looked up here, but once the answer has gone (`deliver`)."""
    services._require_manager(actor, team)
    phone = normalise_phone(phone)
    invitation = db.session.scalar(_waiting_query(team.id).where(Invitation.phone == phone)
                                   .order_by(Invitation.id).limit(1))
    if invitation is None:
        invitation = Invitation(team_id=team.id, phone=phone, phone_masked=mask_phone(phone),
                                created_at=now, created_by_id=actor.id)
        db.session.add(invitation)
    db.session.flush()
    # asked again too: an invitation that waited (a member then, who has left since)
    # reaches the person now
    outbox.later("team_invitation", invitation.id, actor_id=actor.id, now=now)
    return invitation


def deliver(invitation_id: int, *, actor: User, now: datetime) -> Membership | None:
    """An invitation reaches the account its number belongs to now, if any (the rules
    above); None when it waits. Under the invitation's row lock, looked at afresh: taken
    back, delivered already (another delivery, the person registering: PHONE_CLAIMED) or
    the team closed, it does nothing."""
    phone = db.session.scalar(select(Invitation.phone).where(Invitation.id == invitation_id))
    if phone is None:
        return None  # gone, or over for a number nobody had (its phone is cleared)
    _hold_number(phone)
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id).with_for_update()
        .execution_options(populate_existing=True))
    if (invitation is None or invitation.phone != phone or invitation.cancelled_at is not None
            or invitation.membership_id is not None or not invitation.team.active):
        return None
    person = db.session.scalar(select(User).where(User.phone == invitation.phone))
    if person is None or not person.active:
        return None
    m = _invite_person(invitation.team, person, actor=actor, now=now)
    invitation.membership_id = m.id if m is not None else None
    db.session.flush()
    return m


@outbox.handler("team_invitation", after_response=True)
def deliver_after_commit(invitation_id: int, *, actor_id: int, now: datetime) -> None:
    """`deliver` as its own unit of work, once the leader's answer has gone out (so how
    long it takes tells the leader nothing). A transient failure (a request to join, or a
    registration, crossing it at the unique index) runs it again; past the retries the
    scheduler delivers it."""
    retries = current_app.config["TRANSIENT_RETRIES"]
    for attempt in range(retries + 1):
        try:
            deliver(invitation_id, actor=db.session.get(User, actor_id), now=now)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            outbox.discard()
            if not is_transient(exc) or attempt == retries:
                raise
            log.warning("invitation %s: transient failure, again (%s)", invitation_id,
                        str(getattr(exc, "orig", exc)).splitlines()[0])
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
            continue
        outbox.run()  # the notification's pushes, after this commit
        return


def undelivered_ids(*, now: datetime) -> list[int]:
    """Invitations whose delivery did not happen: waiting for no account, but the number
    has an active account with no open membership in the team, and that has not been in
    the team nor had an answer from it since the invitation was sent (a member who left
    since is reached when a leader invites them again, as before). Oldest first."""
    since = and_(Membership.team_id == Invitation.team_id, Membership.user_id == User.id,
                 or_(Membership.state.in_(OPEN_STATES),
                     func.coalesce(Membership.left_at, Membership.decided_at)
                     >= Invitation.created_at))
    return list(db.session.scalars(
        select(Invitation.id).join(User, User.phone == Invitation.phone)
        .join(Organisation, Organisation.id == Invitation.team_id)
        .where(Invitation.membership_id.is_(None), Invitation.cancelled_at.is_(None),
               Invitation.created_at <= now - DELIVERY_GRACE, User.active.is_(True),
               Organisation.active.is_(True), ~exists().where(since))
        .order_by(Invitation.id)))


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
    _hold_number(user.phone)
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
