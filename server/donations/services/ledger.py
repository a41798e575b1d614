"""The public ledger: posting movements to it, reading it, and the fund's totals.

Every figure here is over Decimal (NUMERIC) columns: received counts fulfilments only,
distributed counts distributions only, stock is the ledger's goods; the money totals and the
stock are read from the rows stored.py keeps with every ledger row (the ledger remains the
source of truth: stored.drift compares them), pledged is summed over the pledges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from server.accounts.privacy import mask_name
from server.core.clock import local
from server.donations.models import Fund, Pledge, PledgeLine
from server.donations.money import ZERO, yuan
from server.donations.movements import (
    Distribution,
    Fulfilment,
    FulfilmentLine,
    FundBalance,
    FundStock,
    LedgerEntry,
)
from server.donations.services import stored
from server.extensions import db


def post(fund_id: int, kind: str, *, on: date, now: datetime, **values) -> LedgerEntry:
    entry = LedgerEntry(fund_id=fund_id, kind=kind, occurred_on=on, recorded_at=now, **values)
    db.session.add(entry)
    stored.posted(entry)  # the fund's totals and stock, in the same unit of work
    return entry


def negated(value):
    """The opposite sign; zero stays 0.00, not -0.00."""
    return -value if value else value


def reverse_entries(originals: list[LedgerEntry], *, now: datetime, note: str,
                    value_of=None, **links) -> None:
    """Post the mirror image of each entry: same kind, opposite sign, pointing at what it
    cancels and saying why. `links` ties the new rows to the reversing fulfilment or
    distribution; `value_of` may say what in-kind value leaves (see value_back)."""
    for original in originals:
        db.session.flush()  # value_of reads the stock as the rows before this one left it
        value = value_of(original) if value_of else negated(original.value)
        post(original.fund_id, original.kind, on=local(now).date(), now=now,
             reverses_id=original.id, pledge_id=original.pledge_id, purpose=original.purpose,
             recipient_public=original.recipient_public, category=original.category,
             item=original.item, unit=original.unit, quantity=negated(original.quantity),
             rejected=negated(original.rejected), value=value,
             amount=negated(original.amount), note=note, **links)


def recipient_public(kind: str, name: str) -> str:
    """Households are always masked in public; partner organisations are named."""
    return name if kind == "organisation" else mask_name(name) + "家"


def entries(fund: Fund, *, limit: int | None = None, offset: int = 0) -> list[LedgerEntry]:
    """Newest first, as a ledger page or a download reads it."""
    query = (select(LedgerEntry).where(LedgerEntry.fund_id == fund.id)
             .options(joinedload(LedgerEntry.pledge))
             .order_by(LedgerEntry.occurred_on.desc(), LedgerEntry.id.desc())
             .offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def count(fund: Fund) -> int:
    """The ledger's rows, from the stored count (not a count over the fund's history)."""
    return stored.entry_count(fund.id)


# --- stock and cash -------------------------------------------------------------------------

@dataclass
class StockItem:
    category: str
    item: str
    unit: str
    quantity: int
    value: Decimal


def stock(fund_id: int) -> list[StockItem]:
    """Goods on hand per item: everything accepted minus everything given out (stored)."""
    rows = db.session.execute(
        select(FundStock.category, FundStock.item, FundStock.unit, FundStock.quantity,
               FundStock.value)
        .where(FundStock.fund_id == fund_id, FundStock.quantity != 0)
        .order_by(FundStock.category, FundStock.item))
    return [StockItem(c, i, u, q, yuan(v)) for c, i, u, q, v in rows]


def on_hand(fund_id: int, category: str, item: str, unit: str) -> int:
    return stored.stock_row(fund_id, category, item, unit)[0]


def value_out(fund_id: int, category: str, item: str, unit: str, quantity: int) -> Decimal:
    """The in-kind value leaving with `quantity` units: their share of the value on hand at
    the average intake value; the last unit out takes whatever value is left, to the fen."""
    have, value = stored.stock_row(fund_id, category, item, unit)
    if not have or quantity >= have:
        return value
    return yuan(value * quantity / have)


def value_back(fund_id: int, category: str, item: str, unit: str, quantity: int,
               value: Decimal) -> Decimal:
    """The value leaving when an intake of `quantity` at `value` is reversed: its own
    value, but never more than is on hand, and all of it when the stock goes to zero (part
    may already have left at the average value)."""
    have, on_hand = stored.stock_row(fund_id, category, item, unit)
    if quantity >= have:
        return on_hand
    return min(yuan(value), on_hand)


def cash_balance(fund_id: int) -> Decimal:
    received, distributed, _, _ = stored.balance(fund_id)
    return yuan(received - distributed)


# --- the fund's progress -------------------------------------------------------------------

@dataclass
class GoodsProgress:
    category: str
    unit: str
    pledged: int = 0
    received: int = 0
    distributed: int = 0


@dataclass
class Progress:
    pledged: Decimal = ZERO
    received: Decimal = ZERO
    distributed: Decimal = ZERO
    in_kind_received: Decimal = ZERO
    pledges: int = 0
    payouts: int = 0
    goods: list[GoodsProgress] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return self.received - self.distributed


def progress(fund: Fund) -> Progress:
    return progress_of([fund])[fund.id]


def progress_of(funds: list[Fund]) -> dict[int, Progress]:
    """Pledged vs received vs distributed, cash and goods apart, for several funds in the
    same five queries as for one (a list of funds is not one query per fund); the money
    figures read the stored row, the goods pledged are still summed from the pledge lines.
    Pledged counts promises still standing (and, for released ones, what did arrive)."""
    ids = [f.id for f in funds]
    out = {i: Progress() for i in ids}
    goods: dict[tuple[int, str, str], GoodsProgress] = {}

    def each(query):
        return db.session.execute(query) if ids else []

    def row(fund_id, category, unit):
        return goods.setdefault((fund_id, category, unit), GoodsProgress(category, unit))

    live = Pledge.end_state.is_(None)
    # the money figures are stored (stored.py): one row per fund, whatever its history
    for fund_id, cash, paid, value, payouts, pledged, count in each(
            select(FundBalance.fund_id, FundBalance.received, FundBalance.distributed,
                   FundBalance.in_kind_received, FundBalance.payouts, FundBalance.pledged,
                   FundBalance.pledges)
            .where(FundBalance.fund_id.in_(ids))):
        out[fund_id].received, out[fund_id].distributed = yuan(cash), yuan(paid)
        out[fund_id].in_kind_received, out[fund_id].payouts = yuan(value), payouts
        out[fund_id].pledged, out[fund_id].pledges = yuan(pledged), count
    for fund_id, category, unit, qty in each(
            select(Pledge.fund_id, PledgeLine.category, PledgeLine.unit,
                   func.sum(PledgeLine.quantity))
            .join(Pledge).where(Pledge.fund_id.in_(ids), live)
            .group_by(Pledge.fund_id, PledgeLine.category, PledgeLine.unit)):
        row(fund_id, category, unit).pledged = qty
    # as for cash: of a released pledge, what did arrive still counts as pledged
    for fund_id, category, unit, qty in each(
            select(Fulfilment.fund_id, FulfilmentLine.category, FulfilmentLine.unit,
                   func.sum(FulfilmentLine.accepted))
            .join(Fulfilment).join(Pledge, Fulfilment.pledge_id == Pledge.id)
            .where(Fulfilment.fund_id.in_(ids), Pledge.end_state == "released")
            .group_by(Fulfilment.fund_id, FulfilmentLine.category, FulfilmentLine.unit)):
        row(fund_id, category, unit).pledged += qty or 0
    for fund_id, category, unit, received, distributed in each(
            select(FundStock.fund_id, FundStock.category, FundStock.unit,
                   func.sum(FundStock.received), func.sum(FundStock.distributed))
            .where(FundStock.fund_id.in_(ids))
            .group_by(FundStock.fund_id, FundStock.category, FundStock.unit)):
        row(fund_id, category, unit).received += received
        row(fund_id, category, unit).distributed += distributed
    for key in sorted(goods):  # (fund, category, unit)
        out[key[0]].goods.append(goods[key])
    return out


def distributions(fund: Fund) -> list[Distribution]:
    return list(db.session.scalars(
        select(Distribution).where(Distribution.fund_id == fund.id)
        .options(joinedload(Distribution.recipient_org), joinedload(Distribution.recorded_by),
                 selectinload(Distribution.lines))
        .order_by(Distribution.distributed_on.desc(), Distribution.id.desc())))
