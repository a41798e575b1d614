"""Stored state beside the ledger: a fund's money totals and row count (fund_balances)
and its goods on hand (fund_stock), changed by every ledger row posted, in the same unit
of work, with atomic UPDATEs (col = col + delta) and held by CHECKs (cash held and stock
never below zero). The ledger stays the append-only source of truth: `drift` compares the
stored rows with a recomputation from it, `rebuild` recomputes them (a migration's
backfill)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, delete, func, insert, select, update

from server.donations import errors
from server.donations.models import Pledge
from server.donations.money import MAX_MONEY, yuan
from server.donations.movements import (
    Distribution,
    Fulfilment,
    FundBalance,
    FundStock,
    LedgerEntry,
)
from server.extensions import db


def open_fund(fund_id: int) -> None:
    """A new fund starts with zero totals (funds.create_fund)."""
    db.session.add(FundBalance(fund_id=fund_id, received=0, distributed=0, in_kind_received=0,
                               payouts=0, pledged=0, pledges=0, pledges_made=0, entries=0))
    db.session.flush()


def _ensure_balance(fund_id: int) -> None:
    if db.session.get(FundBalance, fund_id) is None:
        open_fund(fund_id)


def _add(fund_id: int, **deltas) -> None:
    _ensure_balance(fund_id)
    db.session.execute(update(FundBalance).where(FundBalance.fund_id == fund_id).values(
        {k: getattr(FundBalance, k) + v for k, v in deltas.items()}))


def add_in_kind(fund_id: int, value: Decimal | None) -> None:
    if value:
        _add(fund_id, in_kind_received=value)


def add_payouts(fund_id: int, count: int) -> None:
    _add(fund_id, payouts=count)


def _add_pledged(fund_id: int, delta, **deltas) -> None:
    """`pledged` up by delta, only while it stays within what its column holds: past it,
    a refusal (fund_total_full), not a database error. In the UPDATE itself, so that two
    pledges at once are measured one after the other."""
    _ensure_balance(fund_id)
    done = db.session.execute(
        update(FundBalance).where(FundBalance.fund_id == fund_id,
                                  FundBalance.pledged + delta <= MAX_MONEY)
        .values({"pledged": FundBalance.pledged + delta,
                 **{k: getattr(FundBalance, k) + v for k, v in deltas.items()}}))
    if done.rowcount != 1:
        raise errors.FundTotalFull()


def pledge_made(fund_id: int, amount: Decimal | None) -> None:
    """A new pledge stands (pledges.create_pledge): goods pledges have no amount."""
    _add_pledged(fund_id, amount or 0, pledges=1, pledges_made=1)


def pledge_changed(fund_id: int, before: Decimal | None, after: Decimal | None) -> None:
    """A standing pledge's amount changed (pledges.edit_pledge)."""
    if (after or 0) != (before or 0):
        _add_pledged(fund_id, (after or 0) - (before or 0))


def pledge_ended(fund_id: int, amount: Decimal | None, kept: Decimal) -> None:
    """Ended by hand: its promise no longer counts; of a released one, what arrived
    (`kept`, net of reversals) still does."""
    _add(fund_id, pledged=kept - (amount or 0), pledges=-1)


def released_received(fund_id: int, amount: Decimal | None) -> None:
    """A receipt of a released pledge recorded or reversed (intake.reverse)."""
    if amount:
        _add_pledged(fund_id, amount)


def posted(entry: LedgerEntry) -> None:
    """Count one ledger row (ledger.post calls this for every row, reversals included)."""
    deltas = {"entries": 1}
    if entry.kind == "cash_in" and entry.amount:
        deltas["received"] = entry.amount
    elif entry.kind == "payout" and entry.amount:
        deltas["distributed"] = -entry.amount
    _add(entry.fund_id, **deltas)
    if entry.kind in ("goods_in", "goods_out") and entry.quantity:
        key = (entry.fund_id, entry.category, entry.item, entry.unit)
        if db.session.get(FundStock, key) is None:
            db.session.add(FundStock(fund_id=entry.fund_id, category=entry.category,
                                     item=entry.item, unit=entry.unit, quantity=0, value=0,
                                     received=0, distributed=0))
            db.session.flush()
        inward = entry.kind == "goods_in"
        db.session.execute(update(FundStock).where(
            FundStock.fund_id == entry.fund_id, FundStock.category == entry.category,
            FundStock.item == entry.item, FundStock.unit == entry.unit).values(
            quantity=FundStock.quantity + entry.quantity,
            value=FundStock.value + (entry.value or 0),
            received=FundStock.received + (entry.quantity if inward else 0),
            distributed=FundStock.distributed - (0 if inward else entry.quantity)))


def pledge_counts(fund_ids: list[int]):
    """SQL: how many pledges these funds ever had (the desk's total when nothing is
    filtered), from the stored counts."""
    return select(func.coalesce(func.sum(FundBalance.pledges_made), 0)).where(
        FundBalance.fund_id.in_(fund_ids))


def entry_count(fund_id: int) -> int:
    """How many rows the fund's ledger has, as stored."""
    return db.session.scalar(select(FundBalance.entries)
                             .where(FundBalance.fund_id == fund_id)) or 0


def balance(fund_id: int) -> tuple[Decimal, Decimal, Decimal, int]:
    """(received, distributed, in-kind received, payouts) as stored."""
    row = db.session.execute(select(
        FundBalance.received, FundBalance.distributed, FundBalance.in_kind_received,
        FundBalance.payouts).where(FundBalance.fund_id == fund_id)).one_or_none()
    return tuple(row) if row else (yuan(0), yuan(0), yuan(0), 0)


def stock_row(fund_id: int, category: str, item: str, unit: str) -> tuple[int, Decimal]:
    row = db.session.execute(select(FundStock.quantity, FundStock.value).where(
        FundStock.fund_id == fund_id, FundStock.category == category,
        FundStock.item == item, FundStock.unit == unit)).one_or_none()
    return (row[0], yuan(row[1])) if row else (0, yuan(0))


# --- the ledger's word: recomputed, compared, rebuilt ----------------------------------------

def _recomputed(fund_id: int) -> tuple[dict, dict]:
    """The totals and the stock as the ledger and the movements say, summed in SQL."""
    undone = select(Distribution.reverses_id).where(Distribution.reverses_id.is_not(None))
    received = db.session.scalar(select(func.coalesce(func.sum(Fulfilment.amount), 0))
                                 .where(Fulfilment.fund_id == fund_id))
    in_kind = db.session.scalar(select(func.coalesce(func.sum(Fulfilment.in_kind_value), 0))
                                .where(Fulfilment.fund_id == fund_id))
    paid, payouts = db.session.execute(
        select(func.coalesce(func.sum(Distribution.amount), 0),
               func.count(Distribution.id).filter(
                   Distribution.kind == "money", Distribution.reverses_id.is_(None),
                   Distribution.id.not_in(undone.scalar_subquery())))
        .where(Distribution.fund_id == fund_id)).one()
    live = Pledge.end_state.is_(None)
    promised, standing, made = db.session.execute(
        select(func.coalesce(func.sum(Pledge.amount).filter(live), 0),
               func.count(Pledge.id).filter(live), func.count(Pledge.id))
        .where(Pledge.fund_id == fund_id)).one()
    kept = db.session.scalar(
        select(func.coalesce(func.sum(Fulfilment.amount), 0))
        .join(Pledge, Fulfilment.pledge_id == Pledge.id)
        .where(Fulfilment.fund_id == fund_id, Pledge.end_state == "released"))
    rows = db.session.scalar(select(func.count(LedgerEntry.id))
                             .where(LedgerEntry.fund_id == fund_id))
    totals = {"received": yuan(received), "distributed": yuan(paid),
              "in_kind_received": yuan(in_kind), "payouts": payouts,
              "pledged": yuan(promised) + yuan(kept), "pledges": standing,
              "pledges_made": made, "entries": rows}
    inward = LedgerEntry.kind == "goods_in"
    stock = {}
    for c, i, u, q, v, got, out in db.session.execute(
            select(LedgerEntry.category, LedgerEntry.item, LedgerEntry.unit,
                   func.sum(LedgerEntry.quantity), func.coalesce(func.sum(LedgerEntry.value), 0),
                   func.sum(case((inward, LedgerEntry.quantity), else_=0)),
                   -func.sum(case((inward, 0), else_=LedgerEntry.quantity)))
            .where(LedgerEntry.fund_id == fund_id, LedgerEntry.quantity.is_not(None))
            .group_by(LedgerEntry.category, LedgerEntry.item, LedgerEntry.unit)):
        stock[(c, i, u)] = (q, yuan(v), got, out)
    return totals, stock


def drift(fund_id: int) -> list[str]:
    """Where the stored rows differ from the ledger (empty: they agree)."""
    totals, stock = _recomputed(fund_id)
    row = db.session.scalars(select(FundBalance).where(FundBalance.fund_id == fund_id)
                             .execution_options(populate_existing=True)).one_or_none()
    have = {k: (getattr(row, k) if row else 0) for k in totals}
    have = {k: yuan(v) if isinstance(totals[k], Decimal) else v for k, v in have.items()}
    found = [f"fund {fund_id} {k}: stored {have[k]}, ledger {v}"
             for k, v in totals.items() if have[k] != v]
    rows = {(r.category, r.item, r.unit): (r.quantity, yuan(r.value), r.received, r.distributed)
            for r in db.session.scalars(select(FundStock).where(FundStock.fund_id == fund_id)
                                        .execution_options(populate_existing=True))}
    for key in sorted(set(rows) | set(stock)):
        if rows.get(key, (0, yuan(0), 0, 0)) != stock.get(key, (0, yuan(0), 0, 0)):
            found.append(f"fund {fund_id} stock {key}: stored {rows.get(key)}, "
                         f"ledger {stock.get(key)}")
    return found


def rebuild(fund_id: int) -> None:
    """Set the stored rows from the ledger (the backfill for existing funds)."""
    totals, stock = _recomputed(fund_id)
    db.session.execute(delete(FundStock).where(FundStock.fund_id == fund_id))
    db.session.execute(delete(FundBalance).where(FundBalance.fund_id == fund_id))
    db.session.execute(insert(FundBalance).values(fund_id=fund_id, **totals))
    for (c, i, u), (q, v, got, out) in stock.items():
        db.session.execute(insert(FundStock).values(
            fund_id=fund_id, category=c, item=i, unit=u, quantity=q, value=v, received=got,
            distributed=out))
