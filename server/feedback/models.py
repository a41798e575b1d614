"""Feedback on an activity: a rating of 1 to 5 and an optional comment from someone who
took part. One row per person and activity (a unique constraint: a double submit cannot
make two); changed in place while its short edit period lasts, then it stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.activities.models import Activity
from server.core.db import UTCDateTime
from server.extensions import db

RATINGS = (1, 2, 3, 4, 5)
COMMENT_MAX = 500


class Feedback(db.Model):
    __tablename__ = "feedback_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    # who gave it: never shown to other volunteers nor to staff (see services.py)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    activity: Mapped[Activity] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("activity_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint(f"length(comment) <= {COMMENT_MAX}", name="comment_length"),
        CheckConstraint("updated_at >= created_at", name="updated_after_created"),
    )
