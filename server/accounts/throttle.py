"""Login and registration throttling, shared by the page and the API.

Logins: failed attempts count, per address *and* phone tried (guessing one person's
password), and per address alone with a larger budget (trying many phones from one
place), so a community centre behind one address is not locked out by its own
successful logins. Registrations count per address, every attempt: each answer says
whether a number is taken, so the budget bounds how many numbers one place can probe.
Handing a family member over to their own phone says the same (a number with an account
is refused) and sends a code to one without: it spends the same budget per address,
page and API alike, and as much again per person asking.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

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
# one budget per address for every answer that says whether a number is taken: the
# registration page, its API and a family member's hand-over (a plain limit counts each
# endpoint apart)
register_limit = limiter.shared_limit(lambda: current_app.config["REGISTER_RATE_LIMIT"],
                                      scope="number_probe",
                                      key_func=lambda: f"register|{_address()}",
                                      methods=["POST"])
_per_person = limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT"], scope="number_probe_person",
    key_func=lambda: f"handover|{getattr(current_user, 'id', None) or 'anonymous'}",
    methods=["POST"])


def handover_limit(view):
    """A family member's hand-over code: the address's budget and the person's own."""
    return register_limit(_per_person(view))


def login_limit(view):
    return _per_address(_per_phone(view))
