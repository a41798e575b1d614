"""Export pages (thin): my exports, one export's progress, its file."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from server.core import clock, timefmt
from server.core.pages import is_htmx, me
from server.exports import services
from server.exports.api import file_response

bp = Blueprint("export_jobs", __name__)


@bp.route("/exports")
@login_required
def index():
    return render_template("exports/index.html", jobs=services.mine(me()),
                           moment=timefmt.moment)


@bp.route("/exports/<int:job_id>")
@login_required
def job_page(job_id: int):
    """Progress while it runs (the fragment polls itself), then the download."""
    job = services.get_for(job_id, viewer=me())
    template = "exports/_progress.html" if is_htmx() else "exports/job.html"
    return render_template(template, job=job, percent=services.percent(job),
                           moment=timefmt.moment, error_message=services.error_text)


@bp.route("/exports/<int:job_id>/file")
@login_required
def download(job_id: int):
    job = services.get_for(job_id, viewer=me())
    services.check_ready(job, now=clock.now())
    return file_response(job)
