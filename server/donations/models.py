"""Funds and pledges: where giving is aimed, and what a donor promised (intent only).

What really arrived is in movements.py (fulfilments), and what the public sees is the
ledger there. The three are kept apart (DOMAIN.md, 《慈善法》).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.communities.models import Node, Organisation
from server.core.db import UTCDateTime, one_of
from server.donations.money import Money
from server.donations.vocab import CONDITION, DISPLAY, ENDS, TITLE
from server.extensions import db


class Fund(db.Model):
    """A fund (standing, e.g. 爱心救助基金) or a campaign (a drive with an end), hosted by
    a charity: only the host issues 捐赠票据 receipts."""

    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # fund | campaign
    title: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(Text, default="")
    # published criteria for who receives help
    criteria: Mapped[str] = mapped_column(Text, default="")
    # how to give: where goods are dropped off, the host's account for transfers
    how_to_give: Mapped[str] = mapped_column(Text, default="")
    host_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # the place it serves; coordinators above this node run it
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), index=True)
    target_amount: Mapped[Decimal | None] = mapped_column(Money())
    goods_wanted: Mapped[str] = mapped_column(Text, default="")
    accepts_money: Mapped[bool] = mapped_column(Boolean, default=True)
    accepts_goods: Mapped[bool] = mapped_column(Boolean, default=True)
    closes_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    host: Mapped[Organisation] = relationship()
    node: Mapped[Node] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('fund', 'campaign')", name="kind"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("target_amount IS NULL OR target_amount > 0", name="target_amount"),
        CheckConstraint("accepts_money OR accepts_goods", name="accepts_something"),
    )


class Pledge(db.Model):
    """A promise of money or goods. Its state is derived from its fulfilments, except the
    hand-set ends (rejected, withdrawn, cancelled, released), each with reason, actor, time."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    # quoted at drop-off or on a bank transfer
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    donor_name: Mapped[str] = mapped_column(String(60))
    donor_org: Mapped[str | None] = mapped_column(String(120))
    donor_phone: Mapped[str | None] = mapped_column(String(20))
    # the donor's consent for their name in public, and when it was given
    display: Mapped[str] = mapped_column(String(16), default="anonymous")
    title: Mapped[str | None] = mapped_column(String(2))  # ms | mr, for display=surname
    display_set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(6))  # money | goods
    amount: Mapped[Decimal | None] = mapped_column(Money())
    due_on: Mapped[date | None] = mapped_column(Date)
    wants_receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_state: Mapped[str | None] = mapped_column(String(10))
    end_reason: Mapped[str | None] = mapped_column(Text)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # bumped by every fulfilment: a coordinator confirms against the version they saw
    version: Mapped[int] = mapped_column(Integer, default=0)
    # all that was promised has arrived (set with each fulfilment and reversal, under the
    # pledge's lock; derived from the fulfilments, stored so the desk can page in SQL)
    fulfilled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    fund: Mapped[Fund] = relationship()
    donor: Mapped[User | None] = relationship(foreign_keys=[donor_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])
    lines: Mapped[list[PledgeLine]] = relationship(
        back_populates="pledge", order_by="PledgeLine.id", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("(kind = 'money' AND amount > 0) OR (kind = 'goods' AND amount IS NULL)",
                        name="kind_amount"),
        CheckConstraint(one_of("display", tuple(DISPLAY)), name="display"),
        CheckConstraint(f"title IS NULL OR {one_of('title', tuple(TITLE))}", name="title"),
        CheckConstraint(f"end_state IS NULL OR {one_of('end_state', ENDS)}", name="end_state"),
        CheckConstraint("version >= 0", name="version"),
        # the desk's work: open pledges of a fund, oldest first
        Index("ix_pledges_open", "fund_id", "id",
              sqlite_where=text("end_state IS NULL AND NOT fulfilled"),
              postgresql_where=text("end_state IS NULL AND NOT fulfilled")),
    )


class GoodsColumns:
    """What a line of goods is. Stock is kept per (category, item, unit)."""

    category: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(10))


class PledgeLine(GoodsColumns, db.Model):
    """One kind of goods in a pledge: 50 本 儿童绘本, new."""

    __tablename__ = "pledge_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str] = mapped_column(String(10), default="new")
    expires_on: Mapped[date | None] = mapped_column(Date)

    pledge: Mapped[Pledge] = relationship(back_populates="lines")

    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 100000", name="quantity"),
        CheckConstraint(one_of("condition", tuple(CONDITION)), name="condition"),
    )
