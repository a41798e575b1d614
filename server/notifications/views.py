"""Page endpoints (thin): the notification centre (我的 → 消息), opening and marking
messages read, and which channels each kind of message reaches one on."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from server.core import clock
from server.core.pages import FORM_ERRORS, is_htmx, load_args, me, problem
from server.notifications import kinds, services
from server.notifications.schemas import InboxArgs, ReadAllIn

bp = Blueprint("notification_pages", __name__)


@bp.route("/me/notifications")
@login_required
def centre():
    """My messages, newest first, a page at a time; opening the page marks nothing read."""
    args = load_args(InboxArgs())
    user = me()
    notes = services.inbox(user.id, before_id=args["before_id"], unread_only=args["unread"],
                           limit=services.PAGE_SIZE + 1)
    more = notes[services.PAGE_SIZE - 1].id if len(notes) > services.PAGE_SIZE else None
    items = services.items(notes[:services.PAGE_SIZE], user, now=clock.now())
    context = {"items": items, "more": more, "unread_only": args["unread"]}
    if is_htmx() and args["before_id"] is not None:
        return render_template("notifications/_page.html", **context)
    return render_template("notifications/centre.html", newest_id=services.newest_id(user.id),
                           **context)


@bp.route("/me/notifications/<int:note_id>")
@login_required
def open_one(note_id: int):
    """Open a message: it is marked read, and leads to what it is about."""
    note = services.mark_read(me().id, note_id, now=clock.now())
    return redirect(services.link(note) or url_for(".centre", _anchor=f"n{note.id}"))


@bp.route("/me/notifications/<int:note_id>/read", methods=["POST"])
@login_required
def read_one(note_id: int):
    """Mark one message read without opening it."""
    user = me()
    note = services.mark_read(user.id, note_id, now=clock.now())
    if is_htmx():
        item = services.items([note], user, now=clock.now())[0]
        return render_template("notifications/_item.html", item=item)
    return redirect(url_for(".centre", _anchor=f"n{note.id}"))


@bp.route("/me/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every message read, up to the newest the page showed."""
    try:
        up_to = ReadAllIn().load({"up_to_id": request.form.get("up_to_id") or None})
    except FORM_ERRORS:
        up_to = {"up_to_id": None}
    count = services.mark_all_read(me().id, now=clock.now(), up_to_id=up_to["up_to_id"])
    flash(ngettext("%(num)d message marked read.", "%(num)d messages marked read.", count),
          "success")
    return redirect(url_for(".centre"))


@bp.route("/me/notifications/badge")
def badge():
    """The unread count on the 我的 tab, for the tab bar to refresh itself (empty, and no
    more refreshing, once the login has ended)."""
    return render_template("notifications/_badge.html")


@bp.route("/me/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Which channels each kind of message reaches me on."""
    user = me()
    message, status = None, 200
    if request.method == "POST":
        wanted = {topic: request.form.getlist(topic) for topic in kinds.TOPICS}
        try:
            services.set_preferences(user.id, wanted, now=clock.now())
        except FORM_ERRORS as exc:
            message, _fields, status = problem(exc)
        else:
            flash(_("Your choices are saved."), "success")
            return redirect(url_for(".settings"))
    return render_template("notifications/settings.html", topics=kinds.TOPICS,
                           chosen=services.preferences(user.id),
                           channels=services.channel_choices(user), message=message), status
