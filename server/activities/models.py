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
from server.core import clock
from server.core.db import UTCDateTime, one_of
from server.extensions import db

ACTIVITY_KINDS = ("home_visit", "case_work", "community_event", "lecture",
                  "charity_festival", "book_drive", "programme_session", "training")
STATUSES = ("draft", "published", "cancelled", "finished")
# the five forces a single activity can link (五社联动)
FORCES = ("community", "social_workers", "organisations", "volunteers", "charity")
ACTIVE_SIGNUP = ("confirmed", "waitlisted")
# an entry in a lottery that has not been drawn yet: not a place, not a waitlist spot
LIVE_SIGNUP = (*ACTIVE_SIGNUP, "entered")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "withdrawn", "cancelled", "entered")
SIGNUP_MODES = ("first_come", "lottery")
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
    # first_come: places in order of sign-up; lottery: entries during the sign-up window,
    # places drawn at its close (server/activities/lottery.py)
    signup_mode: Mapped[str] = mapped_column(String(12), default="first_come",
                                             server_default=text("'first_come'"))
    # the lottery's secret seed, revealed only by its draw, and its published commitment
    # sha256(seed): fixed before anyone can enter, so the seed cannot be chosen afterwards
    lottery_seed: Mapped[str | None] = mapped_column(String(64))
    lottery_commitment: Mapped[str | None] = mapped_column(String(64))
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
        CheckConstraint(one_of("signup_mode", SIGNUP_MODES), name="signup_mode"),
        # a lottery has its window and its commitment; first come has no seed
        CheckConstraint("signup_mode = 'first_come' OR (signup_opens_at IS NOT NULL AND "
                        "signup_closes_at IS NOT NULL AND signup_closes_at < starts_at AND "
                        "lottery_seed IS NOT NULL AND lottery_commitment IS NOT NULL)",
                        name="lottery_window"),
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

    def phase(self, now: datetime) -> str:
        """What it is at `now`, as people read it: its status, except that a published
        activity under way or ended (not yet marked finished) says so, not "open"."""
        if self.status != "published" or now < self.starts_at:
            return self.status
        return "ended" if now >= self.ends_at else "under_way"


class Signup(db.Model):
    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # confirmed | waitlisted | withdrawn | cancelled | entered (in an undrawn lottery)
    status: Mapped[str] = mapped_column(String(12))
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
    # when this row last changed (status, presence, anything): a scanner's cached roster
    # asks for the rows changed since its last fetch (checkin.roster). Set on every insert
    # and update, the ORM's and Core's alike
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now,
                                                 onupdate=clock.now)
    # someone else signed this person up (a community worker for an elder)
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    activity: Mapped[Activity] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    acted_by: Mapped[User | None] = relationship(foreign_keys=[acted_by_id])

    __table_args__ = (
        # one live sign-up per person and activity; withdrawn rows stay as history
        Index("uq_signups_live", "activity_id", "user_id", unique=True,
              sqlite_where=text("status IN ('confirmed', 'waitlisted', 'entered')"),
              postgresql_where=text("status IN ('confirmed', 'waitlisted', 'entered')")),
        Index("ix_signups_queue", "activity_id", "status", "queue_no"),
        Index("ix_signups_changed", "activity_id", "changed_at"),
        CheckConstraint(one_of("status", SIGNUP_STATUSES), name="status"),
        CheckConstraint(one_of("presence", PRESENCE), name="presence"),
        CheckConstraint("queue_no >= 1", name="queue_no"),
        CheckConstraint("scan_seq >= 0", name="scan_seq"),
    )


DRAW_ALGORITHMS = ("hmac-sha256-v1",)
DRAW_SOURCES = ("scheduler", "organiser")


class LotteryDraw(db.Model):
    """The one draw of an activity's lottery, kept as published: append-only, never
    updated. Anyone can re-run it from `seed` and `entrants` (server/activities/lottery.py);
    the unique activity_id is what makes the draw happen once, whoever asks at once."""

    __tablename__ = "lottery_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), unique=True)
    algorithm: Mapped[str] = mapped_column(String(24))
    seed: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    # the entry (sign-up) ids that took part, ascending, and the same ids in drawn order
    entrants: Mapped[list[int]] = mapped_column(JSON)
    drawn_order: Mapped[list[int]] = mapped_column(JSON)
    places: Mapped[int] = mapped_column(Integer)
    winners: Mapped[int] = mapped_column(Integer)
    # drawn for a place while holding a place in another activity at the same time: they
    # wait instead, in drawn order (the places go to the next in the order)
    passed_over: Mapped[list[int]] = mapped_column(JSON, default=list,
                                                   server_default=text("'[]'"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(12))
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    activity: Mapped[Activity] = relationship()
    drawn_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(one_of("algorithm", DRAW_ALGORITHMS), name="algorithm"),
        CheckConstraint(one_of("source", DRAW_SOURCES), name="source"),
        CheckConstraint("places >= 0 AND winners >= 0", name="counts"),
        CheckConstraint("(source = 'organiser') = (drawn_by_id IS NOT NULL)",
                        name="drawn_by"),
    )
