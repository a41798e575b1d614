"""Page endpoints (thin): my code, and the self check-in landing a venue QR opens.
The organiser's pages (scanner, venue code, poster) are in manage_views.py."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import marshmallow as ma
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from server.accounts import family
from server.activities import signups
from server.activities.services import get_activity
from server.checkin import codes, qr, services
from server.checkin.errors import result_text
from server.checkin.schemas import SelfCheckInIn
from server.core import clock
from server.core.numbers import id_arg
from server.core.pages import load_form, me

bp = Blueprint("checkin_pages", __name__)

# The venue link a volunteer opened, kept while they log in: {activity_id, step, mac, seen_at}
HELD = "held_checkin"


@bp.app_template_global()
def qr_svg(text: str, label: str) -> Markup:
    """An inline, scalable QR (black modules on a white quiet zone) with an accessible name."""
    svg = qr.svg(text).replace(
        "<svg ", f'<svg class="qr-svg" role="img" aria-label="{Markup.escape(label)}" '
        'shape-rendering="crispEdges" ', 1)
    return Markup(svg)  # the qrcode package's own SVG: no user text in it


def _member_id() -> int | None:
    return id_arg(request.values.get("member"))


@bp.route("/code")
@login_required
def my_code():
    """My personal QR code, shown to the organiser at the venue; a tab for each family
    member I manage, with theirs."""
    user = me()
    person = family.acting_for(user, _member_id())
    code = codes.active_code(person, now=clock.now())
    return render_template("checkin/my_code.html", code=code, person=person,
                           members=family.members_of(user),
                           payload=codes.personal_payload(code))


@bp.route("/code/regenerate", methods=["POST"])
@login_required
def regenerate():
    """Replace my code (or my family member's); the old one answers `revoked` from now on."""
    person = family.acting_for(me(), _member_id())
    codes.regenerate(person, now=clock.now())
    flash(_("New code ready. Your old code no longer works."), "success")
    member = person.id if person.managed_by_id else None
    return redirect(url_for("checkin_pages.my_code", member=member))


# self check-in ---------------------------------------------------------------------------

def _held_seen_at(activity_id: int, step: str, mac: str, now: datetime) -> datetime | None:
    """When this browser first opened this very link, if that was recent enough."""
    held = session.get(HELD)
    if not held or (held.get("activity_id"), held.get("step"), held.get("mac")) != (
            activity_id, step, mac):
        return None
    try:
        seen = datetime.fromisoformat(held["seen_at"])
    except (KeyError, TypeError, ValueError):
        return None
    hold = timedelta(minutes=current_app.config["SELF_CHECKIN_HOLD_MINUTES"])
    return seen if now - hold <= seen <= now else None


def _location() -> tuple[float | None, float | None]:
    """The browser's position as sent (WGS-84), or nothing: never a reason to refuse."""
    try:
        data = load_form(SelfCheckInIn(only=("latitude", "longitude")))
    except ma.ValidationError:
        return None, None
    return data.get("latitude"), data.get("longitude")


def _bad_link(result: str):
    return render_template("checkin/self_result.html", ok=False,
                           title=result_text(result), result=result,
                           message=_("Scan the code the organiser shows at the venue now."))


@bp.route("/c/<int:activity_id>/<step>/<mac>", methods=["GET", "POST"])
def venue_landing(activity_id: int, step: str, mac: str):
    """Self check-in: a volunteer scanned the venue code (rotating, or the poster)."""
    now = clock.now()
    if len(step) > 20 or len(mac) > 40:
        return _bad_link("invalid_code")
    seen_at = _held_seen_at(activity_id, step, mac, now)
    failure = codes.check_venue(activity_id, step, mac, now=seen_at or now)
    if failure:
        return _bad_link(failure)
    if seen_at is None:
        session[HELD] = {"activity_id": activity_id, "step": step, "mac": mac,
                         "seen_at": now.isoformat()}
    user = me()
    if user is None:
        return redirect(url_for("accounts_pages.login", next=request.path))
    activity = get_activity(activity_id, viewer=user)
    if request.method == "GET":
        return render_template("checkin/self_confirm.html", activity=activity,
                               direction=services.next_direction(activity_id, user),
                               nonce=secrets.token_urlsafe(18),
                               signed_up=signups.live_signup(activity_id, user.id) is not None)
    # what the person pressed, and the form's nonce: a second tap is answered
    # "already checked in" by the service (the API's rule too), never a check-out
    data = load_form(SelfCheckInIn(only=("direction", "nonce")))
    latitude, longitude = _location()
    scan = services.self_check_in(activity_id, user=user, step=step, mac=mac, now=now,
                                  direction=data["direction"], nonce=data["nonce"],
                                  seen_at=seen_at, ip=request.remote_addr,
                                  latitude=latitude, longitude=longitude)
    session.pop(HELD, None)
    if scan.result in ("already_checked_in", "already_checked_out"):
        return render_template("checkin/self_result.html", ok=True, activity=activity,
                               title=result_text(scan.result), result=scan.result,
                               message=None)
    if scan.result == "ok":
        moment = f"{clock.local(scan.effective_time):%H:%M}"
        title = (_("Checked out at %(time)s", time=moment) if scan.direction == "exit"
                 else _("Checked in at %(time)s", time=moment))
        return render_template("checkin/self_result.html", ok=True, activity=activity,
                               title=title, result="ok", message=None)
    return render_template("checkin/self_result.html", ok=False, activity=activity,
                           title=result_text(scan.result, scan.direction), result=scan.result,
                           message=None)


# Organiser pages register their routes on `bp` when imported.
from server.checkin import manage_views, paper_views  # noqa: E402,F401
