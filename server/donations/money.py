"""Money is Decimal yuan with two places, end to end: parsed from text, stored exactly,
summed in SQL, shown and exported as text. A float never touches it.

PostgreSQL keeps NUMERIC(12,2). SQLite has no decimal type and SQLAlchemy would go through
float there, so on SQLite the same NUMERIC(12,2) column holds whole fen (cents) instead.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from sqlalchemy import Numeric, TypeDecorator

from server.core import numbers
from server.core.messages import filled

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_MONEY = Decimal("9999999999.99")  # what NUMERIC(12,2) holds
# plain yuan with at most two decimals: no signs, exponents, NaN or thousands separators
# ASCII digits only, after NFKC (server.core.numbers): full-width ５０ is 50, ٥٠ is refused
YUAN_TEXT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
LONG_YUAN_TEXT = re.compile(r"^[0-9]{11,40}(\.[0-9]{1,2})?$")
THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")
TOO_MANY_PLACES = re.compile(r"[0-9]+\.[0-9]{3,}")


def yuan(value) -> Decimal:
    """A Decimal with exactly two places from an int, Decimal or plain text. Floats are
    refused: they have already lost the exact amount."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("money must not be a float")
    if isinstance(value, int):
        return Decimal(value).quantize(CENT)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("money must be finite")
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, str):  # as a Decimal: the same finiteness check and rounding
        return yuan(Decimal(value))
    raise TypeError(f"not money: {type(value).__name__}")


def fmt(amount: Decimal | None, *, sign: bool = False) -> str:
    """¥1,234.50 (and -¥20.00 for a reversal)."""
    amount = yuan(amount or 0)
    text = f"¥{abs(amount):,.2f}"
    if amount < 0:
        return "-" + text
    return ("+" + text) if sign and amount > 0 else text


class _FenOnSqlite(Numeric):
    """NUMERIC(12,2) in the schema; the cells hold integers, passed through untouched."""

    cache_ok = True

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None


class Money(TypeDecorator):
    """NUMERIC(12,2) yuan; Decimal in and out on every database."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return _FenOnSqlite(12, 2)
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = yuan(value)
        return int(value * 100) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, str):  # only if someone wrote text into the cell by hand
                return yuan(value)
            return (Decimal(int(value)) / 100).quantize(CENT)
        return yuan(Decimal(value))


class Yuan(ma.fields.Field):
    """An amount in yuan: "50", "50.5", "1234.56" (or a JSON number, which the app parses
    as Decimal). More than two decimals, signs, exponents and zero are refused, never
    rounded: a person should see that 1.234 is not an amount."""

    default_error_messages = {
        "invalid": _l("Enter an amount in yuan, e.g. 50 or 50.50."),
        "places": _l("Yuan have at most two decimal places (fen)."),
        "positive": _l("The amount must be more than zero."),
        "too_large": _l("That amount is larger than this fund accepts at once (%(max)s)."),
    }

    def __init__(self, *, maximum: Decimal | str = "10000000.00", allow_zero: bool = False,
                 **kwargs):
        # documented as what it reads: text ("50.50") or a JSON number
        kwargs["metadata"] = {"anyOf": [{"type": "string", "example": "50.50"},
                                        {"type": "number"}], **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.maximum = yuan(str(maximum))
        self.allow_zero = allow_zero

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        # a list, as marshmallow's own messages are, keeping the lazy (translated) string
        return ma.ValidationError([self.error_messages[key]])

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or isinstance(value, float):
            raise self.make_error("invalid")
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise self.make_error("invalid")
            value = format(value, "f")  # 1E+2 is 100, 1e-2 is 0.01, as JSON says
        elif isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise self.make_error("invalid")
        # NFKC: full-width digits, ， and ． from a Chinese keyboard; ￥ becomes ¥
        text = numbers.typed(value).removeprefix("¥")
        if "," in text:  # thousands separators only where they belong: 1,234.56, not 50,5
            if not THOUSANDS.match(text):
                raise self.make_error("invalid")
            text = text.replace(",", "")
        if TOO_MANY_PLACES.fullmatch(text):
            raise self.make_error("places")
        if LONG_YUAN_TEXT.match(text):  # eleven digits and more: an amount, too large
            raise ma.ValidationError([filled(self.error_messages["too_large"],
                                             max=fmt(self.maximum))])
        if not YUAN_TEXT.match(text):
            raise self.make_error("invalid")
        try:
            amount = yuan(text)
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if amount < 0 or (amount == 0 and not self.allow_zero):
            raise self.make_error("positive")
        if amount > self.maximum:
            raise ma.ValidationError([filled(self.error_messages["too_large"],
                                             max=fmt(self.maximum))])
        return amount

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{yuan(value):.2f}"
