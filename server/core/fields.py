"""Marshmallow fields shared by the domains' schemas."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import marshmallow as ma
from flask_babel.speaklater import LazyString
from marshmallow import validate as v

from server.core.clock import from_local, local


class LocalDateTime(ma.fields.DateTime):
    """ISO 8601 in and out. Input without an offset is Beijing time; stored as UTC;
    output carries +08:00 so a phone shows what the venue's clock says."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str) and len(value) == 16 and "T" in value:
            value = value + ":00"  # <input type=datetime-local> sends minutes only
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= parsed.year <= 2100:
            raise self.make_error("invalid")
        return from_local(parsed)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return local(value).isoformat()


MAX_ID = 2**31 - 1  # the largest key PostgreSQL's integer holds


class Whole(ma.fields.Integer):
    """A whole number. Forms send text ("48"); JSON may send 48 or, parsed as Decimal,
    48.0. A fraction (48.9) is refused, not cut to 48."""

    def _validated(self, value):
        if isinstance(value, Decimal) and not value.is_finite():
            raise self.make_error("invalid")
        fraction = ((isinstance(value, Decimal) and value != value.to_integral_value())
                    or (isinstance(value, float) and not value.is_integer()))
        if fraction:
            raise self.make_error("invalid")
        return super()._validated(value)


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 - used like a field class
    """A database id: anything out of range is a 422, never an overflow deep in the driver."""
    return Whole(validate=v.Range(1, MAX_ID), **kwargs)


def Day(**kwargs) -> ma.fields.Date:  # noqa: N802 - used like a field class
    """A calendar day within reason (birth dates, filters)."""
    return ma.fields.Date(validate=v.Range(date(1900, 1, 1), date(2100, 12, 31)), **kwargs)


class Shown(str):
    """A field message already in the reader's language: a form shows it as it is."""


class FieldMessage(LazyString):
    """A translated text for a validator's `error=`. Marshmallow formats it when the
    validator refuses a value; the result stays marked as ours (Shown), so the page
    shows what is wanted instead of a generic "check this entry"."""

    def format(self, *args, **kwargs) -> Shown:
        return Shown(str(self).format(*args, **kwargs))


def said(text: LazyString) -> FieldMessage:
    """said(_l("Enter a whole number from 1 to 100,000.")) for `error=` of a validator."""
    return FieldMessage(text._func, *text._args, **text._kwargs)
