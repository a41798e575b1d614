"""What a gift funded (《慈善法》 Art 42): gifts are spent first in, first out.

Money a fund receives is pooled, so "your 500 yuan" is traced the way fund accountants do
it: payouts draw on the oldest money still held. Goods are traced the same way per item.
Reversed movements (and their reversals) are left out: they never happened.

The tracing is stored (gift_allocations): `sync` replays the fund's ledger under the fund's
row lock whenever a movement may change it and appends the difference, so a pledge's page
reads its own rows, never the fund's whole history. A gift that joins the end of the queue
changes nothing already drawn, and is not replayed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from server.donations.models import Pledge
from server.donations.money import ZERO, yuan
from server.donations.movements import GiftAllocation, LedgerEntry
from server.extensions import db

INFLOW = ("cash_in", "goods_in")
FRONT = 200  # gifts read at a time from the front of the queue


@dataclass
class Use:
    on: date
    kind: str               # payout | goods_out
    recipient: str          # already masked
    purpose: str
    amount: Decimal | None  # the part of this payout that came from the gift
    quantity: int | None
    item: str | None
    unit: str | None


@dataclass
class Funded:
    uses: list[Use]
    held_amount: Decimal    # of the gift, still in the fund
    held_goods: dict[tuple[str, str], int]  # (item, unit) -> quantity still in stock


# --- the replay: the ledger's word ----------------------------------------------------------

def replay(fund_id: int) -> dict[tuple[int, int], tuple[int, Decimal | None, int | None]]:
    """(outflow row, inflow row) -> (pledge, amount, quantity): which gift each payout and
    each handing-out drew on, replaying the standing rows in the order they happened."""
    rows = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.quantity,
               LedgerEntry.category, LedgerEntry.item, LedgerEntry.unit,
               LedgerEntry.pledge_id, LedgerEntry.reverses_id)
        .where(LedgerEntry.fund_id == fund_id)
        .order_by(LedgerEntry.occurred_on, LedgerEntry.id)).all()
    cancelled = {r.reverses_id for r in rows if r.reverses_id} | {
        r.id for r in rows if r.reverses_id}
    rows = [r for r in rows if r.id not in cancelled]
    cash = deque([r.id, r.pledge_id, r.amount] for r in rows if r.kind == "cash_in")
    goods: dict[tuple, deque] = {}
    for r in rows:
        if r.kind == "goods_in":
            goods.setdefault((r.category, r.item, r.unit), deque()).append(
                [r.id, r.pledge_id, r.quantity])
    out: dict[tuple[int, int], tuple] = {}
    for r in rows:
        if r.kind == "payout":
            for inflow, pledge_id, take in _draw(cash, -r.amount):
                out[(r.id, inflow)] = (pledge_id, yuan(take), None)
        elif r.kind == "goods_out":
            for inflow, pledge_id, take in _draw(goods.get((r.category, r.item, r.unit), deque()),
                                                 -r.quantity):
                out[(r.id, inflow)] = (pledge_id, None, take)
    return out


def _draw(queue: deque, need) -> list[tuple]:
    """Take `need` from the front of the queue: (inflow, pledge, how much) per gift. Spent
    gifts leave the queue, so each payout starts at the first gift with money left."""
    taken = []
    while need > 0 and queue:
        slot = queue[0]
        take = min(slot[2], need)
        slot[2] -= take
        need -= take
        if take > 0:
            taken.append((slot[0], slot[1], take))
        if slot[2] <= 0:
            queue.popleft()
    return taken


def stored(fund_id: int) -> dict[tuple[int, int], tuple[int, Decimal | None, int | None]]:
    """The same map as `replay`, summed from the stored rows (pairs that net to zero left out)."""
    found = {}
    for out_id, in_id, pledge_id, amount, quantity in db.session.execute(
            select(GiftAllocation.outflow_id, GiftAllocation.inflow_id, GiftAllocation.pledge_id,
                   func.sum(GiftAllocation.amount), func.sum(GiftAllocation.quantity))
            .where(GiftAllocation.fund_id == fund_id)
            .group_by(GiftAllocation.outflow_id, GiftAllocation.inflow_id,
                      GiftAllocation.pledge_id)):
        if amount or quantity:
            found[(out_id, in_id)] = (pledge_id, yuan(amount) if amount is not None else None,
                                      quantity if amount is None else None)
    return found


def sync(fund_id: int, *, now: datetime, appended: list[LedgerEntry] | None = None) -> int:
    """Bring the stored tracing in line with the ledger: append a row for each difference
    (the caller holds the fund's row lock). `appended`: the only new rows are these gifts; if
    each joins the end of its queue, nothing already drawn changes and nothing is replayed."""
    db.session.flush()
    if appended is not None and all(e.reverses_id is None and not _earlier_exists(e)
                                    for e in appended):
        if all(e.kind in INFLOW for e in appended):
            return 0
        if all(e.kind not in INFLOW for e in appended):
            return _draw_last(fund_id, appended, now=now)
    want, have = replay(fund_id), stored(fund_id)
    added = 0
    for key in set(want) | set(have):
        pledge_id, amount, quantity = want.get(key) or have[key]
        _, had_amount, had_quantity = have.get(key, (pledge_id, None, None))
        _, new_amount, new_quantity = want.get(key, (pledge_id, None, None))
        if amount is not None:
            delta = (new_amount or ZERO) - (had_amount or ZERO)
            row = dict(amount=delta) if delta else None
        else:
            delta = (new_quantity or 0) - (had_quantity or 0)
            row = dict(quantity=delta) if delta else None
        if row:
            db.session.add(GiftAllocation(fund_id=fund_id, outflow_id=key[0], inflow_id=key[1],
                                          pledge_id=pledge_id, recorded_at=now, **row))
            added += 1
    db.session.flush()
    return added


def _draw_last(fund_id: int, outflows: list[LedgerEntry], *, now: datetime) -> int:
    """Payouts (or goods handed out) that come after every earlier one draw on what is left
    of the gifts, oldest first, as a replay would: nothing drawn before changes."""
    added = 0
    for out in outflows:
        cash = out.kind == "payout"
        kind, size = ("cash_in", LedgerEntry.amount) if cash else ("goods_in",
                                                                    LedgerEntry.quantity)
        same = [LedgerEntry.fund_id == fund_id, LedgerEntry.kind == kind,
                LedgerEntry.reverses_id.is_(None)]
        if not cash:
            same += [LedgerEntry.category == out.category, LedgerEntry.item == out.item,
                     LedgerEntry.unit == out.unit]
        undone = select(LedgerEntry.reverses_id).where(LedgerEntry.fund_id == fund_id,
                                                       LedgerEntry.reverses_id.is_not(None))
        column = GiftAllocation.amount if cash else GiftAllocation.quantity
        drawn = func.coalesce(func.sum(column), 0, type_=column.type)
        query = (select(LedgerEntry.id, LedgerEntry.pledge_id, size, drawn)
                 .outerjoin(GiftAllocation, GiftAllocation.inflow_id == LedgerEntry.id)
                 .where(*same, LedgerEntry.id.not_in(undone.scalar_subquery()))
                 .group_by(LedgerEntry.id, LedgerEntry.pledge_id, size,
                           LedgerEntry.occurred_on)
                 .having(size - drawn > 0)
                 .order_by(LedgerEntry.occurred_on, LedgerEntry.id))
        need = -(out.amount if cash else out.quantity)
        read = 0
        while need > 0:  # the front of the queue, a few gifts at a time (it may be long)
            left = db.session.execute(query.limit(FRONT).offset(read)).all()
            read += len(left)
            queue = deque([i, p, yuan(n) - yuan(d) if cash else n - d] for i, p, n, d in left)
            for inflow, pledge_id, take in _draw(queue, need):
                need -= take
                db.session.add(GiftAllocation(
                    fund_id=fund_id, outflow_id=out.id, inflow_id=inflow,
                    pledge_id=pledge_id, recorded_at=now,
                    **({"amount": take} if cash else {"quantity": take})))
                added += 1
            if len(left) < FRONT:
                break
        db.session.flush()
    return added


def _earlier_exists(entry: LedgerEntry) -> bool:
    """Does any row of the same queue (gifts, or what drew on them) sort after this one
    (it was back-dated)?"""
    same = [LedgerEntry.fund_id == entry.fund_id, LedgerEntry.kind == entry.kind,
            LedgerEntry.id != entry.id]
    if entry.kind in ("goods_in", "goods_out"):
        same += [LedgerEntry.category == entry.category, LedgerEntry.item == entry.item,
                 LedgerEntry.unit == entry.unit]
    later = (LedgerEntry.occurred_on > entry.occurred_on) | (
        (LedgerEntry.occurred_on == entry.occurred_on) & (LedgerEntry.id > entry.id))
    return db.session.scalar(select(LedgerEntry.id).where(*same, later).limit(1)) is not None


def drift(fund_id: int) -> list[str]:
    want, have = replay(fund_id), stored(fund_id)
    return [f"fund {fund_id} allocation {k}: stored {have.get(k)}, ledger {want.get(k)}"
            for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]


# --- what one gift funded: its own rows -----------------------------------------------------

def funded_by(pledge: Pledge) -> Funded:
    """Three indexed reads of the pledge's own rows, whatever the size of the fund."""
    out = aliased(LedgerEntry)
    uses = []
    for r, amount, quantity in db.session.execute(
            select(out, func.sum(GiftAllocation.amount), func.sum(GiftAllocation.quantity))
            .join(GiftAllocation, GiftAllocation.outflow_id == out.id)
            .where(GiftAllocation.pledge_id == pledge.id)
            .group_by(out.id).order_by(out.occurred_on, out.id)):
        if amount or quantity:
            uses.append(Use(r.occurred_on, r.kind, r.recipient_public or "", r.purpose,
                            yuan(amount) if amount else None, quantity or None,
                            r.item if quantity else None, r.unit if quantity else None))
    held_goods: dict[tuple[str, str], int] = {}
    given = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.item, LedgerEntry.unit,
               func.coalesce(func.sum(LedgerEntry.amount), 0), func.sum(LedgerEntry.quantity))
        .where(LedgerEntry.pledge_id == pledge.id, LedgerEntry.kind.in_(INFLOW))
        .group_by(LedgerEntry.kind, LedgerEntry.item, LedgerEntry.unit)).all()
    drawn = dict(((item, unit), (amount, quantity)) for item, unit, amount, quantity in
                 db.session.execute(
                     select(LedgerEntry.item, LedgerEntry.unit,
                            func.coalesce(func.sum(GiftAllocation.amount), 0),
                            func.coalesce(func.sum(GiftAllocation.quantity), 0))
                     .join(LedgerEntry, GiftAllocation.inflow_id == LedgerEntry.id)
                     .where(GiftAllocation.pledge_id == pledge.id)
                     .group_by(LedgerEntry.item, LedgerEntry.unit)))
    held_amount = ZERO
    for kind, item, unit, amount, quantity in given:
        spent_amount, spent_quantity = drawn.get((item, unit), (0, 0))
        if kind == "cash_in":
            held_amount += yuan(amount) - yuan(spent_amount)
        elif (quantity or 0) - spent_quantity:
            key = (item, unit)
            held_goods[key] = held_goods.get(key, 0) + quantity - spent_quantity
    return Funded(uses=uses, held_amount=held_amount, held_goods=held_goods)
