"""The request's unit of work and the one error envelope.

Every request commits once if it succeeded and rolls back otherwise (Indico's
RH.process()), except a refusal declared `keeps_work` (a wrong SMS code counts as a try),
which commits what the service recorded before it said no. A transient database failure
(a deadlock PostgreSQL broke, a lock or serialisation failure, a connection that died,
SQLite busy) rolls back and runs the view again, a few times, so no person sees a 500
for what a retry fixes; if it persists the answer is 503 `busy_retry` with Retry-After,
and nothing was written.

Every error, whether a rule said no, a schema refused the input, CSRF failed or a limit
was hit, becomes `{code, status, message, errors}` for the API and the same message on a
result page for people.
"""

from __future__ import annotations

import logging
import math
import random
import time

import marshmallow as ma
from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from server.core import boundary, direct, errors, outbox
from server.core.errors import WusheError, field_texts
from server.extensions import db, limiter

log = logging.getLogger(__name__)
# SQLSTATEs worth a retry: serialization_failure, deadlock_detected, lock_not_available,
# and unique / foreign-key violations that a concurrent writer caused
TRANSIENT_STATES = {"40001", "40P01", "55P03"}
RACE_STATES = {"23505", "23503"}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best == "application/json"


def error_response(exc: WusheError) -> Response:
    message = exc.text()
    # a schema's refusal says per field what is wrong; a rule's refusal says it once
    fallback = errors.REASONS["invalid"] if exc.status == 422 else message
    fields = field_texts(exc.errors, fallback)
    if wants_json():
        resp = jsonify(code=exc.code, status=exc.status, message=message, errors=fields)
    else:
        fragment = request.headers.get("HX-Request")
        template = "errors/fragment.html" if fragment else "errors/page.html"
        resp = Response(render_template(template, code=exc.code, status=exc.status,
                                        message=message, errors=fields))
    resp.status_code = exc.status
    for key, value in exc.headers.items():
        resp.headers[key] = value
    return resp


def handle_wushe_error(exc: WusheError) -> Response:
    db.session.rollback()
    if isinstance(exc, boundary.CharactersRemoved):
        # a view that read its form outside its form-error path: no form shown again, so
        # the characters are not "removed" for the person (going back brings them back)
        exc = boundary.InvalidCharacters(
            errors={name: ["characters"] for name in exc.errors})
    return error_response(exc)


def handle_schema_error(exc: ma.ValidationError) -> Response:
    """A schema refused what a view read without catching it: a 422 like any other."""
    db.session.rollback()
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return error_response(errors.ValidationError(errors=messages))


def handle_csrf_error(exc: CSRFError) -> Response:
    from server.core import resend
    db.session.rollback()
    return resend.offer() or error_response(errors.CsrfFailed())


def handle_http_exception(exc: HTTPException) -> Response:
    db.session.rollback()
    status = exc.code or 500
    kind = errors.BY_STATUS.get(status, errors.HttpError)
    data = getattr(exc, "data", None) or {}
    found: dict = {}
    if status == 422 and "messages" in data:
        # webargs: {"json": {"field": ["msg"]}} -> {"field": ["msg"]}
        for location_errors in data["messages"].values():
            found.update(location_errors)
    error = _rate_limited() if status == 429 else kind(errors=found)
    if kind is errors.HttpError:
        error.status = status
    response = error_response(error)
    for key, value in (data.get("headers") or {}).items():
        response.headers[key] = value
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _rate_limited() -> errors.RateLimited:
    """Flask-Limiter's refusal, with the wait its breached limit leaves: the rest of an hour
    for an hourly limit, not "a minute" whatever the limit."""
    breached = limiter.current_limit
    seconds = breached.reset_at - time.time() if breached is not None else 60
    return errors.RateLimited(seconds=math.ceil(seconds))  # never too early


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def is_transient(exc: Exception) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state in TRANSIENT_STATES or state in RACE_STATES:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        # SQLite: another writer held the database past the busy timeout
        return "database is locked" in text or "server closed the connection" in text
    return False


def commit_before_answer() -> None:
    """The unit of work's commit, taken early by a hot path whose answer is a plain value
    (not ORM rows that a commit would expire): the answer is then serialized after the
    commit, so SQLite's one write lock and PostgreSQL's row locks are held for the work
    alone. A failure here is the unit of work's as ever (rolled back, retried if
    transient); the commit at the end finds nothing left to do. A session that has not
    begun (its work committed on its own: server.core.direct) has nothing to commit."""
    if direct.session_begun():
        db.session.commit()


class UnitOfWork:
    """Runs a view, commits or rolls back, and retries transient database failures."""

    def __init__(self, app: Flask):
        self.app = app
        self.retries = app.config["TRANSIENT_RETRIES"]

    def __call__(self, dispatch):
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                try:
                    response = self.app.make_response(dispatch())
                    boundary.refuse_unread()
                except WusheError as refusal:
                    if refusal.keeps_work:
                        db.session.commit()  # the refusal is recorded (errors.keeps_work)
                    raise
                if response.status_code < 400:
                    # a request that never used the database (health, a static page) has
                    # no transaction: committing would begin and end an empty one
                    if direct.session_begun():
                        db.session.commit()
                    outbox.run_for_request()
                else:
                    db.session.rollback()
                    outbox.discard()
                return response
            except Exception as exc:
                db.session.rollback()
                outbox.discard()
                if not (is_transient(exc) or getattr(exc, "retry", False)):
                    raise
                last = exc
                _note_transient(exc, attempt, "")
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        if isinstance(last, IntegrityError):
            raise errors.Conflict() from last
        raise errors.Busy() from last

    def before(self, hooks):
        """The before-request hooks (a blueprint's role gate reads the login and its roles)
        on a fresh connection if the pooled one had died: they only read, so a transient
        failure is rolled back and they run again; past the retries, "busy" as for a view."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                return hooks()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                db.session.rollback()
                last = exc
                _note_transient(exc, attempt, " before the view")
        raise errors.Busy() from last


def _note_transient(exc: Exception, attempt: int, where: str) -> None:
    log.warning("transient database failure%s (attempt %s): %s", where, attempt + 1,
                str(getattr(exc, "orig", exc)).splitlines()[0])


def register(app: Flask) -> None:
    app.register_error_handler(WusheError, handle_wushe_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(ma.ValidationError, handle_schema_error)
    app.register_error_handler(HTTPException, handle_http_exception)
