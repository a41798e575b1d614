"""One row at a time: is it good, and what does it say? Pure rules, no queries.

Each check answers a value or raises Refused(reason); the first problem of a row is its
reason (server.imports.errors.REASONS). What needs the database (duplicates, accounts
that exist, hours already recorded) is decided afterwards for all rows at once
(server.imports.resolve).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import force_locale

from server.accounts import errors as account_errors
from server.accounts import identity
from server.accounts.models import SKILLS
from server.accounts.services import check_name, normalise_phone
from server.core import labels, numbers
from server.core.clock import local
from server.imports.sheet import cell_text


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def key(text) -> str:
    """How names are compared: NFKC, no spaces, case-blind (运河园 社区 = 运河园社区)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", cell_text(text))).casefold()


@dataclass
class Scope:
    """What the rows are checked against, loaded once per file."""

    communities: dict[str, list[int]] = field(default_factory=dict)  # key(name) → node ids
    # (key(title), local day) → [(activity id, its length in minutes)]
    activities: dict[tuple[str, date], list[tuple[int, int]]] = field(default_factory=dict)
    skills: dict[str, str] = field(default_factory=dict)  # key(label or code) → code

    @staticmethod
    def skill_names() -> dict[str, str]:
        names = {key(code): code for code in SKILLS}
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                names.update({key(str(text)): code for code, text in labels.SKILL.items()})
        return names


def phone(raw) -> str:
    # a number cell below zero is no phone number, though its "-" reads as a separator
    if isinstance(raw, bool) or (isinstance(raw, int | float) and raw < 0):
        raise Refused("bad_phone")
    try:
        return normalise_phone(cell_text(raw))
    except account_errors.InvalidPhone:
        raise Refused("bad_phone") from None


# spaces between two Chinese characters: rosters pad two-character names ("王  芳")
PADDING = re.compile(r"(?<=[\u3400-\u9fff\U00020000-\U0003134f])\s+"
                     r"(?=[\u3400-\u9fff\U00020000-\U0003134f])")


def name(raw) -> str:
    """The name as its account has it: "王  芳" is 王芳 (a Latin name keeps its spaces)."""
    if isinstance(raw, bool | int | float):  # TRUE, 0: a cell of another kind, not a name
        raise Refused("bad_name")
    try:
        return check_name(PADDING.sub("", cell_text(raw)))
    except account_errors.InvalidName:
        raise Refused("bad_name") from None


def community(raw, scope: Scope) -> int:
    name = key(raw)
    found = next((scope.communities[k] for k in (name, f"{name}社区", f"{name}村")
                  if name and k in scope.communities), [])
    if not found:
        raise Refused("unknown_community")
    if len(found) > 1:
        raise Refused("ambiguous_community")
    return found[0]


def id_number(raw) -> tuple[str, str] | None:
    """(id type, number) or None for a blank cell: a 身份证 or a 回乡证 number."""
    number = identity.normalise(cell_text(raw))
    if not number:
        return None
    for id_type in ("resident_id", "hk_macao_permit"):
        try:
            return id_type, identity.validate(id_type, number)
        except identity.InvalidIdNumber:
            continue
    raise Refused("bad_id_number")


def skills(raw, scope: Scope) -> list[str]:
    parts = [p for p in re.split(r"[,，、;；/|\s]+", unicodedata.normalize("NFKC", cell_text(raw)))
             if p]
    codes = []
    for part in parts:
        code = scope.skills.get(key(part))
        if code is None:
            raise Refused("unknown_skill")
        if code not in codes:
            codes.append(code)
    return codes


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def day(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 20000 < raw < 80000:
        return date(1899, 12, 30) + timedelta(days=int(raw))  # an Excel serial day
    text = re.sub(r"\s", "", numbers.typed(cell_text(raw)))
    for fmt in DATE_FORMATS:
        try:
            found = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if found.year >= 2000:
            return found
    raise Refused("bad_date")


def activity(title_raw, on: date, scope: Scope) -> tuple[int, int]:
    title = key(title_raw)
    found = scope.activities.get((title, on), []) if title else []
    if not found:
        raise Refused("no_activity")
    if len(found) > 1:
        raise Refused("ambiguous_activity")
    return found[0]


def minutes(raw, cap: int) -> int:
    """Hours as written (1.5, "２", "1.5小时") → whole minutes, 1 … the activity's length."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = re.sub(r"(小时|h|hours?)$", "", numbers.typed(cell_text(raw)).lower()).strip()
    if not numbers.decimal_text(text):
        raise Refused("bad_hours")
    try:
        found = int((Decimal(text) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation:
        raise Refused("bad_hours") from None
    if not 1 <= found <= cap:
        raise Refused("bad_hours")
    return found


def local_day(moment: datetime) -> date:
    return local(moment).date()
