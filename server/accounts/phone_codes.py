"""SMS codes to reset a password or to log in: ask for one, then show you hold it.

The rules, one set for the page and the API:

- A code is six digits from `secrets`, kept only as HMAC-SHA256 keyed with SECRET_KEY under
  its own label and bound to the number and the purpose. It lives PHONE_CODE_MINUTES, works
  once and dies after PHONE_CODE_MAX_TRIES wrong tries. Only the newest code of a number
  and purpose counts, so asking again kills the code before.
- Limits count the rows of phone_codes, so they hold across every worker process: per
  number (whatever the purpose) one code per PHONE_CODE_GAP_SECONDS, PHONE_CODE_PER_HOUR
  an hour, PHONE_CODE_PER_DAY in 24 hours; per address PHONE_CODE_PER_ADDRESS_HOUR an hour.
  A refusal says how long to wait.
- A number nobody registered (or whose account is disabled) gets a row like any other,
  with a code nobody is sent: the same limits, the same answers, the same database work.
  Checking a code for it answers as a wrong code does. Nobody learns here who uses Wushe.
- Races: asking serialises per address and per number (PostgreSQL advisory locks taken in
  that order; SQLite's transactions are BEGIN IMMEDIATE), so two requests at once cannot
  both pass the 60-second limit. Checking locks the code's row, so a code works once even
  when two requests bring it at the same moment.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select

from server.accounts import errors, sessions
from server.accounts.models import CODE_PURPOSES, PhoneCode, User
from server.accounts.passwords import hash_password
from server.accounts.services import check_password, normalise_phone
from server.core import clock, keys, numbers, outbox
from server.core.db import hold
from server.core.errors import ValidationError
from server.extensions import db
from server.notifications import channels

log = logging.getLogger(__name__)
KEEP_DAYS = 30
CODE_RE = re.compile(r"[0-9]{6}", re.ASCII)
_LABEL = b"wushe-phone-code-v1"
# advisory-lock namespaces (PostgreSQL): one for addresses, one for numbers
_LOCK_ADDRESS, _LOCK_PHONE = 0x57534801, 0x57534802
# The SMS needs the code in clear, the table keeps only its hash, and the SMS may go only
# after the unit of work commits. The plain code travels with the outbox entry (a payload
# held in memory until the handler runs, in a request once the answer has gone out): a
# request that rolls back drops it, and the handler sends only for a row that was committed
# and whose hash the code matches. Nothing can send the code later: a send that failed is
# recorded on the row, and the person asks for a new code.


@dataclass(frozen=True)
class Asked:
    """The answer to asking for a code, the same whether or not the number is registered."""

    phone: str  # the number as normalised (normalise_phone)
    resend_after: int  # seconds until this number may ask again
    expires_in: int  # seconds the code lives


@dataclass(frozen=True)
class _Limit:
    window: timedelta
    most: int


def _config(key: str) -> int:
    return int(current_app.config[key])


def _phone_limits() -> list[_Limit]:
    return [_Limit(timedelta(seconds=_config("PHONE_CODE_GAP_SECONDS")), 1),
            _Limit(timedelta(hours=1), _config("PHONE_CODE_PER_HOUR")),
            _Limit(timedelta(days=1), _config("PHONE_CODE_PER_DAY"))]


def _address_limits() -> list[_Limit]:
    return [_Limit(timedelta(hours=1), _config("PHONE_CODE_PER_ADDRESS_HOUR"))]


def _digest(code: str, *, phone: str, purpose: str, key: bytes | None = None) -> str:
    key = key or keys.current_hmac(_LABEL)
    return hmac.new(key, f"{purpose}|{phone}|{code}".encode(), hashlib.sha256).hexdigest()


def _hash_matches(stored: str, code: str, *, phone: str, purpose: str) -> bool:
    """The code's hash under the current key, or one still on the list (a code asked for
    just before SECRET_KEY was rotated)."""
    return any(hmac.compare_digest(stored, _digest(code, phone=phone, purpose=purpose, key=k))
               for k in keys.hmac_keys(_LABEL))


def _serialise(phone: str, ip: str | None) -> None:
    """One request at a time per address, then per number, until the transaction ends.
    Always in this order, so two requests never wait for each other in a circle."""
    for namespace, value in ((_LOCK_ADDRESS, ip), (_LOCK_PHONE, phone)):
        if value:
            hold(namespace, value)


def _recent(column, value: str, limits: list[_Limit], now: datetime) -> list[datetime]:
    """When the latest codes (as many as the largest limit counts) were asked, newest first."""
    widest = max(limit.window for limit in limits)
    return list(db.session.scalars(
        select(PhoneCode.created_at).where(column == value, PhoneCode.created_at > now - widest)
        .order_by(PhoneCode.created_at.desc()).limit(max(limit.most for limit in limits))))


def _wait(times: list[datetime], limits: list[_Limit], now: datetime) -> int:
    """Seconds until every limit has room again (0: now)."""
    wait = 0
    for limit in limits:
        inside = [t for t in times if t > now - limit.window]
        if len(inside) >= limit.most:
            # the oldest of the `most` latest leaves the window then
            freed = inside[limit.most - 1] + limit.window
            wait = max(wait, ceil((freed - now).total_seconds()))
    return wait


def wait_seconds(phone: str, *, ip: str | None, now: datetime) -> int:
    """How long until this number, from this address, may ask for a code (0: now)."""
    wait = _wait(_recent(PhoneCode.phone, phone, _phone_limits(), now), _phone_limits(), now)
    if ip:
        wait = max(wait, _wait(_recent(PhoneCode.ip, ip, _address_limits(), now),
                               _address_limits(), now))
    return wait


def request_code(*, phone: str, purpose: str, ip: str | None, now: datetime,
                 for_user: User | None = None) -> Asked:
    """Write a new code for this number and purpose and send it after commit, if the number
    belongs to an active account. The answer never says whether it does. `for_user`: the
    family member whose own number this is to become (accounts.family.hand_over)."""
    phone = normalise_phone(phone)
    if purpose not in CODE_PURPOSES:
        raise ValidationError(errors={"purpose": ["unknown"]})
    ip = ip[:45] if ip else None
    _serialise(phone, ip)
    wait = wait_seconds(phone, ip=ip, now=now)
    if wait:
        raise errors.CodeTooSoon(seconds=wait)
    user_id = for_user.id if for_user is not None else db.session.scalar(
        select(User.id).where(User.phone == phone))
    code = f"{secrets.randbelow(10**6):06d}"
    lifetime = timedelta(minutes=_config("PHONE_CODE_MINUTES"))
    row = PhoneCode(phone=phone, purpose=purpose, user_id=user_id,
                    code_hash=_digest(code, phone=phone, purpose=purpose), created_at=now,
                    expires_at=now + lifetime, attempts=0, ip=ip)
    db.session.add(row)
    db.session.flush()
    # every row goes through the outbox, sent or not, so both take the same path; the
    # code itself travels with it (the row keeps only its hash)
    outbox.later("phone_code", row.id, code=code)
    return Asked(phone=phone, resend_after=wait_seconds(phone, ip=ip, now=now),
                 expires_in=int(lifetime.total_seconds()))


def _verify(phone: str, purpose: str, code: str, *, now: datetime) -> User:
    """The account the newest code of this number and purpose opens, once; or why not."""
    phone = normalise_phone(phone)
    typed = re.sub(r"\s", "", numbers.typed(code or ""))
    if not CODE_RE.fullmatch(typed):
        raise errors.InvalidCode()
    # the row lock: of two requests bringing the same code at once, the second waits here
    # and then finds it used (SQLite: the second transaction waits at BEGIN IMMEDIATE)
    row = db.session.scalar(
        select(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.purpose == purpose)
        .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc()).limit(1)
        .with_for_update().execution_options(populate_existing=True))
    if row is None:
        raise errors.CodeExpired()
    if row.used_at is not None:
        raise errors.CodeUsed()
    if row.attempts >= _config("PHONE_CODE_MAX_TRIES"):
        raise errors.CodeTriesUsedUp()
    if row.expires_at <= now:
        raise errors.CodeExpired()
    user = db.session.get(User, row.user_id) if row.user_id is not None else None
    # a number nobody registered had a code nobody was sent: a match is a wrong code too
    if user is None or not _hash_matches(row.code_hash, typed, phone=phone, purpose=purpose):
        row.attempts += 1
        db.session.flush()
        raise errors.WrongCode()  # keeps_work: the try counts though the request is refused
    if not user.active:
        raise errors.AccountDisabled()
    row.used_at = now
    db.session.flush()
    return user


def log_in_with_code(*, phone: str, code: str, now: datetime) -> User:
    """The person whose login code this is (the caller starts the login)."""
    return _verify(phone, "login", code, now=now)


def verify_handover(*, phone: str, code: str, now: datetime) -> User:
    """The family member the newest handover code of this number was sent for."""
    return _verify(phone, "handover", code, now=now)


def reset_password(*, phone: str, code: str, password: str, now: datetime) -> User:
    """Set a new password with a reset code; every login of the person ends (the caller
    then logs in this device afresh)."""
    check_password(password)  # before the code, so a weak password costs no try
    user = _verify(phone, "reset", code, now=now)
    user.password_hash = hash_password(password)
    sessions.end_all(user, now=now)
    db.session.flush()
    return user


def _sms_text(purpose: str, code: str) -> str:
    minutes = _config("PHONE_CODE_MINUTES")
    if purpose == "handover":
        return _("Wushe: %(code)s is the code to log in with this number from now on. It is "
                 "valid for %(minutes)s minutes. Do not tell anyone.", code=code,
                 minutes=minutes)
    if purpose == "reset":
        return _("Wushe: %(code)s is your code to reset your password. It is valid for "
                 "%(minutes)s minutes. Do not tell anyone.", code=code, minutes=minutes)
    return _("Wushe: %(code)s is your code to log in. It is valid for %(minutes)s minutes. "
             "Do not tell anyone.", code=code, minutes=minutes)


@outbox.handler("phone_code", after_response=True)
def send_after_commit(code_id: int, *, code: str) -> None:
    """Send a committed code row's code by SMS, to an active account only, and record on
    the row whether it went. A row that was rolled back is not there: nothing is sent. In a
    request this runs once the answer has gone out, so the provider's time is not in it."""
    row = db.session.get(PhoneCode, code_id)
    if row is None or code is None or row.sent_at is not None or row.send_error is not None:
        return
    user = db.session.get(User, row.user_id) if row.user_id is not None else None
    if (user is None or not user.active or not _hash_matches(
            row.code_hash, code, phone=row.phone, purpose=row.purpose)):
        db.session.commit()  # the same work as a send that went, less the send
        return
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = channels.Outgoing(channel="sms", to=row.phone, kind="phone_code",
                                    text=_sms_text(row.purpose, code))
    # no transaction is open while the provider is asked (on SQLite it would hold the one
    # write lock for as long as the provider takes)
    db.session.commit()
    error = None
    try:
        channels.get("sms").send(message)
    except channels.SendFailed as exc:
        error = str(exc)[:1000]
    except Exception as exc:  # noqa: BLE001 - an adapter's bug is recorded, never a 500
        log.exception("the SMS adapter failed on phone code %s", code_id)
        error = f"{type(exc).__name__}"[:1000]
    row = db.session.get(PhoneCode, code_id)
    if error is None:
        row.sent_at = clock.now()
    else:
        row.send_error = error
    db.session.commit()


def prune(*, now: datetime) -> int:
    """Codes are kept a month (for the limits and for questions), then removed."""
    return db.session.execute(delete(PhoneCode).where(
        PhoneCode.created_at < now - timedelta(days=KEEP_DAYS))).rowcount or 0
