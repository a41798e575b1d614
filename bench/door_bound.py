"""An upper bound, not a design: what a scan costs with no web framework around it.

scan_bench.py --door-bound serves Wushe through this WSGI function instead of the app
itself. A POST to /api/v1/activities/<id>/scans is answered here: the session cookie's
signature checked, the body read as JSON and loaded by ScanIn, checkin.live.redeem_code
run in an app context, ScanOut dumped. Every other request, and any scan that
redeem_code does not answer, goes to the app with its body, as usual.

What this leaves out is most of what a real request does, which is why it is only a
bound: no CSRF check, no boundary screening of the body, no rate limit, no security
headers, no request metrics, no refreshed session cookie, no error pages (a bad body
raises). Its figure says how far a scan could go if the framework around it cost
nothing; the gap to Wushe's own figure is what Flask, its extensions and the hooks cost.
"""

from __future__ import annotations

import io
import json
import re
from http.cookies import SimpleCookie

from server.accounts import sessions
from server.app import create_app
from server.checkin import batch, live
from server.checkin.schemas import ScanIn, ScanOut
from server.core import clock

wushe = create_app()
_serializer = wushe.session_interface.get_signing_serializer(wushe)
_MAX_AGE = int(wushe.permanent_session_lifetime.total_seconds())
_SCANS = re.compile(r"/api/v1/activities/(\d+)/scans")
_scan_in, _scan_out = ScanIn(), ScanOut()
_logins: dict[str, str | None] = {}  # cookie header → its login token (checked once)


def _login(cookie_header: str) -> str | None:
    if cookie_header not in _logins:
        jar = SimpleCookie()
        jar.load(cookie_header)
        cookie = jar.get(wushe.config["SESSION_COOKIE_NAME"])
        data = _serializer.loads(cookie.value, max_age=_MAX_AGE) if cookie else {}
        _logins[cookie_header] = data.get("_user_id")
    return _logins[cookie_header]


def app(environ, start_response):
    found = _SCANS.fullmatch(environ.get("PATH_INFO", ""))
    token = _login(environ.get("HTTP_COOKIE", "")) if found else None
    if environ["REQUEST_METHOD"] != "POST" or token is None:
        return wushe(environ, start_response)
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    data = _scan_in.load(json.loads(body))
    with wushe.app_context():
        req = batch.request_from(int(found[1]), data, "organiser_scan", operator=None,
                                 ip=environ.get("REMOTE_ADDR"))
        answer = live.redeem_code(req, now=clock.now(), login_hash=sessions.token_hash(token))
        if answer is not None:
            out = json.dumps(_scan_out.dump(answer), ensure_ascii=False).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(out)))])
            return [out]
    environ["wsgi.input"] = io.BytesIO(body)
    return wushe(environ, start_response)
