"""Login and registration throttling, shared by the page and the API.

Logins: failed attempts count, per address *and* phone tried (guessing one person's
password), and per address alone with a larger budget (trying many phones from one
place), so a community centre behind one address is not locked out by its own
successful logins. Registrations count per address, every attempt: each answer says
whether a number is taken, so the budget bounds how many numbers one place can probe.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from server.accounts.errors import InvalidPhone
from server.accounts.services import normalise_phone
from server.core.boundary import json_body
from server.extensions import limiter


def _login_key() -> str:
    body = json_body(silent=True)
    raw = body.get("phone") if isinstance(body, dict) else request.form.get("phone")
    phone = str(raw or "")[:20]
    try:  # "136 1234 1234" and "+8613612341234" are one phone, one budget
        phone = normalise_phone(phone)
    except InvalidPhone:
        pass
    return f"{get_remote_address()}|{phone}"


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def _address() -> str:
    return get_remote_address() or "unknown"


_per_phone = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"],
                           key_func=_login_key, methods=["POST"], deduct_when=_failed)
_per_address = limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"],
                             key_func=lambda: f"login|{_address()}", methods=["POST"],
                             deduct_when=_failed)
register_limit = limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"],
                               key_func=lambda: f"register|{_address()}", methods=["POST"])


def login_limit(view):
    return _per_address(_per_phone(view))
