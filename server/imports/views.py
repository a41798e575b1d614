"""Roster import pages (thin): upload, the preview (totals and a page of rows),
confirm, the template and the rejected rows as Excel files."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wsgi import wrap_file

from server.accounts import permissions
from server.communities import services as communities
from server.communities.models import Node
from server.core import clock
from server.core.errors import Forbidden, ValidationError, WusheError
from server.core.numbers import id_arg
from server.core.pages import is_htmx, load_args, me, problem
from server.imports import jobs, resolve, services, workbooks
from server.imports.errors import REASONS
from server.imports.models import ImportFile
from server.imports.schemas import PageArgs
from server.imports.sheet import MAX_BYTES, MAX_ROWS

bp = Blueprint("import_pages", __name__)


def preview_data(file: ImportFile, args: dict) -> dict:
    rows, total = services.page(file, sheet=args["sheet"], status=args["status"],
                                page_no=args["page"], per_page=args["per_page"])
    return {"id": file.id, "node_id": file.node_id, "filename": file.filename,
            "sha256": file.sha256, "size": file.size, "status": file.status,
            "uploaded_at": file.uploaded_at, "confirmed_at": file.confirmed_at,
            "written": file.written or {}, "headers": file.headers or {},
            "rows_total": file.rows_total, "rows_done": file.rows_done,
            "percent": jobs.percent(file), "error_code": file.error_code,
            "error_message": jobs.error_text(file),
            "totals": resolve.totals(file.id), "sheet": args["sheet"], "page": args["page"],
            "per_page": args["per_page"], "total_rows": total, "rows": rows}


def _staff():
    user = me()
    if not permissions.assignments(user, *services.STAFF_ROLES):
        raise Forbidden()
    return user


def _nodes(user) -> list[Node]:
    nodes: dict[int, Node] = {}
    for grant in permissions.assignments(user, *services.STAFF_ROLES):
        for node in communities.subtree(grant.node):
            nodes.setdefault(node.id, node)
    return sorted(nodes.values(), key=lambda n: [int(p) for p in n.path.strip("/").split("/")])


def _upload_page(user, *, message=None, errors=None, status=200):
    return render_template("imports/upload.html", nodes=_nodes(user),
                           imports=services.imports_for(user), message=message,
                           errors=errors or {}, max_mb=MAX_BYTES // 1_000_000,
                           max_rows=MAX_ROWS, values=request.form), status


def _xlsx(fh, name: str, fallback: str) -> Response:
    size = fh.seek(0, 2)
    fh.seek(0)
    resp = Response(wrap_file(request.environ, fh), mimetype=workbooks.XLSX_MIME,
                    direct_passthrough=True)
    resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/coordinator/imports", methods=["GET", "POST"])
@login_required
def upload():
    """Upload a roster (.xlsx) of volunteers and past hours, for a preview."""
    user = _staff()
    if request.method == "GET":
        return _upload_page(user)
    try:
        node_id = id_arg(request.form.get("node_id"))
        node = communities.get_node(node_id) if node_id else None
        if node is None:
            raise ValidationError(errors={"node_id": ["required"]})
        sent = request.files.get("file")
        if sent is None or not sent.filename:  # no file chosen: not "this is not a workbook"
            raise ValidationError(errors={"file": ["required"]})
        file = services.receive(actor=user, node=node, filename=sent.filename,
                                stream=sent.stream, now=clock.now())
    except WusheError as exc:
        message, fields, status = problem(exc)
        return _upload_page(user, message=message, errors=fields, status=status)
    return redirect(url_for(".preview", import_id=file.id))


@bp.route("/coordinator/imports/template.xlsx")
@login_required
def template():
    """The roster template: 志愿者 and 服务时长 sheets with their headers."""
    _staff()
    return _xlsx(workbooks.template(), "志愿者导入模板.xlsx", "wushe-roster-template.xlsx")


@bp.route("/coordinator/imports/<int:import_id>")
@login_required
def preview(import_id: int):
    """What the file holds: totals per reason and the rows, a page at a time (while a
    large file is checked, its progress)."""
    file = services.get_import(import_id, _staff())
    if is_htmx() or file.status not in ("checked", "confirmed"):
        return _checking(file)
    args = load_args(PageArgs())
    args["per_page"] = min(args["per_page"], 100)
    data = preview_data(file, args)
    pages = max(1, -(-data["total_rows"] // data["per_page"]))
    return render_template("imports/preview.html", file=file, data=data, pages=pages,
                           reasons=REASONS, node=communities.get_node(file.node_id))


def _checking(file: ImportFile) -> Response:
    """The check's progress; the fragment polls itself (htmx) and, once the file is
    checked, has the browser load the preview."""
    template = "imports/_checking.html" if is_htmx() else "imports/checking.html"
    resp = make_response(render_template(template, file=file, percent=jobs.percent(file),
                                         error_message=jobs.error_text(file)))
    if is_htmx() and file.status in ("checked", "confirmed"):
        resp.headers["HX-Refresh"] = "true"
    return resp


@bp.route("/coordinator/imports/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm(import_id: int):
    """Write what the preview accepted, in one go."""
    user = _staff()
    services.confirm(services.get_import(import_id, user), actor=user, now=clock.now())
    return redirect(url_for(".preview", import_id=import_id))


@bp.route("/coordinator/imports/<int:import_id>/rejected.xlsx")
@login_required
def rejected(import_id: int):
    """The refused rows with their reasons, to correct and upload again."""
    file = services.get_import(import_id, _staff())
    return _xlsx(workbooks.rejected(file), f"未导入的行-{file.id}.xlsx",
                 f"wushe-import-{file.id}-rejected.xlsx")
