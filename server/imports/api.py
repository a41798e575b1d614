"""/api/v1/imports: upload a roster for a preview, page through it, confirm it."""

from __future__ import annotations

from flask_login import login_required

from server.accounts import permissions
from server.communities import services as communities
from server.core import clock
from server.core.api import Blueprint
from server.core.pages import me
from server.imports import services
from server.imports.schemas import ImportOut, PageArgs, UploadIn
from server.imports.views import preview_data

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports",
                description="Bringing in an Excel roster of volunteers and their past hours.")
blueprints = [blp]
blp.before_request(permissions.gate(*services.STAFF_ROLES))


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(UploadIn, location="multipart")
@blp.response(201, ImportOut)
def upload(form):
    """Check an .xlsx roster and keep its preview; nothing else is written yet. A large
    roster is stored as "waiting" and checked in the background: poll it until it is
    "checked" (or "failed")."""
    node = communities.get_node(form["node_id"])
    upload = form["file"]
    file = services.receive(actor=me(), node=node, filename=upload.filename or "",
                            stream=upload.stream, now=clock.now())
    return preview_data(file, {"sheet": "people", "status": None, "page": 1, "per_page": 50})


@blp.route("/<int:import_id>", methods=["GET"])
@login_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, ImportOut)
def show(args, import_id):
    """An import's status and progress, its totals and one page of its rows (one sheet,
    optionally one status)."""
    return preview_data(services.get_import(import_id, me()), args)


@blp.route("/<int:import_id>/confirm", methods=["POST"])
@login_required
@blp.response(200, ImportOut)
def confirm(import_id):
    """Write what the preview accepted: new accounts, and imported hours that wait for the
    organising body's review."""
    file = services.confirm(services.get_import(import_id, me()), actor=me(),
                            now=clock.now())
    return preview_data(file, {"sheet": "people", "status": None, "page": 1, "per_page": 50})
