"""Organiser pages for paper sign-in sheets (thin): download the PDF, and enter the ticks
back in one batch (a form of the sheet's rows). Organisers and coordinators above only."""

from __future__ import annotations

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
from server.core.errors import NotFound, ValidationError
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


def _time(activity, text: str) -> datetime | None:
    """"HH:MM" written on the sheet, Beijing time, on the activity's day it belongs to."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        hours, minutes = (int(x) for x in text.split(":")[:2])
        return paper.sheet_time(activity, hours, minutes)
    except ValueError:
        raise ValidationError(errors={f"time-{text[:10]}": ["invalid"]}) from None


def _ticks(activity, rows) -> list[paper.Tick]:
    form = request.form
    entry, exit_ = set(form.getlist("entry")), set(form.getlist("exit"))
    return [paper.Tick(signup_id=r.signup.id, entry=str(r.signup.id) in entry,
                       exit=str(r.signup.id) in exit_,
                       entry_time=_time(activity, form.get(f"entry_time-{r.signup.id}", "")),
                       exit_time=_time(activity, form.get(f"exit_time-{r.signup.id}", "")))
            for r in rows]


@bp.route("/manage/<int:activity_id>/paper-sheet", methods=["GET", "POST"])
@login_required
def paper_entry(activity_id: int):
    """Enter a paper sheet's ticks: every row at once, or none if one is wrong."""
    activity = _overseen(activity_id)
    rows = paper.sheet(activity)
    message, row_errors, status = None, {}, 200
    if request.method == "POST":
        try:
            batch = paper.enter(activity.id, _ticks(activity, rows),
                                nonce=request.form.get("nonce", ""), operator=me(),
                                now=clock.now())
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
