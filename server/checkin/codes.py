"""QR payloads: personal codes (random tokens) and venue codes (HMAC of activity + time step).

Personal QR:  WSP1:<token>           random 256-bit token, revocable
Venue QR:     /c/<activity>/<step>/<mac>   mac = HMAC(key, "venue:<activity>:<step>")
Poster QR:    /c/<activity>/poster/<mac>  mac = HMAC(key, "poster:<activity>"), for venues
              without a screen; it cannot rotate, so its scans are marked for the reviewer.
Sheet row QR: WSS1:<activity>.<signup>.<mac>  mac = HMAC(key, "sheet:<activity>:<signup>"),
              printed on a paper sign-in sheet: it names one sign-up of one activity, is
              worth nothing at any other activity, and is not the person's own code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from server.accounts.models import User
from server.checkin.models import PersonalCode
from server.core import keys
from server.extensions import db

PERSONAL_PREFIX = "WSP1:"
# a personal code's token is token_urlsafe(32), 43 characters; anything outside this is no
# code of ours, answered invalid_code (the scanner page refuses it the same way, offline too)
TOKEN_LENGTH = (20, 64)
SHEET_PREFIX = "WSS1:"


# derived from SECRET_KEY so that there is one secret to keep, with a purpose label
_LABEL = b"wushe-checkin-v1"


def _mac(message: str, key: bytes | None = None) -> str:
    key = key or keys.current_hmac(_LABEL)
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:12]
    return urlsafe_b64encode(digest).decode().rstrip("=")


def _matches(mac: str, message: str) -> bool:
    """Made by the current key, or by an older one still on the list (a poster printed
    before SECRET_KEY was rotated keeps working)."""
    given = mac.encode()  # bytes: compare_digest refuses non-ASCII str
    return any(hmac.compare_digest(given, _mac(message, key).encode())
               for key in keys.hmac_keys(_LABEL))


def payload_hash(payload: str) -> str:
    """What the offline roster carries instead of the codes themselves."""
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


# personal codes -------------------------------------------------------------------------

def _current(user_id: int) -> PersonalCode | None:
    return db.session.scalar(select(PersonalCode).where(
        PersonalCode.user_id == user_id, PersonalCode.revoked_at.is_(None))
        .execution_options(populate_existing=True))


def _lock_person(user_id: int) -> None:
    # the person's row serialises every change of their code (the partial unique index
    # on active codes is the database's own guarantee behind it)
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def active_code(user: User, *, now: datetime) -> PersonalCode:
    """The code that works now; the first one is made on first use."""
    code = _current(user.id)
    if code is not None:
        return code
    _lock_person(user.id)
    return _current(user.id) or _issue(user.id, now)


def _issue(user_id: int, now: datetime) -> PersonalCode:
    code = PersonalCode(user_id=user_id, token=secrets.token_urlsafe(32), created_at=now)
    db.session.add(code)
    db.session.flush()
    return code


def regenerate(user: User, *, now: datetime) -> PersonalCode:
    """A new code; every earlier one now answers `revoked`. Three sessions at once leave
    one working code: they take turns on the person's row."""
    _lock_person(user.id)
    old = _current(user.id)
    if old is not None:
        old.revoked_at = now
        db.session.flush()  # the old one stops counting as active before the new one exists
    return _issue(user.id, now)


def personal_payload(code: PersonalCode) -> str:
    return PERSONAL_PREFIX + code.token


def lookup_personal(payload: str) -> PersonalCode | None:
    """The code a scanned text names, revoked or not; None if it names none."""
    text = (payload or "").strip()
    if not text.startswith(PERSONAL_PREFIX):
        return None
    token = text[len(PERSONAL_PREFIX):]
    if not TOKEN_LENGTH[0] <= len(token) <= TOKEN_LENGTH[1]:
        return None
    return db.session.scalar(select(PersonalCode).where(PersonalCode.token == token))


def hint(payload: str | None) -> str | None:
    """A short, non-secret trace of what was scanned, for the record."""
    return (payload or "")[:10] or None


# venue codes ---------------------------------------------------------------------------

def step_of(now: datetime) -> int:
    return int(now.timestamp()) // current_app.config["ROTATING_CODE_STEP_SECONDS"]


def venue_mac(activity_id: int, step: int) -> str:
    return _mac(f"venue:{activity_id}:{step}")


def poster_mac(activity_id: int) -> str:
    return _mac(f"poster:{activity_id}")


def venue_path(activity_id: int, *, now: datetime) -> tuple[str, int]:
    """The current rotating link and the seconds until it changes."""
    step = step_of(now)
    size = current_app.config["ROTATING_CODE_STEP_SECONDS"]
    left = size - int(now.timestamp()) % size
    return f"/c/{activity_id}/{step}/{venue_mac(activity_id, step)}", left


def poster_path(activity_id: int) -> str:
    return f"/c/{activity_id}/poster/{poster_mac(activity_id)}"


def check_venue(activity_id: int, step: str, mac: str, *, now: datetime) -> str | None:
    """None when the link is good now; else `invalid_code` or `code_expired`."""
    if step == "poster":
        return None if _matches(mac, f"poster:{activity_id}") else "invalid_code"
    if not (step.isascii() and step.isdigit()) or not _matches(
            mac, f"venue:{activity_id}:{int(step)}"):
        return "invalid_code"
    age = step_of(now) - int(step)
    grace = current_app.config["ROTATING_CODE_GRACE_STEPS"]
    if age > grace:
        return "code_expired"
    if age < -grace:  # from the future: a clock far off, or a forged step
        return "invalid_code"
    return None


# paper sign-in sheet rows ----------------------------------------------------------------

def sheet_payload(activity_id: int, signup_id: int) -> str:
    return f"{SHEET_PREFIX}{activity_id}.{signup_id}.{_mac(f'sheet:{activity_id}:{signup_id}')}"


def read_sheet(payload: str) -> tuple[int, int] | None:
    """(activity id, sign-up id) a printed row's code names, or None when it is not one
    we printed (forged, changed, cut short, or another kind of code)."""
    text = (payload or "").strip()
    if not text.startswith(SHEET_PREFIX) or len(text) > 80:
        return None
    parts = text[len(SHEET_PREFIX):].split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 10
                                  for p in parts[:2]):
        return None
    activity_id, signup_id = int(parts[0]), int(parts[1])
    if not _matches(parts[2], f"sheet:{activity_id}:{signup_id}"):
        return None
    return activity_id, signup_id


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: the person's QR code stops working; their scans keep when and which
    way, not the address or the place their phone gave (self check-in)."""
    from server.checkin.models import Scan
    db.session.execute(update(PersonalCode).where(PersonalCode.user_id == user.id,
                                                  PersonalCode.revoked_at.is_(None))
                       .values(revoked_at=now))
    db.session.execute(update(Scan).where(Scan.user_id == user.id).values(
        ip=None, latitude=None, longitude=None, device=None)
        .execution_options(synchronize_session=False))
