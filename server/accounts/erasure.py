"""A person has their account deleted, when they ask (个人信息保护法 Art. 47).

What identifies them goes: name, phone, e-mail, birth date, gender, ID document, skills,
language, and the address and device of every login and consent. The row stays, marked
erased, so the hours, scans and money that refer to it still add up in the statistics and
in the funds' ledgers; nobody can log in as it, find it by a phone number, or send it a
message again. Each domain forgets what it keeps about the person and ends what is still
open (PERSON_ERASED, subscribers in server/domains.py): the QR code stops working, places
in activities still ahead go to the next person waiting (not the place of someone already
inside), team memberships end, roster rows and scans lose what named or located them,
open certificate requests and corrections close, pledges lose the donor's name and phone,
feedback its comment, the person's messages are deleted and others' messages that named
them name nobody. Certificates already issued stay as the organising body signed them.

A sign-up or a pledge racing the erasure gives or keeps nothing: one that waited for the
person's row finds the account closed (activities.signups.lock_people, donations
limits.check_open), and one that held the row while the domains looked makes the erasure
run again (LEFT_OPEN), which then ends that place, or forgets that pledge's name, too.

Refused while the person manages family members (they would be left with nobody), holds a
role (whoever granted it ends it first), or for another domain's reason (VETOES: a team
they alone lead).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select, update

from server.accounts import errors, sessions
from server.accounts.models import Consent, LoginSession, PhoneCode, RoleAssignment, User
from server.core import events
from server.extensions import db

# what an erased person is shown as, wherever a record of theirs still appears
ERASED_NAME = "已注销用户"
# other domains' reasons to refuse (a team the person alone leads), wired in domains.py
VETOES: list[Callable[[User], Exception | None]] = []


# whether a domain still holds something of the person's (a place ahead, a pledge in their
# name) once every domain has let go and their row is locked: only what committed meanwhile
# can (a sign-up or pledge that held the row while the domains looked); the erasure runs again
LEFT_OPEN: list[Callable[[User, datetime], bool]] = []


def add_veto(check: Callable[[User], Exception | None]) -> None:
    if check not in VETOES:
        VETOES.append(check)


def add_left_open(check: Callable[[User, datetime], bool]) -> None:
    if check not in LEFT_OPEN:
        LEFT_OPEN.append(check)


def refusal(user: User) -> Exception | None:
    """Why this account cannot be deleted now, if it cannot: shown on the page before the
    person asks, and checked again under the person's lock when they do."""
    if db.session.scalar(select(User.id).where(User.managed_by_id == user.id,
                                               User.active.is_(True)).limit(1)):
        return errors.ManagesFamily()
    if db.session.scalar(select(RoleAssignment.id).where(
            RoleAssignment.user_id == user.id).limit(1)):
        return errors.HoldsRoles()
    for check in VETOES:
        refused = check(user)
        if refused is not None:
            return refused
    return None


def erase(user: User, *, confirmed: bool, now: datetime) -> None:
    """Delete the person's account at their request (confirmed: they ticked that they
    mean it). The domains first (they lock activities, then people, as sign-ups do), then
    the person's own row."""
    if not confirmed:
        raise errors.ErasureNotConfirmed()
    refused = refusal(user)
    if refused is not None:
        raise refused
    events.announce(events.PERSON_ERASED, user=user, erased_name=ERASED_NAME, now=now)
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user)
    # again, under the lock: a family member added, or a role granted, meanwhile
    refused = refusal(user)
    if refused is not None:
        raise refused
    if any(check(user, now) for check in LEFT_OPEN):
        raise errors.ErasureRaced()
    sessions.end_all(user, now=now)
    db.session.execute(update(LoginSession).where(LoginSession.user_id == user.id)
                       .values(ip=None, user_agent=None))
    # the consents stay, as the record that they were given; not the address
    db.session.execute(update(Consent).where(Consent.user_id == user.id).values(ip=None))
    if user.phone:
        db.session.execute(delete(PhoneCode).where(PhoneCode.phone == user.phone))
    user.name, user.phone, user.email = ERASED_NAME, None, None
    user.gender = user.birth_date = user.guardian_name = user.locale = None
    user.id_type = user.id_number_encrypted = None
    user.skills, user.care_mode, user.active = [], False, False
    user.password_hash = "!"  # no password matches it (imports.services.NO_PASSWORD)
    user.erased_at = now
    db.session.flush()
