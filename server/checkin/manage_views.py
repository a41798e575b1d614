"""Organiser page endpoints (thin): the camera scanner, the rotating venue code and the
printable poster. Organisers of the activity and coordinators above it only."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.activities.models import Activity
from server.activities.services import can_oversee, get_activity
from server.checkin import codes, qr, services
from server.checkin.errors import RESULT_TEXT
from server.checkin.views import bp
from server.core import clock
from server.core.errors import Forbidden
from server.core.pages import me


def _overseen(activity_id: int) -> Activity:
    activity = get_activity(activity_id, viewer=me())
    if not can_oversee(me(), activity):
        raise Forbidden()
    return activity


def _absolute(path: str) -> str:
    return request.host_url.rstrip("/") + path


@bp.app_template_global()
def checkin_counts(activity: Activity) -> services.Counts:
    """Signed up / present / left, for the organiser's activity page."""
    return services.counts(activity)


def _scanner_texts() -> dict[str, str]:
    """Everything the scanner's JavaScript says, translated here; {n} is filled in by JS."""
    texts = {code: str(text) for code, text in RESULT_TEXT.items()}
    texts.update({
        "queued": _("Saved on this phone: it uploads when the network is back"),
        "not_on_roster": _("Not on the list saved on this phone"),
        "offline": _("Offline"),
        "waiting": _("%(n)s waiting", n="{n}"),
        "uploading": _("Uploading…"),
        "upload_failed": _("Upload failed: %(reason)s", reason="{n}"),
        "network": _("Network problem. Please try again later."),
        "no_camera": _("The camera is not available. Find people with the search box."),
        "no_match": _("Nobody found among those signed up."),
        "by_phone": _("Not on the list: look up %(phone)s to admit as a walk-in", phone="{n}"),
        "walk_in_refused": _("This number cannot be admitted here: ask them to show their "
                             "own code (My code), or register them as a resident first."),
        "family_of": _("Family member, signed up by %(name)s", name="{n}"),
        "waitlisted_tag": _("Waitlist"),
        "present_tag": _("Present"),
        "left_tag": _("Left"),
        "conflict": _("Phone: %(phone)s · Server: %(server)s", phone="{phone}",
                      server="{server}"),
    })
    return texts


@bp.route("/manage/<int:activity_id>/scanner")
@login_required
def scanner(activity_id: int):
    """The camera scanner: check people in and out, online or offline."""
    activity = _overseen(activity_id)
    base = f"/api/v1/activities/{activity.id}"
    config = {
        "activityId": activity.id,
        "operatorId": me().id,  # whose queued scans this page may send (offline-queue.js)
        "personalPrefix": codes.PERSONAL_PREFIX,
        "tokenLength": codes.TOKEN_LENGTH,  # a text with no token this long is no code of ours
        # when scans are taken (services.window_of), for the decisions made offline
        "window": dict(zip(("opens", "entryCloses", "exitCloses"),
                           (clock.as_utc(t).isoformat() for t in services.window_of(activity)),
                           strict=True)),
        "urls": {"scan": f"{base}/scans", "batch": "/api/v1/activities/{id}/scans/batch",
                 "state": f"{base}/scanner", "counts": f"{base}/scanner/counts",
                 "search": f"{base}/scanner/search",
                 "ponyfill": url_for("static", filename="vendor/barcode-detector/ponyfill.js"),
                 "wasm": url_for("static", filename="vendor/zxing/zxing_reader.wasm")},
        "text": _scanner_texts(),
    }
    return render_template("checkin/scanner.html", activity=activity, config=config)


def _venue(activity: Activity) -> dict:
    path, left = codes.venue_path(activity.id, now=clock.now())
    return {"activity": activity, "url": _absolute(path), "left": left}


@bp.route("/manage/<int:activity_id>/venue-code")
@login_required
def venue_code(activity_id: int):
    """The rotating self check-in code, full screen, for volunteers to scan."""
    return render_template("checkin/venue_code.html", **_venue(_overseen(activity_id)))


@bp.route("/manage/<int:activity_id>/venue-code/qr")
@login_required
def venue_qr(activity_id: int):
    """The current venue code as a fragment; it asks for the next one when it changes."""
    return render_template("checkin/_venue_qr.html", **_venue(_overseen(activity_id)))


@bp.route("/manage/<int:activity_id>/poster")
@login_required
def poster(activity_id: int):
    """A printable A4 poster with the activity's fixed self check-in code."""
    activity = _overseen(activity_id)
    return render_template("checkin/poster.html", activity=activity,
                           url=_absolute(codes.poster_path(activity.id)))


@bp.route("/manage/<int:activity_id>/poster.png")
@login_required
def poster_png(activity_id: int):
    """The poster's QR code as a PNG, for print shops and group chats."""
    activity = _overseen(activity_id)
    return Response(qr.png(_absolute(codes.poster_path(activity.id)), box=20),
                    mimetype="image/png", headers={
                        "Cache-Control": "no-store",
                        "Content-Disposition":
                            f'attachment; filename="wushe-checkin-{activity.id}.png"'})
