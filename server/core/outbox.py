"""Work that waits until the unit of work has committed (Indico's e-mail queue).

A service that means to tell the outside world something (an SMS, a WeChat message, an
e-mail) writes its record in the unit of work and asks for `later(handler, id)`. Once the
unit of work commits, `run()` calls each handler with the id, each in a transaction of its
own; a unit of work that rolls back leaves no record, so whatever a handler would have
sent is never sent (and `discard()` drops the list). Handlers look their record up again
and do nothing if it is not there or no longer waiting, so a stale entry is harmless.

The request wrapper (server.core.http), each scheduler job and each CLI command call
`run()` after they commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from server.extensions import db

log = logging.getLogger(__name__)
_KEY = "wushe_outbox"
_handlers: dict[str, Callable[[int], None]] = {}


def handler(name: str) -> Callable[[Callable[[int], None]], Callable[[int], None]]:
    """Declare what runs, after commit, for records of this name."""
    def register(fn: Callable[[int], None]) -> Callable[[int], None]:
        if _handlers.get(name, fn) is not fn:
            raise TypeError(f"outbox handler {name!r} is declared twice")
        _handlers[name] = fn
        return fn
    return register


def later(name: str, ident: int) -> None:
    if name not in _handlers:
        raise KeyError(f"no outbox handler {name!r}")
    db.session.info.setdefault(_KEY, []).append((name, ident))


def discard() -> None:
    db.session.info.pop(_KEY, None)


def waiting() -> list[tuple[str, int]]:
    return list(db.session.info.get(_KEY, ()))


def run() -> int:
    """Call the handlers of what the committed unit of work left; returns how many ran.
    A handler that fails is logged and left to its own retries (the scheduler's)."""
    items = list(dict.fromkeys(db.session.info.pop(_KEY, ())))
    for name, ident in items:
        try:
            _handlers[name](ident)
        except Exception:  # noqa: BLE001 - one failed send never fails the committed work
            log.exception("outbox handler %s failed for %s", name, ident)
            db.session.rollback()
    return len(items)
