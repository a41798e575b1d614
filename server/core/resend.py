"""A page's form refused for its CSRF token alone: the page stayed open past the token's
life, or the person logged out and in again in another tab. Nothing was saved; what they
typed comes back in a form of the same fields with a fresh token, sent again with one tap
(a sheet of ticks, a long description: not lost to a stale page).

Offered only for a form this site served (the browser says so: Sec-Fetch-Site, else
Origin, else Referer, on this very origin). A form another site made a browser send is
what the token stops, and it is answered as before, with nothing of it written back.
Never for a secret (a password, an ID number, an SMS code: server.core.pages.SECRET_FIELDS,
not written into a page) nor a file (a page cannot give one back), nor text the boundary
cleaned (its form says so beside the fields): those forms are filled in again.
"""

from __future__ import annotations

from flask import Response, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import same_origin

from server.core.pages import is_secret

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _from_this_site() -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return same_origin(origin + "/", request.host_url)
    return bool(request.referrer) and same_origin(request.referrer, request.host_url)


def offer() -> Response | None:
    """The page to send a refused form again, or None where it is not offered."""
    if (request.method != "POST" or request.mimetype not in FORM_TYPES
            or request.path.startswith("/api/") or request.headers.get("HX-Request")
            or not _from_this_site()):
        return None
    token_field = current_app.config["WTF_CSRF_FIELD_NAME"]
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name != token_field]
    if (request.files or any(is_secret(name) for name, _ in fields)
            or g.get("_wushe_bad_fields")):
        # a secret is not written into a page, a file cannot be given back, and text the
        # boundary cleaned is shown beside its fields by the form itself, not sent unseen
        return None
    action = request.script_root + request.path + (
        f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    resp = Response(render_template("errors/resend.html", action=action, fields=fields,
                                    logged_out=not current_user.is_authenticated,
                                    code="csrf_failed"), status=400)
    resp.headers["Cache-Control"] = "no-store"  # what was typed stays out of caches
    return resp
