"""Page endpoints (thin): the 五社联动 dashboard of a place, the list behind each figure,
and its downloads (Excel, the period report in PDF)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.activities.models import ACTIVITY_KINDS, FORCES
from server.core import clock, timefmt
from server.core.errors import Forbidden
from server.core.labels import ACTIVITY_KIND, FORCE, label
from server.core.numbers import page_arg
from server.core.pages import me
from server.exports import services as exports
from server.exports.errors import ExportTooLargeForDirect
from server.reports import export, export_jobs, lists, report_pdf, services
from server.reports.figures import DISTINCT, HEADLINES
from server.reports.labels import headline_label, own_label, period_label
from server.reports.periods import Period, month_of, quarter_of, year_of

bp = Blueprint("report_pages", __name__)
bp.add_app_template_filter(period_label, "period")


def quick_periods(now) -> list[Period]:
    today = clock.local(now).date()
    this_month, this_quarter, this_year = month_of(today), quarter_of(today), year_of(today)
    return [this_month, this_month.previous(), this_quarter, this_quarter.previous(),
            this_year, this_year.previous()]


# the figures the table of the places below shows (the Excel download has them all)
TABLED = ("activities", "person_times", "hours", "money_received")


def _own_row(d: services.Dashboard):
    """The place's own row in the table and chart, if it has anything they show."""
    return d.own if d.own is not None and any(d.own.headline(n) for n in TABLED) else None


def _chart_data(d: services.Dashboard) -> dict:
    rows = [(c.name, f) for c, f in d.children]
    if _own_row(d) is not None:
        rows.append((own_label(d.node.name), d.own))
    return {
        "trend": {"labels": [period_label(p) for p, _f in d.trend],
                  "series": [{"name": _("Activities held"),
                              "data": [f.activities for _p, f in d.trend]},
                             {"name": _("Volunteer person-times"),
                              "data": [f.get("person_times") for _p, f in d.trend]}]},
        "children": {"labels": [name for name, _f in rows],
                     "series": [{"name": _("Activities held"),
                                 "data": [f.activities for _n, f in rows]},
                                {"name": _("Volunteer person-times"),
                                 "data": [f.get("person_times") for _n, f in rows]}]},
    }


@bp.route("/stats")
@login_required
def home():
    """The statistics of the first place the reader coordinates, this month."""
    places = services.readable(me())
    if not places:
        raise Forbidden()
    return redirect(url_for(".dashboard", node_id=places[0].id))


@bp.route("/stats/<int:node_id>")
@login_required
def dashboard(node_id: int):
    """A place's 五社联动 figures for a period, compared and broken down."""
    now = clock.now()
    period = services.period_of(request.args.get("period"), now=now)
    d = services.dashboard(me(), node_id, period)
    today = clock.local(now).date()
    # a period still running is compared with a whole one: said, and when nothing is in it
    # yet (the first of a month), the period before is a tap away
    running = period.contains(today)
    return render_template(
        "reports/dashboard.html", d=d, headlines=HEADLINES, kinds=ACTIVITY_KINDS,
        so_far=timefmt.day(today, today) if running else None,
        nothing_yet=running and not any(d.now.headline(name) for name in HEADLINES),
        forces=FORCES, quick=quick_periods(now), places=services.readable(me()),
        charts=_chart_data(d), headline_label=headline_label, own_label=own_label,
        own=_own_row(d),
        kind_label=lambda k: label(ACTIVITY_KIND, k), force_label=lambda f: label(FORCE, f))


@bp.route("/stats/<int:node_id>/figures/<figure>")
@login_required
def behind(node_id: int, figure: str):
    """The records behind one figure, a page at a time."""
    period = services.period_of(request.args.get("period"), now=clock.now())
    node = services.get_node(me(), node_id)
    page = page_arg(request.args.get("page"), first=0, last=99_999)
    kind = request.args.get("kind") if request.args.get("kind") in ACTIVITY_KINDS else None
    listed = lists.behind(figure, node, period, page=page, kind=kind)
    compared = services.compare(node, period, figure)
    from server.donations.vocab import PLEDGE_STATE
    return render_template("reports/list.html", node=node, period=period, figure=figure,
                           listed=listed, page=page, kind=kind, compared=compared,
                           headline_label=headline_label, own_label=own_label,
                           distinct=DISTINCT, pledge_state=lambda s: label(PLEDGE_STATE, s))


@bp.route("/stats/<int:node_id>/export.xlsx")
@login_required
def download(node_id: int):
    """The dashboard (or, with ?figure=, the list behind a figure) as an Excel file."""
    period = services.period_of(request.args.get("period"), now=clock.now())
    figure = request.args.get("figure")
    if figure:
        node = services.get_node(me(), node_id)
        lists.behind(figure, node, period, page=0)  # refuses an unknown figure first
        rows = export.count_list(node, period, figure)
        if rows > current_app.config["EXPORT_DIRECT_MAX_ROWS"]:
            raise ExportTooLargeForDirect(rows=f"{rows:,}")
        stream, name = export.list_workbook(node, period, figure)
    else:
        d = services.dashboard(me(), node_id, period)
        stream, name = export.dashboard_workbook(d)
    return _attachment(stream, name, "application/vnd.openxmlformats-officedocument"
                                     ".spreadsheetml.sheet")


@bp.route("/stats/<int:node_id>/exports", methods=["POST"])
@login_required
def ask_export(node_id: int):
    """The whole list behind a figure as an Excel file: ready at once when small, written
    in the background (its page shows the progress) when large."""
    now = clock.now()
    job = exports.ask(export_jobs.KIND, {"node_id": node_id,
                                         "period": request.form.get("period", "")[:40],
                                         "figure": request.form.get("figure", "")[:40]},
                      actor=me(), now=now)
    if exports.run_now(job):
        exports.perform(job, now=now)
    return redirect(url_for("export_jobs.job_page", job_id=job.id), code=303)


@bp.route("/stats/<int:node_id>/report.pdf")
@login_required
def report(node_id: int):
    """The period report: one page that reads like the seed article's summary."""
    period = services.period_of(request.args.get("period"), now=clock.now())
    d = services.dashboard(me(), node_id, period)
    return _attachment([report_pdf.render(d)], report_pdf.filename(d), "application/pdf")


def _attachment(body, name: str, mimetype: str) -> Response:
    from urllib.parse import quote
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"wushe-stats.{name.rsplit('.', 1)[-1]}\"; "
        f"filename*=UTF-8''{quote(name)}")
    # names and hours of people: kept by no cache on the way, as every other download
    response.headers["Cache-Control"] = "no-store"
    return response
