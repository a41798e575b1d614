"""Identity documents, needed only for certificates (志愿服务记录证明).

个人信息保护法: the number is checked, encrypted at rest (Fernet, with a key derived
from SECRET_KEY for this one purpose) and shown masked (110***********1234) to everyone
but the person themself.
"""

from __future__ import annotations

import re
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from datetime import date, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.accounts.models import User
from server.core import keys, numbers
from server.core.errors import ValidationError
from server.extensions import db

ID_TYPES = ("resident_id", "hk_macao_permit", "passport")
ID_TYPE_LABELS = {
    "resident_id": _l("Resident identity card"),
    "hk_macao_permit": _l("Mainland travel permit for Hong Kong and Macao residents"),
    "passport": _l("Passport"),
}
# What the certificate prints: an official document, always in Chinese.
ID_TYPE_NAMES_ZH = {
    "resident_id": "居民身份证",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "passport": "护照",
}

# GB 11643-1999: weights of the first 17 digits, and the check character by sum mod 11
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# province-level codes (the first two digits); 71 Taiwan, 81 Hong Kong, 82 Macao and 83
# (Taiwan residents' residence permit) appear on residence permits of the same format
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44,
              45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
# ASCII only (server.core.numbers): NFKC has already made full-width digits ASCII
_RESIDENT = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
# 回乡证: H or M, then 8 digits (10 on the older booklets)
_HK_MACAO = re.compile(r"[HM][0-9]{8}([0-9]{2})?", re.ASCII)
# passports differ by country: letters and digits, within reason
_PASSPORT = re.compile(r"[A-Z0-9]{5,17}", re.ASCII)
_KEY_LABEL = b"wushe:id-number-encryption:v1"


class UnknownIdType(ValidationError):
    code = "unknown_id_type"
    message = _l("Choose the kind of identity document.")


class InvalidIdNumber(ValidationError):
    code = "invalid_id_number"
    message = _l("This document number is not valid: check it against your document.")


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2, as GB 11643 uses it: the 18th character of a 身份证 number."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_resident_id(number: str) -> bool:
    if not _RESIDENT.fullmatch(number) or int(number[:2]) not in _PROVINCES:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born.year >= 1900 and number[17] == check_character(number[:17])


def normalise(number: str | None) -> str:
    """Full-width digits from a Chinese keyboard become ASCII; spaces and dashes go."""
    text = numbers.typed(number or "").upper()
    return re.sub(r"[\s\-]", "", text)


def validate(id_type: str | None, number: str | None) -> str:
    """The number in its canonical form, or a ValidationError naming the field."""
    if id_type not in ID_TYPES:
        raise UnknownIdType(errors={"id_type": ["unknown"]})
    number = normalise(number)
    if not number:
        raise InvalidIdNumber(errors={"id_number": ["required"]})
    good = {"resident_id": is_resident_id,
            "hk_macao_permit": lambda n: bool(_HK_MACAO.fullmatch(n)),
            "passport": lambda n: bool(_PASSPORT.fullmatch(n))}[id_type](number)
    if not good:  # said beside the box, in its own words ("check it against…")
        raise InvalidIdNumber(errors={"id_number": [InvalidIdNumber.message]})
    return number


def mask(number: str | None) -> str:
    """110105194912310021 -> 110***********0021; H12345678 -> H******78."""
    if not number:
        return ""
    if len(number) >= 14:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) >= 5:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return "*" * len(number)


def _fernets() -> MultiFernet:
    # one secret to keep (SECRET_KEY, and its fallbacks while it is being rotated: see
    # server.core.keys); HKDF's label keeps this key apart from every other use
    return MultiFernet([Fernet(urlsafe_b64encode(key)) for key in keys.hkdf_keys(_KEY_LABEL)])


def encrypt(number: str, *, now: datetime) -> str:
    return _fernets().encrypt_at_time(number.encode(), int(now.timestamp())).decode()


def decrypt(token: str | None) -> str | None:
    """The number, or None if there is none or no key on the list reads it."""
    if not token:
        return None
    try:
        return _fernets().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def reencrypt(token: str, *, now: datetime) -> str | None:
    """The same number under the current key (None if no key reads it); a token already
    under the current key comes back unchanged."""
    fernets = _fernets()
    current = fernets._fernets[0]
    try:
        current.decrypt(token.encode())
        return token
    except InvalidToken:
        pass
    try:
        return current.encrypt_at_time(fernets.decrypt(token.encode()), int(now.timestamp())
                                       ).decode()
    except InvalidToken:
        return None


def set_identity(user: User, *, id_type: str | None, id_number: str | None,
                 now: datetime) -> None:
    """Check and store a person's document; only the encrypted number is kept."""
    number = validate(id_type, id_number)
    user.id_type = id_type
    user.id_number_encrypted = encrypt(number, now=now)


def has_identity(user: User) -> bool:
    return bool(user.id_type and decrypt(user.id_number_encrypted))


def masked_number(user: User) -> str:
    return mask(decrypt(user.id_number_encrypted))


@dataclass
class Rotated:
    changed: int = 0  # re-encrypted under the current key
    current: int = 0  # already under it
    unreadable: int = 0  # no key on the list reads them (a secret was lost)
    last_id: int = 0  # where the next batch starts


def reencrypt_batch(*, after_id: int, now: datetime, batch: int = 500) -> Rotated | None:
    """The stored ID numbers of the next `batch` people after `after_id` under the current
    key; None when there are no more. The caller commits each batch (a long run is not
    one transaction holding every row)."""
    people = db.session.scalars(
        select(User).where(User.id > after_id, User.id_number_encrypted.is_not(None))
        .order_by(User.id).limit(batch)).all()
    if not people:
        return None
    tally = Rotated(last_id=people[-1].id)
    for person in people:
        token = reencrypt(person.id_number_encrypted, now=now)
        if token is None:
            tally.unreadable += 1
        elif token == person.id_number_encrypted:
            tally.current += 1
        else:
            person.id_number_encrypted = token
            tally.changed += 1
    db.session.flush()
    return tally
