"""What the team domain tells people: its kinds of message and their texts.

Params are stored with each message and the text is rendered when it is read, in the
reader's language. Names are frozen at sending (a team renamed later keeps the old name
in old messages, as a letter would).
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.core import timefmt
from server.notifications.kinds import Action, declare


def _team_page(note) -> str | None:
    team_id = (note.params or {}).get("team_id")
    return url_for("teams_pages.detail", team_id=team_id) if team_id else None


def _manage_page(note) -> str | None:
    team_id = (note.params or {}).get("team_id")
    return url_for("teams_pages.manage", team_id=team_id) if team_id else None


def _activity_page(note) -> str | None:
    if note.activity_id is None:
        return None
    return url_for("activities_pages.detail", activity_id=note.activity_id)


def _signed_up(p: dict) -> str:
    try:
        when = timefmt.moment(datetime.fromisoformat(p["starts_at"]))
    except (KeyError, TypeError, ValueError):
        when = ""
    if p.get("status") == "entered":
        return _("%(leader)s of “%(team)s” entered you in the lottery for “%(title)s” "
                 "(%(when)s). We will tell you the result of the draw.",
                 leader=p.get("leader", ""), team=p.get("team", ""), title=p.get("title", ""),
                 when=when)
    if p.get("status") == "waitlisted":
        return _("%(leader)s of “%(team)s” put you on the waitlist for “%(title)s” (%(when)s). "
                 "If you cannot come, withdraw on the activity's page.",
                 leader=p.get("leader", ""), team=p.get("team", ""), title=p.get("title", ""),
                 when=when)
    return _("%(leader)s of “%(team)s” signed you up for “%(title)s” (%(when)s). If you "
             "cannot come, withdraw on the activity's page so someone else can go.",
             leader=p.get("leader", ""), team=p.get("team", ""), title=p.get("title", ""),
             when=when)


def _accept(note, viewer, now) -> list[Action]:
    """"Accept" on an invitation, while it is still waiting for this reader's answer."""
    from server.extensions import db
    from server.teams.models import Membership
    membership_id = (note.params or {}).get("membership_id")
    m = db.session.get(Membership, membership_id) if membership_id else None
    if m is None or viewer is None or m.user_id != viewer.id or m.state != "invited":
        return []
    return [Action(label=_l("Accept"),
                   url=url_for("teams_pages.answer", membership_id=m.id, action="accept"),
                   confirm=_l("Join this team?"))]


declare("team_invited", topic="teams", link=_team_page, actions=_accept, names=("leader",),
        text=lambda p: _(
    "%(leader)s invited you to join the volunteer team “%(team)s”. Open the team to accept "
    "or decline.", leader=p.get("leader", ""), team=p.get("team", "")))
declare("team_join_requested", topic="teams", link=_manage_page, names=("name",),
        text=lambda p: _(
    "%(name)s asked to join “%(team)s”. Approve or decline the request.",
    name=p.get("name", ""), team=p.get("team", "")))
declare("team_request_approved", topic="teams", link=_team_page, text=lambda p: _(
    "Welcome: your request to join “%(team)s” was approved.", team=p.get("team", "")))
declare("team_request_declined", topic="teams", link=_team_page, text=lambda p: _(
    "Your request to join “%(team)s” was declined.", team=p.get("team", "")))
declare("team_invitation_accepted", topic="teams", link=_manage_page, names=("name",),
        text=lambda p: _(
    "%(name)s accepted the invitation to “%(team)s”.", name=p.get("name", ""),
    team=p.get("team", "")))
declare("team_invitation_declined", topic="teams", link=_manage_page, names=("name",),
        text=lambda p: _(
    "%(name)s declined the invitation to “%(team)s”.", name=p.get("name", ""),
    team=p.get("team", "")))
declare("team_removed", topic="teams", link=_team_page, text=lambda p: _(
    "A leader removed you from “%(team)s”: %(reason)s", team=p.get("team", ""),
    reason=p.get("reason", "")))
declare("team_signed_up", topic="changes", link=_activity_page, text=_signed_up,
        names=("leader",))
