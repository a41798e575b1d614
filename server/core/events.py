"""Domains announce what happened; others subscribe, instead of importing each other.

Handlers run at once, inside the announcer's unit of work (they flush, never commit), in
the order the domains subscribed them in server/domains.py: the order is part of the
design (check-in closes open check-ins before hours are computed), so it is explicit
there, not left to import order. Every event is declared here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# an activity was marked finished: attendance closes (payload: activity, now)
ACTIVITY_FINISHED = "activity_finished"
# scans of a sign-up changed after attendance closed: hours follow (payload: signup, now)
ATTENDANCE_CHANGED = "attendance_changed"

EVENTS = (ACTIVITY_FINISHED, ATTENDANCE_CHANGED)
_handlers: dict[str, list[Callable[..., Any]]] = {name: [] for name in EVENTS}


def subscribe(event: str, handler: Callable[..., Any]) -> None:
    if event not in _handlers:
        raise KeyError(f"no such event: {event}")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def announce(event: str, **payload: Any) -> None:
    for handler in _handlers[event]:
        handler(**payload)
