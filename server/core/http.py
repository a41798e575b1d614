"""The request's unit of work and the one error envelope.

Every request commits once if it succeeded and rolls back otherwise (Indico's
RH.process()). Every error, whether a rule said no, a schema refused the input,
CSRF failed or a limit was hit, becomes `{code, status, message, errors}` for
the API and the same message on a result page for people.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from server.core.errors import WusheError
from server.extensions import db

HTTP_CODES = {
    400: ("bad_request", _l("The request could not be processed.")),
    401: ("login_required", _l("Please log in first.")),
    403: ("forbidden", _l("You do not have permission to do this.")),
    404: ("not_found", _l("We could not find what you were looking for.")),
    405: ("method_not_allowed", _l("This action is not available here.")),
    413: ("too_large", _l("What you sent is too large.")),
    422: ("validation_error", _l("Some fields need your attention.")),
    429: ("rate_limited", _l("Too many attempts. Please wait a minute and try again.")),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best == "application/json"


def error_response(code: str, status: int, message: str, errors: dict | None = None,
                   headers: dict | None = None) -> Response:
    if wants_json():
        resp = jsonify(code=code, status=status, message=message, errors=errors or {})
    else:
        fragment = request.headers.get("HX-Request")
        template = "errors/fragment.html" if fragment else "errors/page.html"
        resp = Response(render_template(template, code=code, status=status, message=message,
                                        errors=errors or {}))
    resp.status_code = status
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def handle_wushe_error(exc: WusheError) -> Response:
    db.session.rollback()
    return error_response(exc.code, exc.status, exc.text(), exc.errors)


def handle_csrf_error(exc: CSRFError) -> Response:
    db.session.rollback()
    return error_response("csrf_failed", 400, _(
        "Your session expired or the form is stale. Reload the page and try again."))


def handle_http_exception(exc: HTTPException) -> Response:
    db.session.rollback()
    status = exc.code or 500
    code, message = HTTP_CODES.get(
        status, ("http_error", _l("The request could not be processed.")))
    errors = {}
    data = getattr(exc, "data", None) or {}
    if status == 422 and "messages" in data:
        # webargs: {"json": {"field": ["msg"]}} -> {"field": ["msg"]}
        for location_errors in data["messages"].values():
            errors.update(location_errors)
    headers = dict(data.get("headers") or {})
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return error_response(code, status, str(message), errors, headers)


def commit_or_rollback(response: Response) -> Response:
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def register(app: Flask) -> None:
    app.register_error_handler(WusheError, handle_wushe_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.after_request(commit_or_rollback)
