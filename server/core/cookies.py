"""The signed session cookie and CSRF token, each signature checked once per process.

A phone at the door sends the same session cookie with every scan, and Flask checks its
signature on every request: a new serializer, the key derived again, an HMAC, base64 and the
payload's JSON, about a twentieth of a scan's CPU in a gunicorn worker. Here a cookie whose
signature checked out is remembered (its exact text, for this secret key) with its payload
and the time it was signed; the same text again gets a fresh copy of that payload, its age
checked against the session's lifetime as Flask checks it. Only checked cookies are
remembered, a cookie that differs by one byte is another key, and the map is bounded.
"""

from __future__ import annotations

import copy
import hmac
from time import time as now

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, same_origin
from itsdangerous import BadSignature, URLSafeTimedSerializer

CHECKED_COOKIES = 4096  # cookies (and tokens) remembered per process; then it starts over


class CheckedOnceSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._checked: dict[tuple[str, str], tuple[dict, int]] = {}

    def open_session(self, app, request):
        if not app.secret_key:
            return None  # as Flask: no key, no session (its error page says so)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, cookie)
        known = self._checked.get(key)
        if known is None:
            try:
                data, signed = self.get_signing_serializer(app).loads(
                    cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:  # a forged, damaged or expired cookie: a new session
                return self.session_class()
            if len(self._checked) >= CHECKED_COOKIES:
                self._checked.clear()
            known = self._checked[key] = (data, int(signed.timestamp()))
        elif not 0 <= int(now()) - known[1] <= max_age:
            return self.session_class()  # expired since it was first checked
        return self.session_class(copy.deepcopy(known[0]))


class CheckedOnceCSRF(CSRFProtect):
    """flask-wtf's CSRF protection, each token's signature checked once per process.

    The token a page or the scanner sends (X-CSRFToken) is the session's own random token,
    signed with a time; flask-wtf verifies that signature on every request, which cost as
    much as opening the session. A token that passed is remembered with what it carries; the
    same token again is compared with the session's token and its age with
    WTF_CSRF_TIME_LIMIT, as validate_csrf does, and the referrer is checked on HTTPS as
    protect() checks it. Anything not remembered, or not matching, goes through flask-wtf,
    which answers as before.
    """

    def __init__(self, app=None) -> None:
        self._checked: dict[tuple[str, str], tuple[str, int]] = {}
        super().__init__(app)

    def protect(self, apply_exemptions=False):
        cfg = current_app.config
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in cfg["WTF_CSRF_METHODS"]:
            return
        token = self._get_csrf_token()
        key = (cfg.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, token)
        if not self._still_good(self._checked.get(key)):
            super().protect()
            self._remember(key)
            return
        if request.is_secure and cfg["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True

    def _get_csrf_token(self):
        """flask-wtf looks in the form first, then in the headers. A JSON body has no form
        (werkzeug parses none for it), so its token is in a header: read there without
        building an empty form for every scan."""
        if request.mimetype == "application/json":
            for header in current_app.config["WTF_CSRF_HEADERS"]:
                token = request.headers.get(header)
                if token:
                    return token
            return None
        return super()._get_csrf_token()

    def _still_good(self, known: tuple[str, int] | None) -> bool:
        if known is None:
            return False
        field = current_app.config["WTF_CSRF_FIELD_NAME"]
        limit = current_app.config["WTF_CSRF_TIME_LIMIT"]
        if field not in session:
            return False
        if limit is not None and not 0 <= int(now()) - known[1] <= limit:
            return False
        return hmac.compare_digest(session[field], known[0])

    def _remember(self, key: tuple[str, str]) -> None:
        """After flask-wtf accepted the token: what it carries, and when it was signed."""
        secret, token = key
        raw, signed = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(
            token, return_timestamp=True)
        if len(self._checked) >= CHECKED_COOKIES:
            self._checked.clear()
        self._checked[key] = (raw, int(signed.timestamp()))
