"""Every kind of response carries the security headers (server/core/security.py), the CSP
allows no inline or eval'd script or style, and none of it forces https or a secure cookie
on the plain-http development and test servers."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.pages import login

WEAK = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:", "data:")
STRICT_REFERRER = {"no-referrer", "same-origin", "strict-origin",
                   "strict-origin-when-cross-origin"}


def policy(resp) -> dict[str, list[str]]:
    header = resp.headers["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    parsed = {d[0]: d[1:] for d in directives}
    assert len(parsed) == len(directives), f"a directive twice: {header}"
    return parsed


def assert_secured(resp) -> dict[str, list[str]]:
    csp = policy(resp)
    assert csp["default-src"] == ["'self'"]
    for directive in ("default-src", "script-src", "style-src"):
        assert not set(csp[directive]) & set(WEAK), (directive, csp[directive])
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "Content-Security-Policy-Report-Only" not in resp.headers
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in STRICT_REFERRER
    features = dict(item.strip().split("=", 1)
                    for item in resp.headers["Permissions-Policy"].split(","))
    assert features["camera"] == "(self)" and features["geolocation"] == "(self)"
    assert features["microphone"] == "()"
    return csp


@pytest.mark.parametrize("method, path, headers, status", [
    ("GET", "/login", {}, 200),                                       # a page
    ("GET", "/no-such-page", {}, 404),                                # the 404 page
    ("GET", "/activities/2147483647", {"HX-Request": "true"}, 404),   # an htmx error fragment
    ("GET", "/code", {}, 302),                                        # log in first
    ("GET", "/api/v1/health", {}, 200),                               # an API answer
    ("GET", "/api/v1/activities/2147483647", {}, 404),                # an API error
    ("POST", "/api/v1/auth/login", {}, 400),                          # refused: no CSRF token
    ("POST", "/api/v1/health", {}, 405),
    ("GET", "/api/v1/openapi.json", {}, 200),
    ("GET", "/api/v1/docs", {}, 200),                                 # Swagger UI
    ("GET", "/static/dist/app.css", {}, 200),                         # our static files
    ("GET", "/static/vendor/htmx/htmx.min.js", {}, 200),              # vendored ones
    ("GET", "/static/no-such-file.js", {}, 404),
])
def test_every_kind_of_response_carries_the_headers(client, method, path, headers, status):
    resp = client.open(path, method=method, headers=headers)
    resp.close()  # a static file's answer holds the file open
    assert resp.status_code == status
    csp = assert_secured(resp)
    assert csp["script-src"] == ["'self'"]
    if path.startswith("/api/v1/") and path != "/api/v1/docs":
        assert resp.is_json
    assert "Strict-Transport-Security" not in resp.headers  # plain http here


def test_only_the_scanners_may_compile_webassembly(app, client, make_activity, make_user,
                                                  grant):
    activity = make_activity()
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    login(client, organiser)
    for path in (f"/manage/{activity.id}/scanner", f"/manage/{activity.id}/paper-sheet"):
        scanner = client.get(path)
        assert scanner.status_code == 200, path
        # the fallback QR decoder is ZXing compiled to WebAssembly: 'wasm-unsafe-eval', no more
        assert assert_secured(scanner)["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    for path in (f"/manage/{activity.id}/venue-code", f"/activities/{activity.id}", "/code"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert assert_secured(resp)["script-src"] == ["'self'"], path


def _app(**settings):
    return create_app({"ENV": "testing", "DATABASE_URL": "sqlite://", **settings})


def test_plain_http_is_served_and_the_session_cookie_setting_holds(client, app):
    assert app.config["FORCE_HTTPS"] is False
    resp = client.get("/login")  # the form puts a CSRF token in the session
    assert resp.status_code == 200
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # talisman did not turn it on

    secure = _app(SESSION_COOKIE_SECURE=True).test_client().get("/login")
    assert secure.status_code == 200 and "Secure" in secure.headers["Set-Cookie"]


def test_hsts_goes_with_https_only(client):
    resp = client.get("/api/v1/health", base_url="https://wushe.example")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
    off = _app(HSTS_MAX_AGE_SECONDS=0).test_client()
    assert "Strict-Transport-Security" not in off.get(
        "/api/v1/health", base_url="https://wushe.example").headers
    wide = _app(HSTS_INCLUDE_SUBDOMAINS=True).test_client()
    assert wide.get("/api/v1/health", base_url="https://wushe.example").headers[
        "Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_force_https_redirects_plain_http_unless_the_proxy_saw_https(client):
    production_like = _app(FORCE_HTTPS=True, PROXY_FIX_COUNT=1).test_client()
    resp = production_like.get("/api/v1/activities?x=1")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "https://localhost/api/v1/activities?x=1"
    assert_secured(resp)
    behind_nginx = production_like.get("/api/v1/activities",
                                       headers={"X-Forwarded-Proto": "https"})
    assert behind_nginx.status_code == 200
    assert behind_nginx.headers["Strict-Transport-Security"] == "max-age=31536000"
    # the session's app, made first, still serves plain http: settings are per app
    assert client.get("/api/v1/activities").status_code == 200
    # what machines on the host ask over plain http is answered, not redirected
    for path in ("/api/v1/health", "/api/v1/health/ready", "/metrics"):
        assert production_like.get(path).status_code in (200, 503), path
