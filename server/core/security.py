"""Security headers on every response (pages, API, static files, errors) via flask-talisman.

The Content-Security-Policy allows scripts and styles from this site's own files only: no
inline <script>, <style>, style="" or on*="" in web/templates (tests/test_template_csp.py
keeps it so), Alpine's CSP build instead of the one that compiles expressions with
`new Function`, htmx without eval or its injected indicator <style>. Setting element.style
from a script file stays allowed: CSP governs markup, not the CSSOM.
"""

from __future__ import annotations

import functools

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.datastructures import Headers

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # WeUI's and Swagger UI's icons are data: SVGs in their stylesheets; the favicon is data:,
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Pages whose script compiles WebAssembly: the scanner's fallback QR decoder (ZXing, where
# the browser has no BarcodeDetector), on the scanner and on the page that scans a paper
# sign-in sheet's rows. 'wasm-unsafe-eval' lets WebAssembly.instantiate run and nothing
# more: JavaScript eval and new Function stay refused there too.
WASM_ENDPOINTS = ("checkin_pages.scanner", "checkin_pages.paper_entry")
WASM_CSP = {**CSP, "script-src": "'self' 'wasm-unsafe-eval'"}

# Asked for by machines on the host or through the proxy's private side (systemd, a monitor,
# Prometheus), over plain http: answered, never redirected to https
PLAIN_HTTP_ENDPOINTS = ("health.alive", "health.ready", "metrics")

# The site itself may use the camera (the organiser's scanner) and the position (self
# check-in may record where it happened); nothing embedded may, and the rest is off.
PERMISSIONS_POLICY = {
    "camera": "(self)",
    "geolocation": "(self)",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "browsing-topics": "()",
}

REFERRER_POLICY = "strict-origin-when-cross-origin"


class _Talisman(Talisman):
    """Talisman that leaves a Referrer-Policy a view set itself in place (the public
    certificate check answers no-referrer, stricter than ours); talisman 1.1 overwrites it."""

    def _set_referrer_policy_headers(self, headers):
        headers.setdefault("Referrer-Policy", self.referrer_policy)

    # Talisman rebuilds every policy header from its dicts on every response (and looks up
    # the view's options twice more before the view runs). Without CSP nonces, which Wushe
    # does not use, those headers depend on the endpoint only: built once per endpoint and
    # copied (issue 15). HSTS (is the request secure?) and Referrer-Policy (did the view
    # set one?) are still decided per response.

    def _make_nonce(self):
        if self.content_security_policy_nonce_in:
            super()._make_nonce()

    def _set_response_headers(self, response):
        if self.content_security_policy_nonce_in:
            return super()._set_response_headers(response)
        fixed = self._fixed_headers.get(request.endpoint)
        if fixed is None:
            options = self._get_local_options()
            built = Headers()
            self._set_feature_policy_headers(built, options)
            self._set_permissions_policy_headers(built, options)
            self._set_document_policy_headers(built, options)
            self._set_frame_options_headers(built, options)
            self._set_content_security_policy_headers(built, options)
            fixed = self._fixed_headers[request.endpoint] = tuple(built.items())
        headers = response.headers
        for name, value in fixed:
            headers[name] = value
        self._set_hsts_headers(headers)
        self._set_referrer_policy_headers(headers)
        return response


def install(app: Flask) -> Talisman:
    """Bind talisman; call after the domains are registered (the scanner view must exist).

    One Talisman per app, kept in app.extensions, not an unbound one in server.extensions:
    talisman keeps its settings on the instance, not per app, so a second create_app()
    (tests, the migration check) would otherwise change the first app's headers."""
    config = app.config
    hsts_max_age = config["HSTS_MAX_AGE_SECONDS"]
    talisman = _Talisman()
    talisman._fixed_headers = {}
    talisman.init_app(
        app,
        # development and tests run on http://127.0.0.1; production sets FORCE_HTTPS and
        # PROXY_FIX_COUNT so a request nginx received over TLS counts as secure
        force_https=config["FORCE_HTTPS"],
        # talisman only sends HSTS on a secure request; 0 turns it off altogether
        strict_transport_security=hsts_max_age > 0,
        strict_transport_security_max_age=hsts_max_age,
        strict_transport_security_include_subdomains=config["HSTS_INCLUDE_SUBDOMAINS"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy=REFERRER_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
        # talisman would otherwise overwrite the session cookie settings with its own
        # defaults (secure=True breaks logging in over plain http): keep ours
        session_cookie_secure=config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=config["SESSION_COOKIE_SAMESITE"],
    )
    for endpoint in WASM_ENDPOINTS:  # a renamed endpoint fails here, at start
        app.view_functions[endpoint] = _with_options(app.view_functions[endpoint], talisman,
                                                     content_security_policy=WASM_CSP)
    for endpoint in PLAIN_HTTP_ENDPOINTS:
        app.view_functions[endpoint] = _with_options(app.view_functions[endpoint], talisman,
                                                     force_https=False)
    app.extensions["talisman"] = talisman
    return talisman


def _with_options(view, talisman: Talisman, **options):
    """The view under talisman's per-view decorator, wrapped first: the decorator keeps its
    options on the function object (and writes its defaults into them), and the domain's
    view function is shared by every app in the process, this wrapper by one only."""

    @functools.wraps(view)
    def page(*args, **kwargs):
        return view(*args, **kwargs)

    return talisman(**options)(page)
