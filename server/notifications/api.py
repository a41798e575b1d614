"""/api/v1/me/notifications: the notification centre and one's choice of channels."""

from __future__ import annotations

from flask_login import current_user, login_required

from server.core import clock
from server.core.api import Blueprint
from server.notifications import services
from server.notifications.schemas import (
    InboxArgs,
    InboxOut,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    ReadAllIn,
    ReadAllOut,
    UnreadOut,
)

centre = Blueprint("notifications", __name__, url_prefix="/api/v1/me",
                   description="Messages: the list, unread count, marking read, and which "
                               "channels each kind of message reaches one on.")
blueprints = [centre]


def _me():
    return current_user._get_current_object()


@centre.route("/notifications", methods=["GET"])
@login_required
@centre.arguments(InboxArgs, location="query")
@centre.response(200, InboxOut)
def inbox(args):
    """One's messages, newest first, a page at a time; opening them marks nothing read."""
    user = _me()
    notes = services.inbox(user.id, before_id=args["before_id"], unread_only=args["unread"],
                           limit=services.PAGE_SIZE + 1)
    more = len(notes) > services.PAGE_SIZE
    notes = notes[:services.PAGE_SIZE]
    return {"items": services.items(notes, user, now=clock.now()),
            "unread": services.unread_count(user.id),
            "next_before_id": notes[-1].id if more else None,
            "newest_id": services.newest_id(user.id)}


@centre.route("/notifications/unread", methods=["GET"])
@login_required
@centre.response(200, UnreadOut)
def unread():
    """How many messages are unread (the badge on 我的)."""
    return {"unread": services.unread_count(_me().id)}


@centre.route("/notifications/<int:note_id>/read", methods=["POST"])
@login_required
@centre.response(200, NotificationOut)
def read_one(note_id: int):
    """Mark one message read."""
    user = _me()
    note = services.mark_read(user.id, note_id, now=clock.now())
    return services.items([note], user, now=clock.now())[0]


@centre.route("/notifications/read", methods=["POST"])
@login_required
@centre.arguments(ReadAllIn, required=False)
@centre.response(200, ReadAllOut)
def read_all(data):
    """Mark every message read, up to the list's `newest_id` the reader saw (`up_to_id`)."""
    return {"marked": services.mark_all_read(_me().id, now=clock.now(),
                                             up_to_id=(data or {}).get("up_to_id"))}


def preferences_view(user) -> dict:
    chosen = services.preferences(user.id)
    return {"channels": services.channel_choices(user),
            "topics": [{"topic": t, "name": str(name), "channels": sorted(chosen[t])}
                       for t, name in services.kinds.TOPICS.items()]}


@centre.route("/notification-preferences", methods=["GET"])
@login_required
@centre.response(200, PreferencesOut)
def preferences():
    """Which channels each kind of message reaches one on."""
    return preferences_view(_me())


@centre.route("/notification-preferences", methods=["PUT"])
@login_required
@centre.arguments(PreferencesIn)
@centre.response(200, PreferencesOut)
def set_preferences(data):
    """Choose the channels for some kinds of message (the others keep their choice)."""
    user = _me()
    services.set_preferences(user.id, data["topics"], now=clock.now())
    return preferences_view(user)
