"""Feedback in and out. No output schema carries who gave a feedback, except the
person's own (MyFeedbackOut)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.core.fields import Computed, LocalDateTime, Whole
from server.feedback.models import COMMENT_MAX


class FeedbackIn(ma.Schema):
    rating = Whole(required=True, validate=v.Range(1, 5))
    comment = ma.fields.String(load_default="", validate=v.Length(max=COMMENT_MAX))


class FeedbackOut(ma.Schema):
    rating = ma.fields.Integer()
    comment = ma.fields.String()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class MyFeedbackOut(ma.Schema):
    """The person's own feedback on an activity and what they can still do (dumps
    services.State)."""

    status = ma.fields.String(metadata={
        "description": "not_open | not_ended | not_attended | open | given | closed"})
    can_give = ma.fields.Boolean()
    feedback = ma.fields.Nested(FeedbackOut, allow_none=True)
    editable_until = LocalDateTime(allow_none=True)
    closes_at = LocalDateTime(allow_none=True)


class CommentOut(ma.Schema):
    """A comment without its author: feedback is anonymous, to staff as well."""

    rating = ma.fields.Integer()
    comment = ma.fields.String()
    given_on = Computed(lambda c: LocalDateTime()._serialize(c.given_on, None, None)[:10],
                        "string", format="date")
    activity_id = ma.fields.Integer()
    activity_title = ma.fields.String()


class FeedbackSummaryOut(ma.Schema):
    count = ma.fields.Integer()
    average = ma.fields.Decimal(as_string=True, places=1, allow_none=True)
    distribution = Computed(
        lambda s: {str(k): n for k, n in sorted(s.distribution.items())}, "object",
        metadata={"description": "rating (1-5) -> how many gave it",
                  "additionalProperties": {"type": "integer"}})

    activities = ma.fields.Integer(metadata={"description": "activities with feedback"})
    comments = ma.fields.List(ma.fields.Nested(CommentOut))


class AwaitingOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    place = ma.fields.String()
