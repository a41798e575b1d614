"""Hours export endpoints (thin): the coordinator's form page, the .xlsx download it
submits to, and the same download under /api/v1.

The workbook is written to an anonymous temporary file (memory stays flat for 100,000
rows) and streamed from there; the file disappears when the response is closed.
"""

from __future__ import annotations

import tempfile
from datetime import date
from urllib.parse import quote

import marshmallow as ma
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wsgi import wrap_file

from server.accounts import permissions
from server.accounts.models import User
from server.communities import services as communities
from server.communities.models import Node
from server.core import clock
from server.core.api import Blueprint as ApiBlueprint
from server.core.errors import Forbidden
from server.core.fields import EventDay, Id
from server.core.pages import FORM_ERRORS, form_input, me, problem
from server.exports import services as exports
from server.exports.errors import ExportTooLargeForDirect
from server.exports.schemas import ExportJobOut
from server.hours import export, export_jobs

bp = Blueprint("export_pages", __name__)
api_blp = ApiBlueprint("hours_export", __name__, url_prefix="/api/v1/hours",
                       description="Approved volunteer hours as an Excel workbook.")
blueprints = [api_blp]

STAFF_ROLES = ("coordinator", "admin")


class ExportArgs(ma.Schema):
    node_id = Id(required=True, metadata={"description": "the node; its subtree is included"})
    start = EventDay(required=True, metadata={"description": "first activity day (Beijing time)"})
    end = EventDay(required=True, metadata={"description": "last activity day, included; at most "
                                                      f"{export.MAX_DAYS} days after start"})


def export_nodes(user: User | None) -> list[Node]:
    """Every node a coordinator or admin may export, tree order, once each."""
    nodes: dict[int, Node] = {}
    for grant in permissions.assignments(user, *STAFF_ROLES):
        for node in communities.subtree(grant.node):
            nodes.setdefault(node.id, node)
    return sorted(nodes.values(), key=lambda n: [int(p) for p in n.path.strip("/").split("/")])


def xlsx_response(actor: User | None, node: Node, start: date, end: date) -> Response:
    """Check, write the workbook to a temporary file, and stream it as an attachment; an
    export too large to wait for is refused here (ask for it in the background)."""
    rows = export.count_rows(actor, node, start, end)
    if rows > current_app.config["EXPORT_DIRECT_MAX_ROWS"]:
        raise ExportTooLargeForDirect(rows=f"{rows:,}")
    fh = tempfile.TemporaryFile()
    try:
        export.write_export(fh, actor, node, start, end, clock.now())
        size = fh.tell()
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    name = export.export_filename(node, start, end)
    fallback = f"wushe-hours-{node.id}-{start.isoformat()}-{end.isoformat()}.xlsx"
    resp = Response(wrap_file(request.environ, fh), mimetype=export.XLSX_MIME,
                    direct_passthrough=True)
    resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}")
    resp.headers["Cache-Control"] = "no-store"  # personal data
    return resp


def _staff() -> User:
    user = me()
    if not permissions.assignments(user, *STAFF_ROLES):
        raise Forbidden()
    return user


def _form_page(user, *, values=None, message=None, fields=None, status=200):
    today = clock.local(clock.now()).date()
    values = {"start": today.replace(month=1, day=1).isoformat(), "end": today.isoformat(),
              **(values or {})}
    nodes = export_nodes(user)
    return render_template("hours/export.html", nodes=nodes, values=values,
                           max_days=export.MAX_DAYS, message=message,
                           errors=fields or {}), status


@bp.route("/coordinator/hours-export")
@login_required
def export_form():
    """Choose an area and a period, then download the hours as an Excel file."""
    return _form_page(_staff())


def ask_export(user: User, data: dict):
    """Record the export; write it now when small (the scheduler writes the rest)."""
    job = exports.ask(export_jobs.KIND, data, actor=user, now=clock.now())
    if exports.run_now(job):
        exports.perform(job, now=clock.now())
    return job


@bp.route("/coordinator/hours-export", methods=["POST"])
@login_required
def export_start():
    """Ask for the export: a small one is ready at once, a large one is written in the
    background while its page shows the progress."""
    user = _staff()
    try:
        data = ExportArgs().load(form_input(ExportArgs(), request.form), unknown=ma.EXCLUDE)
        job = ask_export(user, data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _form_page(user, values=request.form.to_dict(), message=message,
                          fields=fields, status=status)
    return redirect(url_for("export_jobs.job_page", job_id=job.id), code=303)


@bp.route("/coordinator/hours-export.xlsx")
@login_required
def export_download():
    """The Excel file for the chosen area and period (the form shows what went wrong)."""
    user = _staff()
    try:
        data = ExportArgs().load(form_input(ExportArgs(), request.args), unknown=ma.EXCLUDE)
        node = communities.get_node(data["node_id"])
        return xlsx_response(user, node, data["start"], data["end"])
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _form_page(user, values=request.args.to_dict(), message=message,
                          fields=fields, status=status)


@api_blp.route("/export.xlsx")
@login_required
@api_blp.arguments(ExportArgs, location="query")
@api_blp.response(200, {"type": "string", "format": "binary"},
                  description="The .xlsx workbook: sheets 明细 (one row per approved "
                  "entry, reversals included) and 汇总 (one row per volunteer)",
                  content_type=export.XLSX_MIME)
def export_api(args):
    """Approved hours of a node's subtree for a period, as an Excel download."""
    node = communities.get_node(args["node_id"])
    return xlsx_response(current_user._get_current_object(), node, args["start"],
                         args["end"])


@api_blp.route("/exports", methods=["POST"])
@login_required
@api_blp.arguments(ExportArgs)
@api_blp.response(202, ExportJobOut)
def export_job_api(data):
    """Ask for the hours export in the background: poll the export it returns
    (/api/v1/exports/{id}) and download its file_url once done. Small ones are done at once."""
    return ask_export(current_user._get_current_object(), data)
