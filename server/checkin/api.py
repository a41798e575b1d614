"""/api/v1 check-in: personal codes, scans (live and offline), scanner state, venue codes.

A scan's answer is a recorded fact, failed scans included, so every answered scan is a
200 with its `result` code (and a replayed nonce gets the very same answer, if it is the
same scanner's on the same activity; otherwise `nonce_reused`); 4xx is kept for requests
that could not be answered at all (bad input, not logged in, no activity).
"""

from __future__ import annotations

import dataclasses
import functools

from flask import Response, current_app, g, request, session
from flask_login import current_user, login_required

from server.accounts import sessions
from server.accounts.family import acting_for
from server.activities.services import can_oversee, get_activity
from server.checkin import batch, codes, live, paper, paper_pdf, qr, roster, services
from server.checkin.schemas import (
    BatchIn,
    BatchOut,
    CountsOut,
    MyCodeArgs,
    MyCodeOut,
    PaperBatchIn,
    PaperBatchOut,
    RosterRowOut,
    ScanIn,
    ScanLogArgs,
    ScanLogOut,
    ScannerStateArgs,
    ScannerStateOut,
    ScanOut,
    SearchArgs,
    SelfCheckInIn,
    SheetOut,
    VenueCodeOut,
)
from server.core import clock
from server.core.api import Blueprint
from server.core.errors import Forbidden
from server.core.http import commit_before_answer

scanning = Blueprint("checkin", __name__, url_prefix="/api/v1/activities",
                     description="Check-in and check-out at an activity.")
my_code = Blueprint("my_code", __name__, url_prefix="/api/v1/me/code",
                    description="The logged-in person's personal QR code.")
blueprints = [scanning, my_code]


def _overseen(activity_id: int):
    activity = get_activity(activity_id, viewer=current_user)
    if not can_oversee(current_user, activity):
        raise Forbidden()
    return activity


def _actor():
    return current_user._get_current_object()


def _carried_login() -> str | None:
    """The hash of the login token the session cookie carries, not yet checked."""
    token = session.get("_user_id")
    return sessions.token_hash(token) if isinstance(token, str) else None


def _login_or_carried(view):
    """login_required, except that a session cookie carrying a login lets the scan's own
    statement check that login (checkin.live) instead of loading the person first; a
    request without one is refused before its body is read, as login_required does."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if _carried_login() is None and not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)
    checked.needs_login = True  # documented as login_required's (server.core.api)
    return checked


@scanning.route("/<int:activity_id>/scans", methods=["POST"])
@_login_or_carried
@scanning.arguments(ScanIn)
@scanning.response(200, ScanOut)
def scan(data, activity_id):
    """Redeem one scanned personal code, or a signed-up person found by search (user_id),
    or a person by their full phone number (a walk-in)."""
    req = batch.request_from(activity_id, data, "organiser_scan", operator=None,
                             ip=request.remote_addr)
    now = clock.now()
    # the common case (a code, `ok` or a repeat) in a few statements, the login checked in
    # the same read; the rest, and any doubt, goes the whole way (live.py says which)
    carried = _carried_login()
    answered = live.redeem_code(req, now=now, login_hash=carried) if carried else None
    if answered is not None:
        g.login_locale = answered.operator_locale  # the answer's language (app._select_locale)
        commit_before_answer()  # a plain answer: the locks go before it is written out
        return answered
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    get_activity(activity_id, viewer=current_user)
    return services.redeem(dataclasses.replace(req, operator=_actor()), now=now)


@scanning.route("/<int:activity_id>/scans")
@login_required
@scanning.arguments(ScanLogArgs, location="query")
@scanning.response(200, ScanLogOut(many=True))
def scan_log(args, activity_id):
    """Every scan of the activity, failed ones and duplicates included, newest first."""
    return roster.scan_log(_overseen(activity_id), result=args["result"], limit=args["limit"])


@scanning.route("/<int:activity_id>/scans/batch", methods=["POST"])
@login_required
@scanning.arguments(BatchIn)
@scanning.response(200, BatchOut)
def upload(data, activity_id):
    """Upload scans queued offline; each gets its own answer, replays change nothing."""
    get_activity(activity_id, viewer=current_user)
    return {"results": batch.upload(activity_id, data["scans"], operator=_actor(),
                                    now=clock.now(), ip=request.remote_addr)}


@scanning.route("/<int:activity_id>/scanner")
@login_required
@scanning.arguments(ScannerStateArgs, location="query")
@scanning.response(200, ScannerStateOut)
def scanner_state(args, activity_id):
    """Live counts and the roster a scanner caches to decide entry while offline: the
    whole list, or with `since` (the last answer's `cursor`) what changed since."""
    activity = _overseen(activity_id)
    return {"activity_id": activity.id, "title": activity.title,
            "counts": services.counts(activity),
            **roster.offline_roster(activity, since=args["since"], now=clock.now())}


@scanning.route("/<int:activity_id>/scanner/counts")
@login_required
@scanning.response(200, CountsOut)
def scanner_counts(activity_id):
    """Just the live counts: what a scanner polls between roster refreshes."""
    return services.counts(_overseen(activity_id))


@scanning.route("/<int:activity_id>/scanner/search")
@login_required
@scanning.arguments(SearchArgs, location="query")
@scanning.response(200, RosterRowOut(many=True))
def search(args, activity_id):
    """Find a signed-up person by name or the last digits of their phone."""
    return roster.search(_overseen(activity_id), args["q"])


@scanning.route("/<int:activity_id>/venue-code")
@login_required
@scanning.response(200, VenueCodeOut)
def venue_code(activity_id):
    """The rotating self check-in link (changes every step) and the printable poster link."""
    activity = _overseen(activity_id)
    path, left = codes.venue_path(activity.id, now=clock.now())
    return {"url": request.host_url.rstrip("/") + path, "seconds_left": left,
            "poster_url": request.host_url.rstrip("/") + codes.poster_path(activity.id)}


@scanning.route("/<int:activity_id>/self-checkin", methods=["POST"])
@login_required
@scanning.arguments(SelfCheckInIn)
@scanning.response(200, ScanOut)
def self_check_in(data, activity_id):
    """Check oneself in or out (`direction`: what the person pressed) with the venue code's
    step and signature; the position, if given, is the browser's (WGS-84)."""
    return services.self_check_in(activity_id, user=_actor(), step=data["step"],
                                  mac=data["mac"], direction=data["direction"],
                                  nonce=data["nonce"], now=clock.now(), ip=request.remote_addr,
                                  latitude=data["latitude"], longitude=data["longitude"])


@scanning.route("/<int:activity_id>/paper-sheet")
@login_required
@scanning.response(200, SheetOut)
def paper_sheet(activity_id):
    """The paper sign-in sheet's rows: the places (not the waitlist), phones masked, and
    each row's code (valid on this activity's sheet only)."""
    activity = _overseen(activity_id)
    return {"activity_id": activity.id, "title": activity.title,
            "rows": paper.sheet(activity)}


@scanning.route("/<int:activity_id>/paper-sheet.pdf")
@login_required
@scanning.response(200, description="The sheet as an A4 PDF")
def paper_sheet_pdf(activity_id):
    """The paper sign-in sheet as an A4 PDF to print."""
    activity = _overseen(activity_id)
    return sheet_pdf_response(activity)


def sheet_pdf_response(activity) -> Response:
    body = paper_pdf.render(activity, paper.sheet(activity))
    return Response(body, mimetype="application/pdf", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="wushe-sheet-{activity.id}.pdf"'})


@scanning.route("/<int:activity_id>/paper-sheet/entries", methods=["POST"])
@login_required
@scanning.arguments(PaperBatchIn)
@scanning.response(200, PaperBatchOut)
def paper_entries(data, activity_id):
    """Enter a paper sheet's ticks in one batch: all rows or none (422 with each wrong
    row's reason); the same nonce again returns the first answer and saves nothing."""
    get_activity(activity_id, viewer=current_user)
    ticks = [paper.Tick(**row) for row in data["rows"]]
    return paper.enter(activity_id, ticks, nonce=data["nonce"], operator=_actor(),
                       now=clock.now())


def _code_out(person, code) -> dict:
    return {"payload": codes.personal_payload(code), "created_at": code.created_at,
            "user_id": person.id, "user_name": person.name}


@my_code.route("")
@login_required
@my_code.arguments(MyCodeArgs, location="query")
@my_code.response(200, MyCodeOut)
def show_code(args):
    """The personal code's text (what the QR encodes); one's family member's with
    `member_id`."""
    person = acting_for(_actor(), args["member_id"])
    return _code_out(person, codes.active_code(person, now=clock.now()))


@my_code.route("", methods=["POST"])
@login_required
@my_code.arguments(MyCodeArgs, location="query")
@my_code.response(201, MyCodeOut)
def regenerate(args):
    """Replace the personal code (or a family member's); the old one answers `revoked`
    from now on."""
    person = acting_for(_actor(), args["member_id"])
    return _code_out(person, codes.regenerate(person, now=clock.now()))


@my_code.route("/qr.<any(svg, png):fmt>")
@login_required
@my_code.arguments(MyCodeArgs, location="query")
@my_code.response(200, description="The QR image")
def image(args, fmt):
    """The personal QR as SVG (pages) or PNG (download); a family member's with
    `member_id`."""
    person = acting_for(_actor(), args["member_id"])
    payload = codes.personal_payload(codes.active_code(person, now=clock.now()))
    if fmt == "svg":
        return Response(qr.svg(payload), mimetype="image/svg+xml",
                        headers={"Cache-Control": "no-store"})
    return Response(qr.png(payload), mimetype="image/png",
                    headers={"Cache-Control": "no-store",
                             "Content-Disposition": 'attachment; filename="wushe-code.png"'})
