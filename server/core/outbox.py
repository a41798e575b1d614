"""Work that waits until the unit of work has committed (Indico's e-mail queue).

A service that means to tell the outside world something (an SMS, a WeChat message, an
e-mail) writes its record in the unit of work and asks for `later(handler, id)`. Once the
unit of work commits, each handler is called with the id (and any payload given, such as
an SMS code that is stored only as a hash), each in a transaction of its own; a unit of
work that rolls back leaves no record, so whatever a handler would have sent is never sent
(and `discard()` drops the list). Handlers look their record up again and do nothing if it
is not there or no longer waiting, so a stale entry is harmless.

A handler declared `after_response` runs in a request only once the response has gone
out (AfterResponse, below): how long the provider takes then tells the person nothing (an
SMS code sent to a registered number must not make the answer slower than for an unknown
one).
Elsewhere (scheduler jobs, CLI commands) `run()` calls every handler at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask

from server.extensions import db

log = logging.getLogger(__name__)
_KEY = "wushe_outbox"
_handlers: dict[str, Callable[..., None]] = {}
_after_response: set[str] = set()

Item = tuple[str, int, tuple[tuple[str, Any], ...]]


def handler(name: str, *, after_response: bool = False):
    """Declare what runs, after commit, for records of this name."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        if _handlers.get(name, fn) is not fn:
            raise TypeError(f"outbox handler {name!r} is declared twice")
        _handlers[name] = fn
        if after_response:
            _after_response.add(name)
        return fn
    return register


def later(name: str, ident: int, **payload: Any) -> None:
    if name not in _handlers:
        raise KeyError(f"no outbox handler {name!r}")
    db.session.info.setdefault(_KEY, []).append((name, ident, tuple(sorted(payload.items()))))


def discard() -> None:
    if db.session.registry.has():
        db.session.info.pop(_KEY, None)


def waiting() -> list[Item]:
    return list(db.session.info.get(_KEY, ()))


def _take() -> list[Item]:
    # a request answered without a session (a scan at the door, the health check) left
    # nothing: making one to look, and closing it at teardown, was a twenty-fifth of the
    # CPU of a scan in a gunicorn worker
    if not db.session.registry.has():
        return []
    return list(dict.fromkeys(db.session.info.pop(_KEY, ())))


def run(items: list[Item] | None = None) -> int:
    """Call the handlers of what the committed unit of work left; returns how many ran.
    A handler that fails is logged and left to its own retries (the scheduler's)."""
    items = _take() if items is None else items
    for name, ident, payload in items:
        try:
            _handlers[name](ident, **dict(payload))
        except Exception:  # noqa: BLE001 - one failed send never fails the committed work
            log.exception("outbox handler %s failed for %s", name, ident)
            db.session.rollback()
    return len(items)


def run_for_request() -> int:
    """In a request, after its commit: what may run now runs; what waits for the response
    to be sent is handed to AfterResponse (through the request's WSGI environ)."""
    items = _take()
    now = [i for i in items if i[0] not in _after_response]
    after = [i for i in items if i[0] in _after_response]
    if after:
        from flask import current_app, request
        app = current_app._get_current_object()
        request.environ.setdefault(_AFTER, []).append(lambda: _run_detached(app, after))
    return run(now)


def _run_detached(app: Flask, items: list[Item]) -> None:
    with app.app_context():
        try:
            run(items)
        finally:
            db.session.remove()


_AFTER = "wushe.after_response"


class AfterResponse:
    """WSGI middleware: the work a request left for after its response runs once the
    body has been handed to the server whole (the server asks for the next chunk only
    after writing the last one), or at the latest when the server closes the response.

    Not on close alone (WSGI's close, Flask's call_on_close): werkzeug's server (`flask
    run`: the demo; the browser tests' live server) skips close() when the browser resets
    the connection, as it does when it follows a redirect without reading the body, and an
    SMS code asked for on that page was then never sent (one run in eight of the password
    reset's browser test). A request that left nothing is not wrapped (gunicorn still sends
    files with sendfile)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        body = self.wsgi_app(environ, start_response)
        return _Body(body, environ) if environ.get(_AFTER) else body


class _Body:
    def __init__(self, body, environ):
        self.body, self.environ = body, environ

    def __iter__(self):
        yield from self.body
        self._after()

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self._after()

    def _after(self) -> None:
        for work in self.environ.pop(_AFTER, ()):  # once, whichever comes first
            work()
