"""What the donations domain tells donors: a gift received, a pledge closed by the desk,
and a gentle word on the day a pledge falls due."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _

from server.core.clock import local
from server.core.labels import join, label
from server.donations.vocab import PLEDGE_STATE, counted
from server.notifications.kinds import declare
from server.notifications.services import notify


def _pledge(note) -> str | None:
    pledge_id = (note.params or {}).get("pledge_id")
    return url_for("donation_pages.pledge_detail", pledge_id=pledge_id) if pledge_id else None


def _received(p: dict) -> str:
    what = p.get("amount") or join(f"{item} {counted(qty, unit)}"
                                   for item, qty, unit in p.get("goods", []))
    return _("Thank you: %(what)s of your gift to “%(title)s” (reference %(reference)s) has "
             "been received.", what=what, title=p.get("title", ""),
             reference=p.get("reference", ""))


def _due(p: dict) -> str:
    try:
        day = format_date(date.fromisoformat(p["due_on"]), "medium")
    except (KeyError, TypeError, ValueError):
        day = ""
    if p.get("late"):  # sent the day after, the scheduler having missed its day
        return _("Your pledge %(reference)s to “%(title)s” fell due on %(day)s. If it is on "
                 "its way, thank you; if plans changed, you can change or withdraw it.",
                 reference=p.get("reference", ""), title=p.get("title", ""), day=day)
    return _("Your pledge %(reference)s to “%(title)s” is due today (%(day)s). If it is on "
             "its way, thank you; if plans changed, you can change or withdraw it.",
             reference=p.get("reference", ""), title=p.get("title", ""), day=day)


declare("gift_received", topic="giving", link=_pledge, text=_received)
declare("pledge_closed", topic="giving", link=_pledge, text=lambda p: _(
    "Your pledge %(reference)s to “%(title)s” is now “%(state)s”: %(reason)s",
    reference=p.get("reference", ""), title=p.get("title", ""),
    state=label(PLEDGE_STATE, p.get("state", "")), reason=p.get("reason", "")))
declare("pledge_due", topic="giving", link=_pledge, text=_due)


def due_key(pledge_id: int, due_on: date) -> str:
    """Once per pledge and due date (a changed date is a new reminder)."""
    return f"pledge_due:{pledge_id}:{due_on.isoformat()}"


def remind_due(pledge, *, now: datetime) -> bool:
    """Once per pledge and due date; a day late (jobs.pledges_due catching up), it says
    the day it fell due rather than "today"."""
    late = pledge.due_on < local(now).date()
    return notify(pledge.donor_id, "pledge_due", now=now, key=due_key(pledge.id, pledge.due_on),
                  pledge_id=pledge.id, title=pledge.fund.title, reference=pledge.reference,
                  due_on=pledge.due_on.isoformat(), **({"late": True} if late else {})
                  ) is not None
