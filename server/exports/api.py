"""/api/v1/exports: one's exports, their progress and their files."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask_login import login_required

from server.core import clock
from server.core.api import Blueprint
from server.core.pages import me
from server.exports import services
from server.exports.schemas import ExportJobOut

exports = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
                    description="Exports written in the background: progress and download.")
blueprints = [exports]


def file_response(job) -> Response:
    """The finished file, a block at a time, as an attachment (personal data: no cache)."""
    from urllib.parse import quote
    kind = services.kind_of(job.kind)
    resp = Response(stream_with_context(services.blocks(job.id)), mimetype=kind.mimetype,
                    direct_passthrough=True)
    resp.headers["Content-Length"] = str(job.size)
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"wushe-export-{job.id}.xlsx\"; "
        f"filename*=UTF-8''{quote(job.title, safe='')}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@exports.route("", methods=["GET"])
@login_required
@exports.response(200, ExportJobOut(many=True))
def my_exports():
    """My last 20 exports, newest first."""
    return services.mine(me())


@exports.route("/<int:job_id>", methods=["GET"])
@login_required
@exports.response(200, ExportJobOut)
def export_status(job_id):
    """One of my exports: its status and progress (poll every few seconds while it runs)."""
    return services.get_for(job_id, viewer=me())


@exports.route("/<int:job_id>/file", methods=["GET"])
@login_required
@exports.response(200, {"type": "string", "format": "binary"},
                  description="The finished file",
                  content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def download(job_id):
    """The file of one of my finished exports (kept for a day)."""
    job = services.get_for(job_id, viewer=me())
    services.check_ready(job, now=clock.now())
    return file_response(job)
