"""Organiser pages for paper sign-in sheets (thin): download the PDF, and enter the ticks
back in one batch (a form of the sheet's rows). Organisers and coordinators above only."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.activities.services import get_activity
from server.checkin import paper
from server.checkin.api import sheet_pdf_response
from server.checkin.errors import PaperRowsRefused, result_text
from server.checkin.models import PaperBatch
from server.checkin.views import bp
from server.core import clock
from server.core.errors import NotFound
from server.core.pages import FORM_ERRORS, me, problem
from server.extensions import db


def _overseen(activity_id: int):
    get_activity(activity_id, viewer=me())
    return paper.overseen(activity_id, me())


@bp.route("/manage/<int:activity_id>/paper-sheet.pdf")
@login_required
def paper_pdf(activity_id: int):
    """The printable A4 sign-in sheet."""
    return sheet_pdf_response(_overseen(activity_id))


# what a time box sends (type="time": "09:30", or "09:30:00" with seconds), and what a
# phone without one lets people type: "9:30", "9：30" (a Chinese keyboard's colon)
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?")


class _BadTime(Exception):
    pass


def _time(activity, text: str) -> datetime | None:
    """"HH:MM" written on the sheet, Beijing time, on the activity's day it belongs to."""
    text = (text or "").strip()
    if not text:
        return None
    found = _CLOCK.fullmatch(text)
    if found is None:
        raise _BadTime()
    hours, minutes = int(found[1]), int(found[2])
    if hours > 23 or minutes > 59:
        raise _BadTime()
    return paper.sheet_time(activity, hours, minutes)


def _ticks(activity, rows) -> tuple[list[paper.Tick], dict[int, str]]:
    """The form's ticks, and the rows whose written time is not a time of day (each told
    so beside its row; nothing is entered until they are put right)."""
    form = request.form
    entry, exit_ = set(form.getlist("entry")), set(form.getlist("exit"))
    ticks, wrong = [], {}
    for r in rows:
        sid = r.signup.id
        try:
            times = [_time(activity, form.get(f"{d}_time-{sid}", "")) for d in ("entry", "exit")]
        except _BadTime:
            wrong[sid] = _("Write the time as hours:minutes, e.g. 09:30.")
            continue
        ticks.append(paper.Tick(signup_id=sid, entry=str(sid) in entry, exit=str(sid) in exit_,
                                entry_time=times[0], exit_time=times[1]))
    return ticks, wrong


@bp.route("/manage/<int:activity_id>/paper-sheet", methods=["GET", "POST"])
@login_required
def paper_entry(activity_id: int):
    """Enter a paper sheet's ticks: every row at once, or none if one is wrong."""
    activity = _overseen(activity_id)
    rows = paper.sheet(activity)
    message, status = None, 200
    ticks, row_errors = _ticks(activity, rows) if request.method == "POST" else ([], {})
    if row_errors:
        message, status = _("Some times on the sheet are not times of day: see the rows "
                            "marked."), 422
    elif request.method == "POST":
        try:
            batch = paper.enter(activity.id, ticks, nonce=request.form.get("nonce", ""),
                                operator=me(), now=clock.now())
        except FORM_ERRORS as exc:
            message, _fields, status = problem(exc)
            if isinstance(exc, PaperRowsRefused):
                row_errors = {rows[i].signup.id: str(paper_reason)
                              for i, paper_reason in _reasons(exc).items()}
        else:
            flash(_("The sheet was entered. The hours go to review."), "success")
            return redirect(url_for("checkin_pages.paper_done", activity_id=activity.id,
                                    batch_id=batch.id))
    return render_template("checkin/paper_entry.html", activity=activity, rows=rows,
                           scan_config=_scan_config(),
                           nonce=request.form.get("nonce") or secrets.token_urlsafe(18),
                           message=message, row_errors=row_errors, values=request.form,
                           batches=paper.batches(activity)), status


def _scan_config() -> dict:
    """What the sheet's scanning script needs; every text it shows, translated here."""
    return {
        "urls": {"ponyfill": url_for("static", filename="vendor/barcode-detector/ponyfill.js"),
                 "wasm": url_for("static", filename="vendor/zxing/zxing_reader.wasm")},
        "text": {"entry": _("%(name)s: check-in ticked", name="{name}"),
                 "exit": _("%(name)s: check-out ticked", name="{name}"),
                 "not_this_sheet": _("Not a code of this activity's sheet."),
                 "personal": _("This is a personal code: scan the code printed on the sheet."),
                 "no_camera": _("The camera is not available. Tick the rows by hand.")},
    }


@bp.app_template_global()
def scan_result_text(result: str, direction: str) -> str:
    return result_text(result, direction)


def _reasons(exc: PaperRowsRefused) -> dict[int, str]:
    from server.checkin.errors import ROW_REASONS
    return {i: ROW_REASONS[code] for i, code in exc.row_codes.items()}


@bp.route("/manage/<int:activity_id>/paper-sheet/<int:batch_id>")
@login_required
def paper_done(activity_id: int, batch_id: int):
    """What one entered sheet recorded, row by row."""
    activity = _overseen(activity_id)
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None or batch.activity_id != activity.id:
        raise NotFound()
    return render_template("checkin/paper_done.html", activity=activity, batch=batch,
                           rows=paper.entered_rows(batch))
