"""Login throttling, shared by the page and the API.

Keyed by client address *and* the phone tried, and only failed attempts count, so a
community centre behind one address is not locked out by its own successful logins.
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


login_limit = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_login_key,
                            methods=["POST"], deduct_when=_failed)
