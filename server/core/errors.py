"""Typed errors with stable codes, each declared once.

Every code a client or a person can meet is a class here or in a domain's errors.py:
its HTTP status, the form field its message belongs next to (if any), and a message in
the reader's language that says what to do. Declaring a code twice fails at import, so
the app does not start with two meanings for one code. The OpenAPI document lists them
all (server.core.api), and tests check each has its Chinese text.

Field-level reasons (`errors={"title": ["length"]}`) are declared once too, in REASONS:
the envelope shows their text, never the token.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from server.core.messages import filled, wait_text

REGISTRY: dict[str, type[WusheError]] = {}


class WusheError(Exception):
    """A rule said no. `code` is stable and machine-readable; `message` is for people."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[Any] = _l("The request could not be processed. Check it and try again.")
    # the form field the message is shown next to, when there is one
    field: ClassVar[str | None] = None
    headers: ClassVar[dict[str, str]] = {}
    # A refusal that is itself a fact to keep (a wrong try at an SMS code counts against the
    # code): the unit of work commits what the service wrote before it said no, instead of
    # rolling it back. Only for services that write nothing else before such a refusal.
    keeps_work: ClassVar[bool] = False
    # A refusal that a concurrent change caused, which a second run would not meet (it sees
    # what committed meanwhile): the unit of work rolls back and runs the view again, as for
    # a deadlock; past its retries the answer is `busy_retry`, nothing written.
    retry: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return
        seen = REGISTRY.get(cls.code)
        if seen is not None and (seen.__module__, seen.__qualname__) != (
                cls.__module__, cls.__qualname__):
            raise TypeError(f"error code {cls.code!r} is declared twice: "
                            f"{seen.__module__}.{seen.__qualname__} and "
                            f"{cls.__module__}.{cls.__qualname__}")
        REGISTRY[cls.code] = cls

    def __init__(self, *, errors: dict | None = None, **params: Any):
        if "code" in params or "message" in params:
            raise TypeError("a code and its message are declared on the class, once")
        self.params = params
        self.errors = dict(errors or {})
        if self.field and not self.errors:  # the message beside its field, filled in too
            self.errors[self.field] = [filled(self.message, **params) if params
                                       else self.message]
        super().__init__(self.code)

    def text(self) -> str:
        msg = str(self.message)
        return msg % self.params if self.params else msg


# REGISTRY holds the base class too: it is the generic 400
REGISTRY[WusheError.code] = WusheError


def message_for(code: str | None, params: dict | None, *, fallback: type[WusheError]) -> str:
    """What a person reads about a stored error code (of work done in the background): its
    message with the stored details; `fallback`'s message for an unknown code, or when the
    message needs details that were not kept."""
    found = REGISTRY.get(code or "")
    text = str(found.message) if found is not None else ""
    if text and params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            pass
    return text if text and "%(" not in text else str(fallback.message)


class ValidationError(WusheError):
    status = 422
    code = "validation_error"
    message = _l("Some fields need your attention.")


class NotFound(WusheError):
    status = 404
    code = "not_found"
    message = _l("We could not find what you were looking for.")


class Forbidden(WusheError):
    status = 403
    code = "forbidden"
    message = _l("You do not have permission to do this.")


class Unauthorised(WusheError):
    status = 401
    code = "login_required"
    message = _l("Please log in first.")


class Conflict(WusheError):
    status = 409
    code = "conflict"
    message = _l("This conflicts with the current state. Refresh and try again.")


class MethodNotAllowed(WusheError):
    status = 405
    code = "method_not_allowed"
    message = _l("This action is not available here.")


class TooLarge(WusheError):
    status = 413
    code = "too_large"
    message = _l("What you sent is too large. Send less at a time.")


class UnsupportedMediaType(WusheError):
    status = 415
    code = "unsupported_media_type"
    message = _l("Send this as JSON (Content-Type: application/json).")


class RateLimited(WusheError):
    """Too many tries: the message says how long to wait (the limit's own window, an hour
    for an hourly limit), as Retry-After does."""

    status = 429
    code = "rate_limited"
    message = _l("Too many attempts. Try again in %(wait)s.")

    def __init__(self, *, seconds: int):
        super().__init__()
        self.seconds = max(1, int(seconds))
        self.headers = {"Retry-After": str(self.seconds)}

    def text(self) -> str:
        return str(self.message) % {"wait": wait_text(self.seconds)}


class CsrfFailed(WusheError):
    code = "csrf_failed"
    message = _l("Your session expired or the form is stale. Reload the page and try again.")


class Busy(WusheError):
    """A transient database conflict that survived our retries: safe to send again."""

    status = 503
    code = "busy_retry"
    message = _l("The server is busy. Wait a moment and try again: nothing was saved.")
    headers = {"Retry-After": "2"}


class ServerError(WusheError):
    status = 500
    code = "server_error"
    message = _l("Something went wrong on our side. Nothing was saved; please try again later.")


class HttpError(WusheError):
    """Any other HTTP status werkzeug raises (rare: 406, 415…)."""

    code = "http_error"
    message = _l("The request could not be processed. Check it and try again.")


# what a bare HTTP status means, for errors raised by Flask and its extensions
BY_STATUS: dict[int, type[WusheError]] = {
    400: WusheError, 401: Unauthorised, 403: Forbidden, 404: NotFound,
    405: MethodNotAllowed, 409: Conflict, 413: TooLarge, 415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimited, 500: ServerError, 503: Busy,
}

# Field-level reasons: errors={"field": ["reason"]}. Text for people, per reason.
REASONS: dict[str, LazyString] = {
    "required": _l("This is required."),
    "length": _l("This is too long or too short."),
    "range": _l("This number is out of range."),
    "future": _l("This date cannot be in the future."),
    "past": _l("This time has already passed."),
    "after_start": _l("The end must come after the start."),
    "too_long": _l("An activity can last at most 14 days."),
    "started": _l("People have checked in: the time and place can no longer change."),
    "window": _l("Sign-up must open before it closes, and close by the end."),
    "unknown": _l("Choose one of the options."),
    "invalid": _l("Check this entry."),
    "characters": _l("This holds characters that cannot be stored (control characters or "
                     "broken ones). Remove them."),
    "characters_removed": _l("Characters that cannot be stored were removed from this. "
                             "Check it and send it again."),
    "not_this_organisation": _l("Choose one of this organisation's own."),
    "period_too_long": _l("Choose a shorter period."),
    "unreadable": _l("Check each line: a reference code and an amount."),
    "taken": _l("This is already taken."),
}


class Said(str):
    """A field's message already written for a person (a refusal's own text, filled in):
    shown as it is. A plain string is not (a library's English default), and reads as the
    fallback."""


def reason_text(value: Any, fallback: Any) -> str:
    """One entry of an `errors` list as a person reads it."""
    if isinstance(value, LazyString | Said):
        return str(value)
    if isinstance(value, str) and value in REASONS:
        return str(REASONS[value])
    return str(fallback)


def field_texts(errors: dict, fallback: Any) -> dict[str, list[str]]:
    """{"lines": {0: {"qty": [...]}}} → {"lines.0.qty": [texts]}: flat, always text."""
    out: dict[str, list[str]] = {}

    def walk(found: Any, prefix: str) -> None:
        if isinstance(found, dict):
            for key, value in found.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
            return
        items = found if isinstance(found, list | tuple) else [found]
        texts = out.setdefault(prefix or "_schema", [])
        for item in items:
            if isinstance(item, dict):
                walk(item, prefix)
            else:
                text = reason_text(item, fallback)
                if text not in texts:
                    texts.append(text)

    walk(errors, "")
    return {k: v for k, v in out.items() if v}


def declared() -> dict[str, type[WusheError]]:
    """Every declared code (import the domains first: create_app does)."""
    return dict(sorted(REGISTRY.items()))
