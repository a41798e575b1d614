"""Programmes, activities and sign-ups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.communities.models import Node, Organisation
from server.core.db import UTCDateTime, one_of
from server.extensions import db

ACTIVITY_KINDS = ("home_visit", "case_work", "community_event", "lecture",
                  "charity_festival", "book_drive", "programme_session", "training")
STATUSES = ("draft", "published", "cancelled", "finished")
# the five forces a single activity can link (五社联动)
FORCES = ("community", "social_workers", "organisations", "volunteers", "charity")
ACTIVE_SIGNUP = ("confirmed", "waitlisted")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "withdrawn", "cancelled")
PRESENCE = ("none", "in", "out")
ROUNDINGS = ("minute", "quarter", "half_hour")


class Programme(db.Model):
    """A programme groups many activities, e.g. 全职妈妈成长计划."""

    __tablename__ = "programmes"
    # one name once per organisation: two organisers creating the same programme at once
    # get one programme and a clear "name taken", not two look-alikes
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()


class Activity(db.Model):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signup_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signup_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdraw_cutoff_hours: Mapped[int] = mapped_column(Integer, default=2)
    capacity: Mapped[int] = mapped_column(Integer)
    min_age: Mapped[int | None] = mapped_column(Integer)
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    insurance_required: Mapped[bool] = mapped_column(Boolean, default=False)
    forces: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    # how served minutes are rounded, shown before sign-up: minute | quarter | half_hour
    hours_rounding: Mapped[str] = mapped_column(String(12), default="minute")
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # when attendance closed: offline scans made before it still count (marked late)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # counters kept under the activity row lock; the signups table is the truth
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_count: Mapped[int] = mapped_column(Integer, default=0)

    organisation: Mapped[Organisation] = relationship()
    node: Mapped[Node] = relationship()
    programme: Mapped[Programme | None] = relationship()
    created_by: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(one_of("kind", ACTIVITY_KINDS), name="kind"),
        CheckConstraint(one_of("hours_rounding", ROUNDINGS), name="hours_rounding"),
        CheckConstraint("capacity BETWEEN 1 AND 100000", name="capacity"),
        CheckConstraint("confirmed_count BETWEEN 0 AND capacity", name="confirmed_count"),
        CheckConstraint("waitlist_count >= 0", name="waitlist_count"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("withdraw_cutoff_hours BETWEEN 0 AND 720", name="withdraw_cutoff"),
        CheckConstraint("(status = 'finished') = (finished_at IS NOT NULL)",
                        name="finished_at"),
    )

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)


class Signup(db.Model):
    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # confirmed|waitlisted|withdrawn|cancelled
    # FIFO order for the waitlist: a monotonically increasing number per activity
    queue_no: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(Text)
    # where the person is now, from the scans (checkin domain keeps the history)
    presence: Mapped[str] = mapped_column(String(8), default="none")  # none | in | out
    # how many successful scans so far: the next one is numbered scan_seq + 1
    scan_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    # someone else signed this person up (a community worker for an elder)
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    activity: Mapped[Activity] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    acted_by: Mapped[User | None] = relationship(foreign_keys=[acted_by_id])

    __table_args__ = (
        # one live sign-up per person and activity; withdrawn rows stay as history
        Index("uq_signups_live", "activity_id", "user_id", unique=True,
              sqlite_where=text("status IN ('confirmed', 'waitlisted')"),
              postgresql_where=text("status IN ('confirmed', 'waitlisted')")),
        Index("ix_signups_queue", "activity_id", "status", "queue_no"),
        CheckConstraint(one_of("status", SIGNUP_STATUSES), name="status"),
        CheckConstraint(one_of("presence", PRESENCE), name="presence"),
        CheckConstraint("queue_no >= 1", name="queue_no"),
        CheckConstraint("scan_seq >= 0", name="scan_seq"),
    )
