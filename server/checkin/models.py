"""Personal codes and the append-only scan log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.core.db import UTCDateTime, one_of
from server.extensions import db

RESULTS = ("ok", "already_checked_in", "not_signed_up", "waitlisted", "too_early", "too_late",
           "activity_cancelled", "invalid_code", "code_expired", "revoked", "not_allowed",
           "already_checked_out", "not_checked_in", "attendance_closed", "activity_full")
# answered but never recorded: the nonce belongs to another person's scan
UNRECORDED = ("nonce_reused",)
SOURCES = ("organiser_scan", "self", "self_poster", "offline_upload", "manual_search",
           "phone_lookup", "automatic", "paper")
DIRECTIONS = ("entry", "exit")


class PersonalCode(db.Model):
    """A random, revocable token shown as the person's QR. It carries no personal data."""

    __tablename__ = "personal_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # one code that works per person, whatever regenerates it at once
        Index("uq_personal_codes_active", "user_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
    )


class Scan(db.Model):
    """One scan, failed ones too. Never updated: the history hours are built from."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # looked up through ix_scans_signup_ok and uq_scans_signup_seq (both begin with it): a
    # third index of its own would only cost every scan one more write
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signups.id"))
    direction: Mapped[str] = mapped_column(String(8))
    result: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))
    # who scanned: the logged-in organiser, read in the scan's own statement. Not a foreign
    # key: its check would share-lock the organiser's users row in every scan, and one
    # phone's scans at the door then queue on that one row (PostgreSQL builds a multixact
    # per scan): 538 -> 771 first scans a second without it (bench/README). No code path
    # deletes a person (accounts are deactivated), so the id cannot dangle.
    operator_id: Mapped[int | None] = mapped_column(Integer)
    device: Mapped[str | None] = mapped_column(String(64))
    # the phone's clock (offline scans), the server's clock, and the one that counts
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    server_time: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_time: Mapped[datetime] = mapped_column(UTCDateTime())
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    # not by the person's own code: found by name or phone (the operator is who helped)
    assisted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # accepted after the activity was finished: its hours go to review marked late
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # successful scans of a sign-up are numbered 1, 2, 3…: two decisions on the same
    # state would take the same number, and the unique index refuses the second
    seq: Mapped[int | None] = mapped_column(Integer)
    # the earlier successful scan this one repeats (two offline phones, a double tap)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"))
    # risk signals for the reviewer; never used to refuse
    ip: Mapped[str | None] = mapped_column(String(45))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    code_hint: Mapped[str | None] = mapped_column(String(16))
    # typed in from a paper sign-in sheet: the batch says who entered it and when
    paper_batch_id: Mapped[int | None] = mapped_column(ForeignKey("paper_batches.id"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    operator: Mapped[User | None] = relationship(
        primaryjoin="foreign(Scan.operator_id) == User.id", viewonly=True)
    paper_batch: Mapped[PaperBatch | None] = relationship(foreign_keys=[paper_batch_id])

    __table_args__ = (
        Index("ix_scans_signup_ok", "signup_id", "result", "effective_time"),
        Index("uq_scans_signup_seq", "signup_id", "seq", unique=True,
              sqlite_where=text("seq IS NOT NULL"), postgresql_where=text("seq IS NOT NULL")),
        # only paper scans have a batch: the live scans (nearly all) are not indexed here
        Index("ix_scans_paper_batch_id", "paper_batch_id",
              sqlite_where=text("paper_batch_id IS NOT NULL"),
              postgresql_where=text("paper_batch_id IS NOT NULL")),
        CheckConstraint(one_of("result", RESULTS), name="result"),
        CheckConstraint(one_of("source", SOURCES), name="source"),
        CheckConstraint(one_of("direction", DIRECTIONS), name="direction"),
        CheckConstraint("(result = 'ok') = (seq IS NOT NULL)", name="ok_numbered"),
        CheckConstraint("result <> 'ok' OR signup_id IS NOT NULL", name="ok_has_signup"),
        CheckConstraint("seq IS NULL OR seq >= 1", name="seq_positive"),
        CheckConstraint("(source = 'paper') = (paper_batch_id IS NOT NULL)",
                        name="paper_has_batch"),
    )


class PaperBatch(db.Model):
    """One paper sign-in sheet entered back: who typed or scanned it in, and when.

    The client's nonce is unique, so a batch sent twice (a double tap, a retry after a
    lost answer) is entered once; the second sending gets the first one's answers.
    """

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(40), unique=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rows: Mapped[int] = mapped_column(Integer)

    entered_by: Mapped[User] = relationship()
    scans: Mapped[list[Scan]] = relationship(order_by="Scan.id", viewonly=True)

    __table_args__ = (CheckConstraint("rows >= 1", name="rows_positive"),)
