"""Domains announce what happened; others subscribe, instead of importing each other.

Handlers run at once, inside the announcer's unit of work (they flush, never commit), in
the order the domains subscribed them in server/domains.py: the order is part of the
design (check-in closes open check-ins before hours are computed), so it is explicit
there, not left to import order. Every event is declared here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# an activity was marked finished: attendance closes (payload: activity, now)
ACTIVITY_FINISHED = "activity_finished"
# scans of a sign-up changed after attendance closed: hours follow (payload: signup, now)
ATTENDANCE_CHANGED = "attendance_changed"

# an activity is about to be cancelled, its lock held: a subscriber raises its refusal if
# what it keeps makes cancelling wrong (people checked in, hours recorded: the activity
# happened, and is finished instead) (payload: activity, now)
ACTIVITY_CANCELLING = "activity_cancelling"
# an activity was cancelled; its live sign-ups have ended (payload: activity, people, now)
ACTIVITY_CANCELLED = "activity_cancelled"
# a published activity moved in time or place (payload: activity, people, now)
ACTIVITY_CHANGED = "activity_changed"
# an hours entry was approved, rejected or replaced by an adjustment (payload: entry,
# decision, reviewer, now)
HOURS_DECIDED = "hours_decided"

# a person had their account deleted: each domain forgets what identifies them in what it
# keeps, and ends what is still open; one may refuse (a team it alone leads) (payload:
# user, erased_name (what the person is shown as from now on), now)
PERSON_ERASED = "person_erased"

# a phone number now belongs to an account (a registration, a family member given their
# own number): invitations that waited for that number reach the person (payload: user,
# now)
PHONE_CLAIMED = "phone_claimed"
# the same for accounts made in bulk (a roster import), one announcement a batch (payload:
# phones, now)
PHONES_CLAIMED = "phones_claimed"

EVENTS = (ACTIVITY_FINISHED, ATTENDANCE_CHANGED, ACTIVITY_CANCELLING, ACTIVITY_CANCELLED,
          ACTIVITY_CHANGED, HOURS_DECIDED, PERSON_ERASED, PHONE_CLAIMED, PHONES_CLAIMED)
_handlers: dict[str, list[Callable[..., Any]]] = {name: [] for name in EVENTS}


def subscribe(event: str, handler: Callable[..., Any]) -> None:
    if event not in _handlers:
        raise KeyError(f"no such event: {event}")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


_held: ContextVar[dict | None] = ContextVar("wushe_held_events", default=None)


def announce(event: str, *, key: Any = None, **payload: Any) -> None:
    """Tell the subscribers now; or, inside `gathered()`, once per key when it ends."""
    held = _held.get()
    if held is not None and key is not None:
        held[(event, key)] = payload
        return
    for handler in _handlers[event]:
        handler(**payload)


@contextmanager
def gathered() -> Iterator[None]:
    """Many changes to one thing in one go (an offline batch with a person's entry and
    exit) are heard once, with the last word, when the block ends."""
    outer = _held.get()
    held: dict = {} if outer is None else outer
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    if outer is None:
        for (event, _key), payload in held.items():
            announce(event, **payload)
