"""/api/v1 feedback: one's own rating of an activity, and the summaries staff read."""

from __future__ import annotations

from flask_login import login_required

from server.activities.services import get_activity
from server.core import clock
from server.core.api import Blueprint
from server.core.pages import me
from server.feedback import services
from server.feedback.schemas import (
    AwaitingOut,
    FeedbackIn,
    FeedbackSummaryOut,
    MyFeedbackOut,
)
from server.programmes.services import get_programme

feedback = Blueprint("feedback", __name__, url_prefix="/api/v1",
                     description="Feedback after an activity: ratings, comments, summaries.")
blueprints = [feedback]


@feedback.route("/activities/<int:activity_id>/feedback/mine", methods=["GET"])
@login_required
@feedback.response(200, MyFeedbackOut)
def my_feedback(activity_id):
    """My feedback on an activity, and whether I can give or change it."""
    activity = get_activity(activity_id, viewer=me())
    return services.state(activity, me(), now=clock.now())


@feedback.route("/activities/<int:activity_id>/feedback/mine", methods=["PUT"])
@login_required
@feedback.arguments(FeedbackIn)
@feedback.response(200, MyFeedbackOut)
def give_feedback(data, activity_id):
    """Rate an activity I took part in (1-5, optional comment), or change my rating while
    the edit period lasts; sending it again changes nothing twice."""
    activity = get_activity(activity_id, viewer=me())
    now = clock.now()
    services.give(activity, user=me(), rating=data["rating"], comment=data["comment"],
                  now=now)
    return services.state(activity, me(), now=now)


@feedback.route("/activities/<int:activity_id>/feedback", methods=["GET"])
@login_required
@feedback.response(200, FeedbackSummaryOut)
def activity_feedback(activity_id):
    """Average, count, distribution and comments (without names) of an activity:
    its organisers and the coordinators above it."""
    activity = get_activity(activity_id, viewer=me())
    return services.activity_summary(activity, viewer=me())


@feedback.route("/programmes/<int:programme_id>/feedback", methods=["GET"])
@login_required
@feedback.response(200, FeedbackSummaryOut)
def programme_feedback(programme_id):
    """Feedback over all of a programme's activities (its organisers and coordinators)."""
    return services.programme_summary(get_programme(programme_id), viewer=me())


@feedback.route("/me/feedback/awaiting", methods=["GET"])
@login_required
@feedback.response(200, AwaitingOut(many=True))
def awaiting_feedback():
    """Activities I took part in that wait for my feedback, latest first."""
    return services.awaiting(me(), now=clock.now())
