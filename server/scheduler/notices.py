"""The scheduler's own message: the coordinators' daily summary of what waits for them."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from server.notifications.kinds import declare


def _summary(p: dict) -> str:
    parts = []
    if p.get("hours"):
        part = ngettext("%(num)d hour entry to review", "%(num)d hour entries to review",
                        p["hours"])
        late = []
        if p.get("overdue"):
            late.append(ngettext("%(num)d activity overdue", "%(num)d activities overdue",
                                 p["overdue"]))
        if p.get("soon"):
            late.append(ngettext("%(num)d due within two working days",
                                 "%(num)d due within two working days", p["soon"]))
        if late:
            part += _(" (%(detail)s)", detail=_(", ").join(late))
        parts.append(part)
    if p.get("pledges"):
        part = ngettext("%(num)d pledge to confirm", "%(num)d pledges to confirm",
                        p["pledges"])
        if p.get("pledges_overdue"):
            part += _(" (%(detail)s)", detail=ngettext(
                "%(num)d overdue", "%(num)d overdue", p["pledges_overdue"]))
        parts.append(part)
    return _("Waiting for you today: %(items)s.", items=_("; ").join(parts))


def _link(note) -> str:
    p = note.params or {}
    if p.get("hours"):
        return url_for("hours_pages.queue")
    return url_for("donation_desk.desk")


declare("work_digest", topic="work", link=_link, text=_summary)
