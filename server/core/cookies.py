"""Flask's signed session cookie, its signature checked once per cookie and process.

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
from time import time as now

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

CHECKED_COOKIES = 4096  # distinct live cookies remembered per process; then it starts over


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
