"""Typed errors with stable codes. Each domain subclasses these in its errors.py."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class WusheError(Exception):
    """A rule said no. `code` is stable and machine-readable; `message` is for people."""

    status = 400
    code = "bad_request"
    message = _l("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None,
                 errors: dict | None = None, **params: Any):
        if code:
            self.code = code
        if message is not None:
            self.message = message
        self.params = params
        self.errors = errors or {}
        super().__init__(self.code)

    def text(self) -> str:
        msg = str(self.message)
        return msg % self.params if self.params else msg


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
