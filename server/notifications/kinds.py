"""The kinds of message, each declared once by the domain that sends it.

A domain's `notices.py` declares its kinds: the topic a person chooses channels for, the
text (rendered when read, in the reader's language, from the params stored with the
message), where tapping it leads, and what the reader can do from it at once (the
"I can't come" of a waitlist promotion). The notification centre knows no domain: it
asks the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

# what a person chooses channels for, in the order the settings page lists them
TOPICS = {
    "reminders": _l("Reminders before my activities"),
    "changes": _l("Changes to my sign-ups: places, times, cancellations"),
    "hours": _l("My hours and certificates"),
    "giving": _l("My gifts and pledges"),
    "teams": _l("My volunteer teams: invitations, requests, answers"),
    "work": _l("Work: reviews, deadlines and the daily summary"),
}
CHANNEL_NAMES = {
    "site": _l("In Wushe"),
    "sms": _l("SMS"),
    "wechat": _l("WeChat message"),
    "email": _l("E-mail"),
}
# where each topic goes unless the person chose otherwise: everything in the site; what
# cannot wait (a place, a cancellation) also by SMS and WeChat; reminders by WeChat; the
# work summary by e-mail for those who gave an address
DEFAULTS = {
    "site": {"reminders", "changes", "hours", "giving", "teams", "work"},
    "sms": {"changes"},
    "wechat": {"reminders", "changes"},
    "email": {"work"},
}


@dataclass(frozen=True)
class Action:
    """A button on the message: a POST to `url`, confirmed first in a dialog."""

    label: Any
    url: str
    confirm: Any
    destructive: bool = False


@dataclass(frozen=True)
class Kind:
    """urgent: pushed at once, night or day (a cancellation, a place that opened up);
    others wait for the end of the quiet hours (NOTIFY_QUIET_HOURS). stale_after: the
    moment after which pushing it is pointless (a reminder, once the activity began):
    a push still waiting then is skipped; the message stays in the site. holds: whether
    what it says is still so when it is pushed (a reminder of a place since given up, of
    an activity since cancelled or moved): a push held back by the quiet hours, or for a
    retry, is skipped when it no longer holds."""

    name: str
    topic: str
    text: Callable[[dict], str]
    link: Callable[[Any], str | None] = field(default=lambda note: None)
    actions: Callable[[Any, Any, Any], list[Action]] = field(
        default=lambda note, viewer, now: [])
    urgent: bool = False
    stale_after: Callable[[dict], Any] | None = None
    holds: Callable[[Any], bool] | None = None
    # the params that hold another person's name (who asked, who invited): when that
    # person's account is deleted, their name is taken out of others' messages too
    names: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {}


def declare(name: str, *, topic: str, text: Callable[[dict], str],
            link: Callable[[Any], str | None] | None = None,
            actions: Callable[[Any, Any, Any], list[Action]] | None = None,
            urgent: bool = False, stale_after: Callable[[dict], Any] | None = None,
            holds: Callable[[Any], bool] | None = None, names: tuple[str, ...] = ()) -> Kind:
    if topic not in TOPICS:
        raise KeyError(f"no such topic: {topic}")
    if name in KINDS and KINDS[name].text is not text:
        raise TypeError(f"notification kind {name!r} is declared twice")
    kind = Kind(name, topic, text, link or (lambda note: None),
                actions or (lambda note, viewer, now: []), urgent, stale_after, holds, names)
    KINDS[name] = kind
    return kind


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"notification kind {name!r} is not declared") from None
