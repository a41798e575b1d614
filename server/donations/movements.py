"""What really moved: fulfilments (money or goods that arrived), distributions (what went
out) and the public ledger. All append-only: a correction is a reversing row with a
reason, never an UPDATE (a unique index lets each row be reversed once)."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.communities.models import Organisation
from server.core.db import UTCDateTime
from server.donations.models import GoodsColumns, Pledge, PledgeLine
from server.donations.money import Money
from server.extensions import db


def _reversed_once(table: str) -> Index:
    return Index(f"uq_{table}_reverses", "reverses_id", unique=True,
                 sqlite_where=text("reverses_id IS NOT NULL"),
                 postgresql_where=text("reverses_id IS NOT NULL"))


class IntakeBatch(db.Model):
    """Several pledges recorded at once, against a count and total counted by hand."""

    __tablename__ = "intake_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    expected_count: Mapped[int] = mapped_column(Integer)
    expected_total: Mapped[Decimal | None] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")
    # the client's token for this batch: sent twice (a double tap, a retry), recorded once
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("expected_count >= 1", name="expected_count"),
        CheckConstraint("expected_total IS NULL OR expected_total >= 0", name="expected_total"),
    )


class Fulfilment(db.Model):
    """Money or goods confirmed as received against a pledge, in actual amounts."""

    __tablename__ = "fulfilments"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("intake_batches.id"))
    kind: Mapped[str] = mapped_column(String(6))  # money | goods
    amount: Mapped[Decimal | None] = mapped_column(Money())  # cash; negative reverses
    in_kind_value: Mapped[Decimal | None] = mapped_column(Money())  # goods at intake value
    received_on: Mapped[date] = mapped_column(Date)
    # 捐赠票据 number from the host charity, or the donor waived it
    receipt_no: Mapped[str | None] = mapped_column(String(40))
    receipt_waived: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("fulfilments.id"))
    # the client's token for this confirmation: sending it twice records it once
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    pledge: Mapped[Pledge] = relationship()
    recorded_by: Mapped[User] = relationship()
    lines: Mapped[list[FulfilmentLine]] = relationship(
        back_populates="fulfilment", order_by="FulfilmentLine.id")

    __table_args__ = (
        _reversed_once("fulfilments"),
        CheckConstraint("kind IN ('money', 'goods')", name="kind"),
        # a receipt adds, its reversal takes away exactly as much
        CheckConstraint("(reverses_id IS NULL AND COALESCE(amount, 0) >= 0 "
                        "AND COALESCE(in_kind_value, 0) >= 0) OR (reverses_id IS NOT NULL "
                        "AND COALESCE(amount, 0) <= 0 AND COALESCE(in_kind_value, 0) <= 0)",
                        name="sign"),
    )


class FulfilmentLine(GoodsColumns, db.Model):
    """Goods intake: accepted and rejected quantities (with why) and the value at intake."""

    __tablename__ = "fulfilment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    pledge_line_id: Mapped[int | None] = mapped_column(ForeignKey("pledge_lines.id"))
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    unit_value: Mapped[Decimal] = mapped_column(Money())
    condition: Mapped[str] = mapped_column(String(10), default="new")
    expires_on: Mapped[date | None] = mapped_column(Date)

    fulfilment: Mapped[Fulfilment] = relationship(back_populates="lines")
    pledge_line: Mapped[PledgeLine | None] = relationship()

    __table_args__ = (
        # both counts of a line go the same way (a reversal negates both)
        CheckConstraint("(accepted >= 0 AND rejected >= 0) OR (accepted <= 0 AND rejected <= 0)",
                        name="counts_sign"),
        CheckConstraint("unit_value >= 0", name="unit_value"),
    )


class Distribution(db.Model):
    """Money paid out to a beneficiary, or goods handed to a household or a partner
    organisation, with the decision behind it and who signed for it."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(6))  # money | goods
    amount: Mapped[Decimal | None] = mapped_column(Money())
    recipient_kind: Mapped[str] = mapped_column(String(12))  # household | organisation
    # a household's name is for the coordinators only; the public sees it masked
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    decision_ref: Mapped[str | None] = mapped_column(String(60))  # committee decision
    purpose: Mapped[str] = mapped_column(Text, default="")
    signed_by: Mapped[str] = mapped_column(String(60))  # 签收人
    distributed_on: Mapped[date] = mapped_column(Date)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("distributions.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    recipient_org: Mapped[Organisation | None] = relationship()
    recorded_by: Mapped[User] = relationship()
    lines: Mapped[list[DistributionLine]] = relationship(
        back_populates="distribution", order_by="DistributionLine.id")

    __table_args__ = (
        _reversed_once("distributions"),
        CheckConstraint("kind IN ('money', 'goods')", name="kind"),
        CheckConstraint("recipient_kind IN ('household', 'organisation')", name="recipient_kind"),
        CheckConstraint("(reverses_id IS NULL AND COALESCE(amount, 0) >= 0) OR "
                        "(reverses_id IS NOT NULL AND COALESCE(amount, 0) <= 0)", name="sign"),
    )


class DistributionLine(GoodsColumns, db.Model):
    __tablename__ = "distribution_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)  # negative on a reversal

    distribution: Mapped[Distribution] = relationship(back_populates="lines")

    __table_args__ = (CheckConstraint("quantity <> 0", name="quantity"),)


class LedgerEntry(db.Model):
    """The fund's public ledger, one row per movement (per goods line). Donor names are
    shown as the pledge's consent says at the time of reading, so withdrawing consent
    takes effect at once; recipients are stored already masked."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # cash_in goods_in payout goods_out
    occurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column(Money())  # cash, signed
    category: Mapped[str | None] = mapped_column(String(20))
    item: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(10))
    quantity: Mapped[int | None] = mapped_column(Integer)  # goods, signed
    rejected: Mapped[int | None] = mapped_column(Integer)  # turned away at intake (why: note)
    value: Mapped[Decimal | None] = mapped_column(Money())  # in-kind value, signed
    purpose: Mapped[str] = mapped_column(Text, default="")
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"))
    recipient_public: Mapped[str | None] = mapped_column(String(120))
    fulfilment_id: Mapped[int | None] = mapped_column(ForeignKey("fulfilments.id"))
    distribution_id: Mapped[int | None] = mapped_column(ForeignKey("distributions.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    pledge: Mapped[Pledge | None] = relationship()

    __table_args__ = (
        _reversed_once("ledger_entries"),
        CheckConstraint("kind IN ('cash_in', 'goods_in', 'payout', 'goods_out')", name="kind"),
        Index("ix_ledger_entries_fund_stock", "fund_id", "category", "item", "unit"),
        # what one gift funded (allocation.py) reads its own rows
        Index("ix_ledger_entries_pledge", "pledge_id"),
        # the public ledger and the fund page, newest first, a page at a time (ledger.entries)
        Index("ix_ledger_entries_fund_newest", "fund_id", "occurred_on", "id"),
    )



# --- stored state, kept with every ledger row (the ledger stays the source of truth) --------

class FundBalance(db.Model):
    """A fund's running money totals, changed in the same unit of work as the ledger rows
    and movements they count (stored.py), so a fund page reads one row, not its history."""

    __tablename__ = "fund_balances"

    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), primary_key=True)
    received: Mapped[Decimal] = mapped_column(Money(), default=0)  # cash in, net
    distributed: Mapped[Decimal] = mapped_column(Money(), default=0)  # cash paid out, net
    in_kind_received: Mapped[Decimal] = mapped_column(Money(), default=0)
    payouts: Mapped[int] = mapped_column(Integer, default=0)  # standing money payouts
    # money promised by pledges still standing (not ended by hand), plus what did arrive of
    # released ones: the fund page's "pledged" (ledger.progress_of), kept by pledges.py and
    # intake.reverse with the pledge changes, so the page does not sum every pledge
    pledged: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")
    pledges: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # standing
    pledges_made: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # ever
    # rows in the fund's public ledger, reversals included: the ledger's pages count from it
    entries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint("received - distributed >= 0", name="cash_held"),
        CheckConstraint("distributed >= 0", name="distributed"),
        CheckConstraint("payouts >= 0", name="payouts"),
        CheckConstraint("pledged >= 0", name="pledged"),
        CheckConstraint("pledges >= 0 AND pledges_made >= pledges", name="pledges"),
        CheckConstraint("entries >= 0", name="entries"),
    )


class FundStock(GoodsColumns, db.Model):
    """Goods a fund holds per (category, item, unit), with what came in and went out."""

    __tablename__ = "fund_stock"

    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    item: Mapped[str] = mapped_column(String(80), primary_key=True)
    unit: Mapped[str] = mapped_column(String(10), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[Decimal] = mapped_column(Money(), default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)  # goods_in, net
    distributed: Mapped[int] = mapped_column(Integer, default=0)  # goods_out, net

    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("quantity = received - distributed", name="balanced"),
    )


class GiftAllocation(db.Model):
    """Which gift a payout (or goods handed out) drew on, first in first out (allocation.py):
    append-only; when later rows change the order (a back-dated gift, a reversal), rows
    with the difference are appended, so the sums always equal a replay of the ledger."""

    __tablename__ = "gift_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    outflow_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    inflow_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"))
    amount: Mapped[Decimal | None] = mapped_column(Money())  # cash, signed
    quantity: Mapped[int | None] = mapped_column(Integer)  # goods, signed
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_gift_allocations_pledge", "pledge_id", "outflow_id"),
        CheckConstraint("(amount IS NULL) <> (quantity IS NULL)", name="cash_or_goods"),
        CheckConstraint("COALESCE(amount, 0) <> 0 OR COALESCE(quantity, 0) <> 0",
                        name="nonzero"),
    )
