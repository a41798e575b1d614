"""Registration, login and profile rules. Services flush, never commit."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.accounts import errors
from server.accounts.models import SKILLS, Consent, User
from server.accounts.passwords import hash_password, needs_rehash, verify_password
from server.communities.models import Node
from server.core import events, numbers
from server.core.clock import local
from server.core.errors import Said, ValidationError
from server.core.fields import visible
from server.extensions import db

PHONE_RE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
# Letters of any script (Chinese names first), with the middle dot of minority
# and transliterated names (阿依古丽·买买提) and spaces for Latin names.
NAME_RE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[·•・ .'-])*$")


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """The one form of a mainland mobile number, before any lookup or uniqueness check:
    NFKC (full-width １３８ is 138), spaces and dashes dropped, +86 or 0086 dropped, then
    exactly 11 ASCII digits (server.core.numbers). Refused beside `field`."""
    phone = re.sub(r"[\s\-()]", "", numbers.typed(raw or ""))
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix):]
    if not PHONE_RE.fullmatch(phone):
        raise (errors.InvalidPhone() if field == "phone" else
               errors.InvalidPhone(errors={field: [errors.InvalidPhone.message]}))
    return phone


def check_name(raw: str, field: str = "name") -> str:
    # without invisible characters: a name copied from a messaging app comes between
    # bidirectional isolates, and zero-width ones would make a look-alike of another
    name = visible(raw)
    if not (1 <= len(name) <= 40) or not NAME_RE.match(name):
        raise errors.InvalidName(errors={field: [str(errors.InvalidName.message)]})
    return name


EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}", re.ASCII)


def check_email(raw: str | None) -> str | None:
    """An address a mail server takes, or None for "no e-mail" (a blank box)."""
    email = numbers.typed(raw or "").strip()
    if not email:
        return None
    if len(email) > 254 or not EMAIL_RE.fullmatch(email):
        raise errors.InvalidEmail()
    local_part, _, domain = email.partition("@")
    return f"{local_part}@{domain.lower()}"


def check_password(password: str) -> None:
    if (len(password or "") < 8 or not re.search(r"\d", password)
            or not re.search(r"[^\d\s]", password)):
        raise errors.WeakPassword()


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_skills(skills: list[str] | None) -> list[str]:
    skills = list(dict.fromkeys(skills or []))
    unknown = [s for s in skills if s not in SKILLS]
    if unknown:
        raise errors.UnknownSkill()
    return skills


def check_home_node(node_id: int | None) -> None:
    if node_id is not None and db.session.get(Node, node_id) is None:
        raise errors.UnknownNode()



def check_fields(checks, *, agreed: bool, consent_field: str,
                 refusal: type[ValidationError]) -> dict:
    """Each (field, check, raw value) checked, and the consent box: every field's problem at
    once, so the form shows them all, not one per attempt. One problem keeps its own code."""
    problems: dict[str, list[str]] = {}
    first: ValidationError | None = None
    cleaned: dict = {}
    for field, check, raw in checks:
        try:
            cleaned[field] = check(raw)
        except ValidationError as exc:
            problems[field] = [Said(exc.text())]
            first = first or exc
    if not agreed:
        problems[consent_field] = [Said(refusal.message)]
        first = first or refusal()
    if len(problems) == 1:
        raise type(first)(errors=problems)
    if problems:
        raise ValidationError(errors=problems)
    return cleaned

def register_user(*, phone: str, password: str, name: str, now: datetime,
                  accept_privacy: bool, birth_date: date | None = None,
                  gender: str | None = None, home_node_id: int | None = None,
                  skills: list[str] | None = None, guardian_name: str | None = None,
                  guardian_consent: bool = False, ip: str | None = None,
                  acted_by: User | None = None, locale: str | None = None) -> User:
    """Create a resident account and record the consents it was given with. `locale`: the
    language the person registered in, which what is sent to them follows."""
    cleaned = check_fields((("phone", normalise_phone, phone), ("name", check_name, name),
                            ("password", check_password, password)),
                           agreed=accept_privacy, consent_field="accept_privacy",
                           refusal=errors.ConsentRequired)
    phone, name = cleaned["phone"], cleaned["name"]
    check_home_node(home_node_id)
    today = local(now).date()
    if birth_date is not None and birth_date > today:
        raise errors.BirthDateInFuture()
    minor = (birth_date is not None
             and age_on(birth_date, today) < current_app.config["GUARDIAN_CONSENT_AGE"])
    if minor:
        if not guardian_consent or not (guardian_name or "").strip():
            raise errors.GuardianConsentRequired()
        guardian_name = check_name(guardian_name, "guardian_name")
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise errors.PhoneTaken()

    user = User(phone=phone, password_hash=hash_password(password), name=name,
                birth_date=birth_date, gender=gender, home_node_id=home_node_id,
                skills=check_skills(skills), guardian_name=guardian_name if minor else None,
                created_at=now, registered_by_id=acted_by.id if acted_by else None,
                locale=locale if locale in current_app.config["LANGUAGES"] else None)
    try:
        with db.session.begin_nested():  # two taps on "register" at once
            db.session.add(user)
    except IntegrityError:
        raise errors.PhoneTaken() from None
    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    db.session.add(Consent(user_id=user.id, kind="privacy", notice_version=version,
                           accepted_at=now, ip=ip))
    if minor:
        db.session.add(Consent(user_id=user.id, kind="guardian", notice_version=version,
                               accepted_at=now, guardian_name=guardian_name, ip=ip))
    db.session.flush()
    events.announce(events.PHONE_CLAIMED, user=user, now=now)
    return user


def authenticate(*, phone: str, password: str) -> User:
    """The user for these credentials, or BadCredentials (same answer for unknown phones)."""
    try:
        phone = normalise_phone(phone)
    except errors.InvalidPhone:
        verify_password(None, password)
        raise errors.BadCredentials() from None
    user = db.session.scalar(select(User).where(User.phone == phone))
    if not verify_password(user.password_hash if user else None, password):
        raise errors.BadCredentials()
    if not user.active:
        raise errors.AccountDisabled()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


def update_profile(user: User, *, now: datetime, **changes) -> User:
    """Change what a person may change about themselves."""
    if "name" in changes:
        user.name = check_name(changes["name"])
    if "skills" in changes:
        user.skills = check_skills(changes["skills"])
    if "home_node_id" in changes:
        check_home_node(changes["home_node_id"])
    if "email" in changes:
        user.email = check_email(changes["email"])
    for key in ("gender", "home_node_id", "locale", "care_mode"):
        if key in changes:
            setattr(user, key, changes[key])
    if "birth_date" in changes and changes["birth_date"] != user.birth_date:
        bd, today = changes["birth_date"], local(now).date()
        # age gates activities and guardian consent: once given, only staff correct it
        if user.birth_date is not None:
            raise errors.BirthDateLocked()
        if bd is not None and bd > today:
            raise errors.BirthDateInFuture()
        if (bd is not None and user.guardian_name is None
                and age_on(bd, today) < current_app.config["GUARDIAN_CONSENT_AGE"]):
            raise errors.GuardianConsentRequired()
        user.birth_date = bd
    db.session.flush()
    return user


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def recipient(user_id: int):
    """Where a person's messages go, for the notification channels: a family member's
    (no phone, nobody reads their inbox) go to the person who manages them, naming them."""
    from server.notifications.recipients import Recipient
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        return Recipient(phone=None, email=None, locale=None, reader_id=user_id, gone=True)
    if not user.active:
        return Recipient(phone=None, email=None, locale=None, reader_id=user_id)
    manager = user.managed_by if user.managed_by_id is not None else None
    if manager is None:
        return Recipient(phone=user.phone, email=user.email, locale=user.locale,
                         reader_id=user.id)
    if not manager.active:
        return Recipient(phone=None, email=None, locale=None, reader_id=manager.id,
                         for_id=user.id, for_name=user.name, for_relation=user.relation)
    return Recipient(phone=manager.phone, email=manager.email, locale=manager.locale,
                     reader_id=manager.id, for_id=user.id, for_name=user.name,
                     for_relation=user.relation)
