"""Page endpoints (thin): the feedback form, and what the activity, programme and
"my activities" pages show about feedback (template globals, so those domains need not
import this one)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.activities.models import Activity, Programme
from server.activities.services import get_activity
from server.core import clock
from server.core.pages import FORM_ERRORS, load_form, me, problem
from server.feedback import errors, services
from server.feedback.schemas import FeedbackIn

bp = Blueprint("feedback_pages", __name__)


@bp.app_template_global()
def feedback_for(activity: Activity) -> dict:
    """The viewer's feedback state on an activity, and the summary if they may read it."""
    user = me()
    readable = services.can_read_activity(user, activity)
    return {"state": services.state(activity, user, now=clock.now()),
            "summary": services.activity_summary(activity, viewer=user) if readable else None}


@bp.app_template_global()
def programme_feedback(programme: Programme) -> services.Summary | None:
    """A programme's feedback for those who may read it; None for everyone else."""
    user = me()
    if not services.can_read_programme(user, programme):
        return None
    return services.programme_summary(programme, viewer=user)


@bp.app_template_global()
def feedback_awaiting() -> list[Activity]:
    return services.awaiting(me(), now=clock.now())


def _form(activity, state, values, *, message=None, fields=None, status=200):
    return render_template("feedback/form.html", activity=activity, state=state,
                           values=values, message=message, errors=fields or {},
                           comment_max=services.COMMENT_MAX), status


@bp.route("/activities/<int:activity_id>/feedback", methods=["GET", "POST"])
@login_required
def give(activity_id: int):
    """Rate an activity one took part in, or change one's rating."""
    from flask import request
    activity = get_activity(activity_id, viewer=me())
    now = clock.now()
    state = services.state(activity, me(), now=now)
    if request.method == "GET":
        if not state.can_give:
            return _refused(activity, state)
        given = state.feedback
        return _form(activity, state, {"rating": given.rating if given else None,
                                       "comment": given.comment if given else ""})
    try:
        data = load_form(FeedbackIn())
        services.give(activity, user=me(), rating=data["rating"], comment=data["comment"],
                      now=now)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _form(activity, services.state(activity, me(), now=now),
                     {"rating": request.form.get("rating"),
                      "comment": request.form.get("comment", "")},
                     message=message, fields=fields, status=status)
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for("activities_pages.detail", activity_id=activity.id))


def _refused(activity, state):
    """Why the form is not there, as the API would say it."""
    reasons = {"not_open": errors.FeedbackNotOpen, "not_ended": errors.FeedbackNotYet,
               "not_attended": errors.FeedbackNotAttended, "closed": errors.FeedbackClosed}
    if state.status == "given":
        raise errors.FeedbackLocked(days=services.edit_days())
    raise reasons.get(state.status, errors.FeedbackNotAttended)()
