"""Marshmallow speaks our language: every built-in field and validator message is ours,
translated when it is shown.

Imported from server/__init__.py, before any schema is defined: marshmallow copies the
default messages into each field when the field is created, and Range fills its
templates in when it is created, so the texts must be ours by then. Messages stay lazy
(formatted on display, in the reader's language), so the envelope and the forms show
them as they are, and nothing matches marshmallow's English.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from marshmallow import Schema, fields
from marshmallow import validate as v


def _formatted(base: LazyString, args: tuple, kwargs: dict) -> str:
    return str(base).format(*args, **kwargs)


class FieldMessage(LazyString):
    """A translated text for a validator's `error=`. Marshmallow calls .format() on it
    (at once for Range, when validating for the others); the result stays lazy, so it
    is translated for whoever reads it."""

    def format(self, *args: Any, **kwargs: Any) -> Formatted:  # noqa: A003
        return Formatted([FieldMessage(_formatted, self, args, kwargs)])


class Formatted(list):
    """What .format() gives: a one-message list, as marshmallow wants its messages (it
    would take any other non-str for a sequence of characters), that can be formatted
    again (Range formats its templates twice)."""

    def format(self, *args: Any, **kwargs: Any) -> Formatted:  # noqa: A003
        return Formatted([FieldMessage(_formatted, m, args, kwargs) for m in self])


class ByInput(FieldMessage):
    """Length's message: one text for a string (characters) and one for a list (items),
    chosen by the input marshmallow formats it with."""

    def __init__(self, text: LazyString, items: LazyString) -> None:
        super().__init__(text._func, *text._args, **text._kwargs)
        self.items = said(items)

    def format(self, *args: Any, **kwargs: Any) -> Formatted:  # noqa: A003
        if isinstance(kwargs.get("input"), (list, tuple, dict)):
            return self.items.format(*args, **kwargs)
        return super().format(*args, **kwargs)


def _percent(base: LazyString, params: dict) -> str:
    return str(base) % params


def filled(text: LazyString, **params: Any) -> FieldMessage:
    """A %-style message with its values, still translated on display."""
    return FieldMessage(_percent, text, params)


def wait_text(seconds: int) -> str:
    """A wait as people say it, rounded up (never tell them to come back too early)."""
    if seconds <= 90:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    minutes = -(-seconds // 60)
    if minutes <= 90:
        return ngettext("%(num)s minute", "%(num)s minutes", minutes)
    hours = -(-seconds // 3600)
    return ngettext("%(num)s hour", "%(num)s hours", hours)


def said(text: LazyString) -> FieldMessage:
    """said(_l("Enter a whole number from 1 to 100,000.")) for `error=` of a validator."""
    return FieldMessage(text._func, *text._args, **text._kwargs)


INVALID = said(_l("Check this entry."))


def _one(text: LazyString) -> Formatted:
    # a field's own messages go into ValidationError as they are: a list, not a str
    return Formatted([said(text)])


_FIELD_MESSAGES: dict[type, dict[str, Formatted]] = {
    fields.Field: {"required": _one(_l("This is required.")),
                   "null": _one(_l("This is required.")),
                   "validator_failed": _one(INVALID)},
    fields.String: {"invalid": _one(_l("Enter text here.")), "invalid_utf8": _one(INVALID)},
    fields.Integer: {"invalid": _one(_l("Enter a whole number."))},
    fields.Number: {"invalid": _one(_l("Enter a number.")),
                    "too_large": _one(_l("This number is too large."))},
    fields.Float: {"special": _one(_l("Enter a number."))},
    fields.Decimal: {"special": _one(_l("Enter a number."))},
    fields.Boolean: {"invalid": _one(_l("Choose yes or no."))},
    fields.Date: {"invalid": _one(_l("Enter a date (year-month-day).")), "format": _one(INVALID)},
    fields.DateTime: {"invalid": _one(_l("Enter a date and time.")),
                      "invalid_awareness": _one(_l("Enter a date and time.")),
                      "format": _one(INVALID)},
    fields.List: {"invalid": _one(_l("Send a list here."))},
    fields.Nested: {"type": _one(_l("Send an object here."))},
    fields.Dict: {"invalid": _one(_l("Send an object here."))},
    fields.Email: {"invalid": _one(_l("Enter an email address."))},
    fields.Enum: {"unknown": _one(_l("Choose one of the options."))},
}


def install() -> None:
    for cls, texts in _FIELD_MESSAGES.items():
        cls.default_error_messages = {**cls.__dict__.get("default_error_messages", {}),
                                      **texts}
    Schema._default_error_messages = {
        "type": said(_l("Send an object here.")),
        "unknown": said(_l("This field is not expected here: leave it out.")),
    }
    v.Length.message_min = ByInput(_l("Enter at least {min} characters."),
                                   _l("Send at least {min} items."))
    v.Length.message_max = ByInput(_l("Enter at most {max} characters."),
                                   _l("Send at most {max} items."))
    v.Length.message_all = ByInput(_l("Enter {min} to {max} characters."),
                                   _l("Send {min} to {max} items."))
    v.Length.message_equal = ByInput(_l("Enter exactly {equal} characters."),
                                     _l("Send exactly {equal} items."))
    # Range fills {min_op} in when it is created; our texts say it in words
    v.Range.message_min = said(_l("Enter {{min}} or more."))
    v.Range.message_max = said(_l("Enter {{max}} or less."))
    v.Range.message_all = said(_l("Enter a value from {{min}} to {{max}}."))
    v.OneOf.default_message = said(_l("Choose one of the options."))
    v.ContainsOnly.default_message = said(_l("Choose only from the options."))
    v.NoneOf.default_message = INVALID
    v.Regexp.default_message = INVALID
    v.Equal.default_message = INVALID
    v.Email.default_message = said(_l("Enter an email address."))
    v.URL.default_message = said(_l("Enter a web address."))


install()
