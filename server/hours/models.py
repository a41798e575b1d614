"""The hours ledger (志愿服务时长): append-only entries, their reviews and corrections.

An entry is never updated once written. A review is its own row (one per entry, so two
reviewers approving at once approve it once). A change of minutes is a new entry that
reverses the old one and another that replaces it, each saying who, when and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    event,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.activities.models import Activity
from server.core.db import UTCDateTime, one_of
from server.extensions import db

# how an entry came to be
KINDS = ("attendance",   # from check-in/check-out scans when attendance closed
         "retroactive",  # 补录: filed afterwards with evidence, always reviewed
         "replacement",  # the corrected minutes of an earlier entry
         "reversal",     # cancels an earlier approved entry (negative minutes)
         "imported")     # past hours brought in from a roster (server.imports), reviewed
FLAGS = ("auto_checkout", "duplicate_scans", "self_checkin", "poster_checkin", "walk_in",
         "forced", "retroactive", "no_location", "assisted", "late_scan", "filed_by_organiser",
         "paper")
# superseded: the system set an unreviewed entry aside for a newer one (scans that
# arrived after attendance closed); nobody approved or rejected it
DECISIONS = ("approved", "rejected", "superseded")
CERTIFICATE_STATUSES = ("requested", "issued", "declined", "revoked")


class HourEntry(db.Model):
    __tablename__ = "hour_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signups.id"))
    kind: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    # the time served, clipped to the activity (attendance entries)
    served_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    served_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # how it was recorded (organiser_scan, self, offline_upload, automatic, retroactive…)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("hour_entries.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("hour_entries.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    activity: Mapped[Activity] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    review: Mapped[HourReview | None] = relationship(back_populates="entry", uselist=False)

    __table_args__ = (
        # one attendance entry per sign-up, however often attendance is closed
        Index("uq_hour_entries_attendance", "signup_id", unique=True,
              sqlite_where=text("kind = 'attendance'"),
              postgresql_where=text("kind = 'attendance'")),
        # a person's imported hours for an activity come in once, however often the
        # roster is imported again (server.imports)
        Index("uq_hour_entries_imported", "user_id", "activity_id", unique=True,
              sqlite_where=text("kind = 'imported'"),
              postgresql_where=text("kind = 'imported'")),
        # an entry is reversed at most once
        Index("uq_hour_entries_reverses", "reverses_id", unique=True,
              sqlite_where=text("reverses_id IS NOT NULL"),
              postgresql_where=text("reverses_id IS NOT NULL")),
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint("(kind = 'reversal' AND minutes <= 0 AND reverses_id IS NOT NULL) OR "
                        "(kind <> 'reversal' AND minutes >= 0 AND reverses_id IS NULL)",
                        name="minutes_sign"),
        CheckConstraint("(kind = 'replacement') = (replaces_id IS NOT NULL)",
                        name="replacement_names_its_entry"),
        CheckConstraint("minutes BETWEEN -100000 AND 100000", name="minutes_range"),
    )

    @property
    def status(self) -> str:
        return self.review.decision if self.review else "pending"


class HourReview(db.Model):
    """The decision on an entry. Unique per entry: approving twice approves once."""

    __tablename__ = "hour_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(10))  # DECISIONS
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entry: Mapped[HourEntry] = relationship(back_populates="review")
    reviewer: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint(one_of("decision", DECISIONS), name="decision"),)


class HourQueue(db.Model):
    """What waits for a decision: one row per entry without a review (reversals never wait).

    Kept beside the ledger so the review queue reads the few waiting rows, not an anti-join
    over every entry and review ever written; the entries themselves stay append-only (no
    status column is updated on them). A row is added with its entry and removed with the
    entry's review, in the same flush (the listeners below), so the two cannot disagree in
    a committed transaction. `hours.ledger.queue_drift` compares it with the ledger;
    `rebuild_queue` sets it from the ledger (the migration's backfill).
    """

    __tablename__ = "hour_queue"

    entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id"), primary_key=True)
    # the entry's activity, copied so the queue groups and pages without reading entries
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    # and the activity's end, place in the tree and organisation, copied (and kept when the
    # activity changes, _activity_changed below) so that a page of the queue is read in the
    # order of the end, for the reviewer's scope, without reading every waiting activity
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    __table_args__ = (Index("ix_hour_queue_ends", "ends_at", "activity_id"),)


COPIED = ("ends_at", "node_id", "organisation_id")  # from the activity, on each queue row


@event.listens_for(HourEntry, "after_insert")
def _queued(_mapper, connection, entry: HourEntry) -> None:
    if entry.kind != "reversal":
        activities = Activity.__table__
        connection.execute(insert(HourQueue.__table__).from_select(
            ["entry_id", "activity_id", *COPIED],
            select(literal(entry.id, Integer), activities.c.id,
                   *(activities.c[name] for name in COPIED))
            .where(activities.c.id == entry.activity_id)))


@event.listens_for(HourReview, "after_insert")
def _dequeued(_mapper, connection, review: HourReview) -> None:
    connection.execute(delete(HourQueue.__table__).where(
        HourQueue.__table__.c.entry_id == review.entry_id))


@event.listens_for(Activity, "after_update")
def _activity_changed(_mapper, connection, activity: Activity) -> None:
    """An activity moved in the tree (or, exceptionally, in time) with hours waiting: its
    queue rows follow it in the same flush."""
    state = inspect(activity)
    changed = {name: getattr(activity, name) for name in COPIED
               if state.attrs[name].history.has_changes()}
    if changed:
        connection.execute(update(HourQueue.__table__)
                           .where(HourQueue.__table__.c.activity_id == activity.id)
                           .values(**changed))


class CorrectionRequest(db.Model):
    """A volunteer reports an error in an entry; the organising body must answer."""

    __tablename__ = "hour_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(10))  # corrected | declined
    answer_reason: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_entry_id: Mapped[int | None] = mapped_column(ForeignKey("hour_entries.id"))

    entry: Mapped[HourEntry] = relationship(foreign_keys=[entry_id])
    # the replacement a correction made (review.adjust), read to show what it became
    new_entry: Mapped[HourEntry | None] = relationship(foreign_keys=[new_entry_id],
                                                       viewonly=True)

    __table_args__ = (
        CheckConstraint("answer IS NULL OR answer IN ('corrected', 'declined')", name="answer"),
        # one open request per entry, whoever sends it twice at once
        Index("uq_hour_corrections_open", "entry_id", unique=True,
              sqlite_where=text("answer IS NULL"), postgresql_where=text("answer IS NULL")),
    )


class Certificate(db.Model):
    """志愿服务记录证明: issued by the organising body, never by the platform.

    Everything printed is frozen at issue; the signature covers it, so the verification
    page can tell a genuine certificate from an edited one.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # requested | issued | declined | revoked
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purpose: Mapped[str | None] = mapped_column(String(200))
    # frozen at issue
    volunteer_name: Mapped[str | None] = mapped_column(String(40))
    id_type: Mapped[str | None] = mapped_column(String(20))
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    volunteer_number: Mapped[str | None] = mapped_column(String(20))
    total_minutes: Mapped[int | None] = mapped_column(Integer)
    lines: Mapped[list[dict]] = mapped_column(JSON, default=list)  # date, title, minutes
    issuer_name: Mapped[str | None] = mapped_column(String(120))
    leader_name: Mapped[str | None] = mapped_column(String(40))   # 负责人
    handler_name: Mapped[str | None] = mapped_column(String(40))  # 经办人
    contact: Mapped[str | None] = mapped_column(String(40))
    # the site address the printed QR points to: the PDF is re-rendered byte for byte
    # from the frozen fields on every download, whichever host name it is fetched through
    base_url: Mapped[str | None] = mapped_column(String(200))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signature: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # how the PDF is drawn (certificate_pdf.LAYOUT when issued): a certificate issued under
    # an older layout is drawn as it was then, so its bytes still match pdf_sha256
    layout: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        CheckConstraint(one_of("status", CERTIFICATE_STATUSES), name="status"),
        CheckConstraint("total_minutes IS NULL OR total_minutes >= 0", name="total_minutes"),
        # one waiting request per person and organisation
        Index("uq_certificates_open_request", "user_id", "organisation_id", unique=True,
              sqlite_where=text("status = 'requested'"),
              postgresql_where=text("status = 'requested'")),
    )
