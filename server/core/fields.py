"""Marshmallow fields shared by the domains' schemas. Input numbers and dates go through
these, never through marshmallow's own Integer, Float, Date or DateTime: those truncate
fractions (1.5 → 1), take True for 1, read other scripts' digits and accept any year
(tests/test_schemas.py checks every input schema)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

import marshmallow as ma
from marshmallow import validate as v

from server.core import numbers
from server.core.clock import from_local, local
from server.core.messages import FieldMessage, said  # noqa: F401 - re-exported for schemas

FIRST_YEAR, LAST_YEAR = 2000, 2100  # times of activities, scans, pledges


BIGGEST = 10**15  # beyond any count, minute or id here, and inside every integer column


# shown as nothing, though not format characters (Cf): the combining grapheme joiner,
# Hangul fillers, Mongolian and other variation selectors
IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f"
                       "\uffa0\U000e0100-\U000e01ef]")


def visible(text: str | None) -> str:
    """A name as people tell it apart by sight: without the invisible characters
    (zero-width spaces and joiners, variation selectors, fillers) that would let a
    look-alike past "taken", with runs of spaces as one, and trimmed."""
    shown = IGNORABLE.sub("", text or "")
    return " ".join("".join(ch for ch in shown if unicodedata.category(ch) != "Cf").split())


class Title(ma.fields.String):
    """A name or item, as `visible` has it, before any length check."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return visible(super()._deserialize(value, attr, data, **kwargs))


class Whole(ma.fields.Integer):
    """A whole number. Forms send text ("48", "４８"); JSON sends 48 or, parsed as
    Decimal, 48.0. A fraction (48.9), a boolean, NaN, or another script's digits are
    refused, not cut or converted."""

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = numbers.whole_text(value)
            if value is None:
                raise self.make_error("invalid")
        elif isinstance(value, Decimal):
            if not value.is_finite() or value != value.to_integral_value():
                raise self.make_error("invalid")
            value = int(value)
        elif isinstance(value, float):
            if not value.is_integer():
                raise self.make_error("invalid")
            value = int(value)
        if not isinstance(value, int):
            raise self.make_error("invalid")
        if abs(value) > BIGGEST:
            raise self.make_error("too_large")
        return value


MAX_ID = numbers.MAX_ID  # the largest key PostgreSQL's integer holds


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 - used like a field class
    """A database id: anything out of range is a 422, never an overflow deep in the driver."""
    return Whole(validate=v.Range(1, MAX_ID), **kwargs)


class Coordinate(ma.fields.Float):
    """A latitude or longitude in degrees: a JSON number or plain decimal text."""

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            text = numbers.decimal_text(value)
            if text is None:
                raise self.make_error("invalid")
            value = text
        if isinstance(value, Decimal) and not value.is_finite():
            raise self.make_error("invalid")
        return super()._validated(value)


class _AsciiDate(ma.fields.Date):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = numbers.typed(value)
        return super()._deserialize(value, attr, data, **kwargs)


def Day(*, first: date = date(1900, 1, 1), last: date = date(LAST_YEAR, 12, 31),  # noqa: N802
        **kwargs) -> ma.fields.Date:
    """A calendar day within reason (birth dates from 1900; everything else by 2100)."""
    return _AsciiDate(validate=v.Range(first, last), **kwargs)


def EventDay(**kwargs) -> ma.fields.Date:  # noqa: N802 - used like a field class
    """A day of the platform's life: due dates, expiry, receipts, filters."""
    return Day(first=date(FIRST_YEAR, 1, 1), **kwargs)


class LocalDateTime(ma.fields.DateTime):
    """ISO 8601 in and out. Input without an offset is Beijing time; stored as UTC;
    output carries +08:00 so a phone shows what the venue's clock says."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str):
            value = numbers.typed(value)
            if len(value) == 16 and "T" in value:
                value = value + ":00"  # <input type=datetime-local> sends minutes only
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise self.make_error("invalid")
        return from_local(parsed)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return local(value).isoformat()


# --- output worked out at dump time -------------------------------------------------------
# apispec cannot see what a function returns: a Function or Method field alone is documented
# without a type (tests/test_openapi.py refuses any such property). These say it.

def Computed(get, type: str, *, format: str | None = None,  # noqa: A002, N802
             nullable: bool = False, items: dict | None = None, **kwargs) -> ma.fields.Field:
    """A value a function (or, given a name, a method of the schema) works out, documented
    with its OpenAPI type and format, and `nullable` when it can be null."""
    metadata = {"type": type, **({"format": format} if format else {}),
                **({"items": items} if items else {}), **kwargs.pop("metadata", {})}
    field = ma.fields.Method if isinstance(get, str) else ma.fields.Function
    return field(get, allow_none=nullable, metadata=metadata, **kwargs)


def Text(get, **kwargs) -> ma.fields.Field:  # noqa: N802 - used like a field class
    """A string worked out at dump time (a name, a translated label, a masked phone)."""
    return Computed(get, "string", **kwargs)


def Count(get, **kwargs) -> ma.fields.Field:  # noqa: N802 - used like a field class
    """A whole number (an id, a count) worked out at dump time."""
    return Computed(get, "integer", **kwargs)


def Flag(get, **kwargs) -> ma.fields.Field:  # noqa: N802 - used like a field class
    """A yes or no worked out at dump time."""
    return Computed(get, "boolean", **kwargs)


def When(get, **kwargs) -> ma.fields.Field:  # noqa: N802 - used like a field class
    """A moment worked out at dump time, given as a datetime and shown as LocalDateTime
    shows it (ISO 8601 with +08:00)."""
    return Computed(lambda obj: LocalDateTime()._serialize(get(obj), None, obj),
                    "string", format="date-time", **kwargs)


class NestedFrom(ma.fields.Nested):
    """An object (or, with many=True, a list of them) that a function works out, dumped
    and documented with a schema of its own."""

    def __init__(self, nested, get, **kwargs):
        super().__init__(nested, dump_only=True, **kwargs)
        self._get = get

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return self._get(obj)
