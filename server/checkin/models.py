"""Personal codes and the append-only scan log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.core.db import UTCDateTime
from server.extensions import db

RESULTS = ("ok", "already_checked_in", "not_signed_up", "waitlisted", "too_early", "too_late",
           "activity_cancelled", "invalid_code", "code_expired", "revoked", "not_allowed",
           "already_checked_out", "not_checked_in")
SOURCES = ("organiser_scan", "self", "self_poster", "offline_upload", "manual_search",
           "automatic")
DIRECTIONS = ("entry", "exit")


class PersonalCode(db.Model):
    """A random, revocable token shown as the person's QR. It carries no personal data."""

    __tablename__ = "personal_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Scan(db.Model):
    """One scan, failed ones too. Never updated: the history hours are built from."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signups.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    result: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device: Mapped[str | None] = mapped_column(String(64))
    # the phone's clock (offline scans), the server's clock, and the one that counts
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    server_time: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_time: Mapped[datetime] = mapped_column(UTCDateTime())
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    # the earlier successful scan this one repeats (two offline phones, a double tap)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"))
    # risk signals for the reviewer; never used to refuse
    ip: Mapped[str | None] = mapped_column(String(45))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    code_hint: Mapped[str | None] = mapped_column(String(16))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    operator: Mapped[User | None] = relationship(foreign_keys=[operator_id])

    __table_args__ = (Index("ix_scans_signup_ok", "signup_id", "result", "effective_time"),)
