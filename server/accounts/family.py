"""Family members without a phone (a child, an older parent) and residents a community worker
registers on their behalf. Services flush, never commit.

A family member is an account of its own (its sign-ups, code, scans and hours are its own)
with no phone and no password, so it can never log in: `managed_by` acts for it, and every
such action records who acted (Signup.acted_by, Consent.recorded_by, User.registered_by).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.accounts import errors, permissions
from server.accounts.models import RELATIONS, Consent, User
from server.accounts.services import (
    age_on,
    check_fields,
    check_home_node,
    check_name,
    normalise_phone,
)
from server.communities.models import Node
from server.core import events
from server.core.clock import local
from server.extensions import db

# an account without a password: nobody logs in with it (server/imports uses the same)
NO_PASSWORD = "!"
STAFF_ROLES = ("organiser", "coordinator", "admin")


def members_of(user: User) -> list[User]:
    """The family members this person manages, in the order they were added."""
    if user is None or user.id is None:
        return []
    return list(db.session.scalars(
        select(User).where(User.managed_by_id == user.id, User.active.is_(True))
        .order_by(User.id)))


def get_member(guardian: User, member_id: int) -> User:
    """One of the guardian's own family members; anyone else is "not found"."""
    member = db.session.get(User, member_id)
    if (member is None or guardian is None or member.managed_by_id != guardian.id
            or not member.active):
        raise errors.MemberNotFound()
    return member


def acting_for(user: User, member_id: int | None) -> User:
    """Who an action is for: oneself (no member id, or one's own id) or one's member."""
    if member_id is None or member_id == user.id:
        return user
    return get_member(user, member_id)


def is_minor(birth_date: date | None, *, now: datetime) -> bool:
    return (birth_date is not None and age_on(birth_date, local(now).date())
            < current_app.config["GUARDIAN_CONSENT_AGE"])


def _check_birth_date(birth_date: date | None, now: datetime) -> None:
    if birth_date is not None and birth_date > local(now).date():
        raise errors.BirthDateInFuture()


def add_member(guardian: User, *, name: str, relation: str, birth_date: date | None,
               now: datetime, consent: bool, gender: str | None = None,
               home_node_id: int | None = None, ip: str | None = None) -> User:
    """Add a family member without a phone. A child under GUARDIAN_CONSENT_AGE needs the
    guardian's consent (a "guardian" consent in the guardian's name); an adult's agreement
    is confirmed by the guardian, who is recorded as having recorded it."""
    if guardian.managed_by_id is not None:
        raise errors.ManagedCannotManage()
    name = check_name(name)
    if relation not in RELATIONS:
        raise errors.UnknownRelation()
    _check_birth_date(birth_date, now)
    check_home_node(home_node_id)
    minor = is_minor(birth_date, now=now)
    if not consent:
        raise errors.MemberGuardianRequired() if minor else errors.MemberConsentRequired()
    # the guardian's row serialises two additions at once, so the limit holds
    db.session.execute(select(User.id).where(User.id == guardian.id)
                       .with_for_update(key_share=True))
    limit = current_app.config["FAMILY_MEMBERS_MAX"]
    count = db.session.scalar(select(func.count()).where(User.managed_by_id == guardian.id,
                                                         User.active.is_(True)))
    if count >= limit:
        raise errors.TooManyMembers(max=limit)
    member = User(phone=None, password_hash=NO_PASSWORD, name=name, gender=gender,
                  birth_date=birth_date, home_node_id=home_node_id or guardian.home_node_id,
                  skills=[], guardian_name=guardian.name if minor else None,
                  created_at=now, registered_by_id=guardian.id, managed_by_id=guardian.id,
                  relation=relation, locale=guardian.locale)
    db.session.add(member)
    db.session.flush()
    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    db.session.add(Consent(user_id=member.id, kind="privacy", notice_version=version,
                           accepted_at=now, ip=ip, recorded_by_id=guardian.id))
    if minor:
        db.session.add(Consent(user_id=member.id, kind="guardian", notice_version=version,
                               accepted_at=now, guardian_name=guardian.name, ip=ip,
                               recorded_by_id=guardian.id))
    db.session.flush()
    return member


def update_member(guardian: User, member: User, *, name: str, relation: str,
                  birth_date: date | None, now: datetime, consent: bool = False,
                  gender: str | None = None, home_node_id: int | None = None,
                  ip: str | None = None) -> User:
    """Correct a member's details. A birth date that makes them a child under
    GUARDIAN_CONSENT_AGE needs the guardian's consent on file: given now if it is not."""
    if member.managed_by_id != guardian.id or not member.active:
        raise errors.MemberNotFound()
    name = check_name(name)
    if relation not in RELATIONS:
        raise errors.UnknownRelation()
    _check_birth_date(birth_date, now)
    check_home_node(home_node_id)
    minor = is_minor(birth_date, now=now)
    has_guardian_consent = db.session.scalar(select(Consent.id).where(
        Consent.user_id == member.id, Consent.kind == "guardian").limit(1)) is not None
    if minor and not has_guardian_consent:
        if not consent:
            raise errors.MemberGuardianRequired()
        db.session.add(Consent(user_id=member.id, kind="guardian", guardian_name=guardian.name,
                               notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                               accepted_at=now, ip=ip, recorded_by_id=guardian.id))
    member.name, member.relation, member.birth_date, member.gender = (
        name, relation, birth_date, gender)
    member.home_node_id = home_node_id or member.home_node_id or guardian.home_node_id
    member.guardian_name = guardian.name if minor else None
    db.session.flush()
    return member


def remove_member(guardian: User, member: User, *, now: datetime) -> User:
    """Take a member off one's list. Nothing is deleted: their sign-ups, scans, hours and
    certificates stay theirs (and the organisers' records stay whole); the account is made
    inactive, so it is no longer listed, shown a code, signed up or told anything. A member
    still holding a place (or a waitlist spot) in an activity to come is refused: give it
    back first, so the place goes to the next person."""
    from server.activities.models import LIVE_SIGNUP, Activity, Signup
    if member.managed_by_id != guardian.id or not member.active:
        raise errors.MemberNotFound()
    live = db.session.scalar(
        select(Activity.title).join(Signup, Signup.activity_id == Activity.id)
        .where(Signup.user_id == member.id, Signup.status.in_(LIVE_SIGNUP),
               Activity.status == "published", Activity.ends_at > now).limit(1))
    if live is not None:
        raise errors.MemberHasSignups(name=member.name, title=live)
    member.active = False
    db.session.flush()
    return member


def ask_handover(guardian: User, member: User, *, phone: str, ip: str | None,
                 now: datetime):
    """A member gets their own phone: send a code to it (the member reads it out to the
    guardian, or types it themself), as registration proves a number is one's own."""
    from server.accounts import phone_codes
    if member.managed_by_id != guardian.id or not member.active:
        raise errors.MemberNotFound()
    phone = normalise_phone(phone)
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise errors.PhoneTaken()
    return phone_codes.request_code(phone=phone, purpose="handover", ip=ip, now=now,
                                    for_user=member)


def hand_over(guardian: User, member: User, *, phone: str, code: str, now: datetime) -> User:
    """With the code sent to their phone, the member becomes a person of their own: the
    number is theirs, they log in with an SMS code (and may set a password), and nobody
    manages them any more. Their sign-ups, hours and consents stay theirs."""
    from server.accounts import phone_codes
    if member.managed_by_id != guardian.id or not member.active:
        raise errors.MemberNotFound()
    phone = normalise_phone(phone)
    if phone_codes.verify_handover(phone=phone, code=code, now=now).id != member.id:
        raise errors.WrongCode()
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise errors.PhoneTaken()
    try:
        with db.session.begin_nested():  # the number registered meanwhile by someone
            member.phone, member.managed_by_id, member.relation = phone, None, None
    except IntegrityError:
        raise errors.PhoneTaken() from None
    events.announce(events.PHONE_CLAIMED, user=member, now=now)
    return member


def consents_of(user: User) -> list[Consent]:
    return list(db.session.scalars(select(Consent).where(Consent.user_id == user.id)
                                   .order_by(Consent.id)))


# --- residents registered by a community worker ---------------------------------------------

def worker_places(worker: User) -> list[Node]:
    """The communities a worker may register residents in: their subtrees."""
    paths = permissions.scope_paths(worker, *STAFF_ROLES)
    if not paths:
        return []
    return list(db.session.scalars(select(Node).where(permissions.under(Node.path, paths))
                                   .order_by(Node.path)))


def register_resident(worker: User, *, name: str, phone: str, home_node_id: int | None,
                      now: datetime, consent: bool, birth_date: date | None = None,
                      gender: str | None = None, ip: str | None = None) -> User:
    """A community worker registers a resident who agreed on paper or in person: no
    password (the resident logs in later with an SMS code to their phone); the consent is
    recorded as given to the worker, and the account as registered by them."""
    from server.core.errors import Forbidden
    if not permissions.has_any_role(worker):
        raise Forbidden()
    cleaned = check_fields((("name", check_name, name), ("phone", normalise_phone, phone)),
                           agreed=consent, consent_field="consent",
                           refusal=errors.ResidentConsentRequired)
    node = db.session.get(Node, home_node_id) if home_node_id else None
    if node is None or not permissions.covers(worker, node, *STAFF_ROLES):
        raise errors.NodeOutOfScope()
    _check_birth_date(birth_date, now)
    if is_minor(birth_date, now=now):
        # a child is added by their guardian (家庭成员), who gives the consent
        raise errors.GuardianConsentRequired()
    if db.session.scalar(select(User.id).where(User.phone == cleaned["phone"])) is not None:
        raise errors.PhoneTaken()
    user = User(phone=cleaned["phone"], password_hash=NO_PASSWORD, name=cleaned["name"],
                gender=gender, birth_date=birth_date, home_node_id=node.id, skills=[],
                created_at=now, registered_by_id=worker.id)
    try:
        with db.session.begin_nested():  # the same number registered twice at once
            db.session.add(user)
    except IntegrityError:
        raise errors.PhoneTaken() from None
    db.session.add(Consent(user_id=user.id, kind="privacy",
                           notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                           accepted_at=now, ip=ip, recorded_by_id=worker.id))
    db.session.flush()
    events.announce(events.PHONE_CLAIMED, user=user, now=now)
    return user


def registered_by_worker(worker: User, *, limit: int = 20) -> list[User]:
    """The residents this worker registered lately (not the family members they added)."""
    return list(db.session.scalars(
        select(User).where(User.registered_by_id == worker.id, User.managed_by_id.is_(None))
        .order_by(User.id.desc()).limit(limit)))
