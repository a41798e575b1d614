"""What a gift funded (《慈善法》 Art 42): gifts are spent first in, first out.

Money a fund receives is pooled, so "your 500 yuan" is traced the way fund accountants do
it: payouts draw on the oldest money still held. Goods are traced the same way per item.
Reversed movements (and their reversals) are left out: they never happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from server.donations.models import Pledge
from server.donations.money import ZERO
from server.donations.movements import LedgerEntry
from server.extensions import db


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


def _standing(fund_id: int) -> list[LedgerEntry]:
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.fund_id == fund_id)
                                   .order_by(LedgerEntry.occurred_on, LedgerEntry.id)))
    cancelled = {r.reverses_id for r in rows if r.reverses_id} | {
        r.id for r in rows if r.reverses_id}
    return [r for r in rows if r.id not in cancelled]


def funded_by(pledge: Pledge) -> Funded:
    rows = _standing(pledge.fund_id)
    uses: list[Use] = []
    # money: a queue of (is_mine, amount left) in the order it arrived
    cash = [[r.pledge_id == pledge.id, r.amount] for r in rows if r.kind == "cash_in"]
    goods: dict[tuple, list[list]] = {}
    for r in rows:
        if r.kind == "goods_in":
            goods.setdefault((r.category, r.item, r.unit), []).append(
                [r.pledge_id == pledge.id, r.quantity])
    for r in rows:
        if r.kind == "payout":
            mine = _draw(cash, -r.amount, ZERO)
            if mine:
                uses.append(Use(r.occurred_on, r.kind, r.recipient_public or "", r.purpose,
                                mine, None, None, None))
        elif r.kind == "goods_out":
            mine = _draw(goods.get((r.category, r.item, r.unit), []), -r.quantity, 0)
            if mine:
                uses.append(Use(r.occurred_on, r.kind, r.recipient_public or "", r.purpose,
                                None, mine, r.item, r.unit))
    held_goods: dict[tuple[str, str], int] = {}
    for (_category, item, unit), queue in goods.items():
        left = sum(q for is_mine, q in queue if is_mine)
        if left:
            held_goods[(item, unit)] = left
    return Funded(uses=uses, held_amount=sum((a for is_mine, a in cash if is_mine), ZERO),
                  held_goods=held_goods)


def _draw(queue: list[list], need, zero):
    """Take `need` from the front of the queue; return how much of it was the donor's."""
    mine = zero
    for slot in queue:
        if need <= 0:
            break
        take = min(slot[1], need)
        if take <= 0:
            continue
        slot[1] -= take
        need -= take
        if slot[0]:
            mine += take
    return mine
