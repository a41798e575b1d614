"""Messages (消息), how each went out, and what each person wants to receive where.

A notification is what a person was told, in the site's record; each push channel it
also went to (SMS, WeChat subscription message, e-mail) has a delivery row saying what
happened to it. Texts are not stored: the kind selects the translated text and the params
fill it, so each reader sees their own language.
"""

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

from server.core.db import UTCDateTime, one_of
from server.extensions import db

CHANNELS = ("site", "sms", "wechat", "email")
PUSH_CHANNELS = ("sms", "wechat", "email")
# pending: waits for its first or next attempt; sending: claimed by one sender; sent;
# failed: gave up after the last attempt; skipped: nowhere to send it (no e-mail address)
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class Notification(db.Model):
    """`user_id` reads it. A message about a family member without a phone goes to the
    person who manages them (notifications.recipients): then `about_id` is the member."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    about_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # shown in the notification centre (the person's choice for this kind of message)
    in_site: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # what makes a scheduled message once-only: (person it is about, key) is unique, so a
    # second run of a job, or a second scheduler, tells nobody twice; a guardian's own
    # reminder and their child's for the same activity are two messages
    dedupe_key: Mapped[str | None] = mapped_column(String(120))

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="notification")

    __table_args__ = (
        Index("uq_notifications_dedupe", "user_id", "dedupe_key", unique=True,
              sqlite_where=text("about_id IS NULL"),
              postgresql_where=text("about_id IS NULL")),
        Index("uq_notifications_dedupe_about", "about_id", "dedupe_key", unique=True,
              sqlite_where=text("about_id IS NOT NULL"),
              postgresql_where=text("about_id IS NOT NULL")),
        Index("ix_notifications_inbox_time", "user_id", "created_at", "id"),
        # the unread count on every page: only the unread rows are in this index
        Index("ix_notifications_unread", "user_id",
              sqlite_where=text("read_at IS NULL AND in_site"),
              postgresql_where=text("read_at IS NULL AND in_site")),
    )


class Delivery(db.Model):
    """One notification on one push channel: attempts, the outcome, the provider's id."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # when a sender claimed it: a claim older than the stale limit is tried again
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification] = relationship(back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        CheckConstraint(one_of("channel", PUSH_CHANNELS), name="channel"),
        CheckConstraint(one_of("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at"),
    )


class Preference(db.Model):
    """A person's choice for one topic on one channel; no row means the default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint(one_of("channel", CHANNELS), name="channel"),)
