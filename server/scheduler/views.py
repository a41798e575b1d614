"""/admin/jobs (thin): what the scheduler does, who leads, and what failed, for admins."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask_login import login_required

from server.accounts import permissions
from server.core import clock
from server.core.errors import Forbidden
from server.core.pages import me
from server.scheduler import services
from server.scheduler.jobs import JOBS

bp = Blueprint("scheduler_pages", __name__)


@bp.route("/admin/jobs")
@login_required
def jobs():
    """The scheduler's jobs: the leader, each job's last runs, and recent failures."""
    if not permissions.assignments(me(), "admin"):
        raise Forbidden()
    now = clock.now()
    lease = services.leader(now=now)
    return render_template(
        "scheduler/jobs.html", jobs=JOBS.values(), lease=lease,
        runs=services.latest_runs(list(JOBS)),
        failures=services.recent_failures(since=now - timedelta(days=7)),
        stale=lease is None)
