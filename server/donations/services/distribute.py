"""Giving out: payouts of money and goods to households or partner organisations.

The fund row is locked while a distribution is decided, so two coordinators cannot both
give away the last 10 books or the last 1,000 yuan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.accounts.models import User
from server.communities.models import Organisation
from server.core import timefmt
from server.core.clock import local
from server.core.db import fetch
from server.donations import errors
from server.donations.money import fmt, yuan
from server.donations.movements import Distribution, DistributionLine, LedgerEntry
from server.donations.services import allocation, funds, ledger, pledges, stored
from server.donations.vocab import unit_word
from server.extensions import db


def get_distribution(distribution_id: int) -> Distribution:
    return fetch(Distribution, distribution_id, errors.DistributionNotFound)


def managed_distribution(distribution_id: int, actor: User | None) -> Distribution:
    """A distribution of a fund the actor runs (recipients' names are behind it); any
    other is "not found"."""
    found = get_distribution(distribution_id)
    if not funds.can_manage(actor, funds.get_fund(found.fund_id)):
        raise errors.DistributionNotFound()
    return found


def _replayed(nonce: str | None, fund_id: int, data: dict) -> Distribution | None:
    """The distribution this nonce already recorded, if it is the same one sent again; a
    nonce is never reused elsewhere, nor for another amount, goods or recipient (the
    sender would believe the new one recorded)."""
    if not nonce:
        return None
    found = db.session.scalar(select(Distribution).where(Distribution.nonce == nonce))
    if found is not None and (found.fund_id != fund_id or not _same(found, data)):
        raise errors.NonceReused()
    return found


def _same(dist: Distribution, data: dict) -> bool:
    """The same handing-out sent again: kind, recipient, and amount or goods."""
    if (dist.kind, dist.recipient_kind, dist.recipient_org_id) != (
            data.get("kind"), data.get("recipient_kind"), data.get("recipient_org_id")):
        return False
    if (dist.recipient_name or "").strip() != (
            data.get("recipient_name") or dist.recipient_name or "").strip():
        return False
    if dist.kind == "money":
        return data.get("amount") is not None and yuan(data["amount"]) == dist.amount
    sent: dict[tuple, int] = {}
    for x in data.get("lines") or []:
        key = (x["category"], x["item"].strip(), x["unit"])
        sent[key] = sent.get(key, 0) + x["quantity"]
    return sent == {(x.category, x.item, x.unit): x.quantity for x in dist.lines}


def distribute(fund_id: int, data: dict, *, actor: User, now: datetime) -> Distribution:
    """Record money paid out (with the committee decision) or goods handed over (with who
    signed for them). Never more than the fund holds."""
    funds.require_manager(actor, funds.get_fund(fund_id))
    replay = _replayed(data.get("nonce"), fund_id, data)
    if replay is not None:
        return replay
    fund = funds.get_fund(fund_id, lock=True)
    replay = _replayed(data.get("nonce"), fund_id, data)  # the first may have committed
    if replay is not None:
        return replay
    pledges.check_kind(data["kind"], data)
    on = data.get("distributed_on") or local(now).date()
    if on > local(now).date():
        raise errors.DistributedInFuture()
    if on < funds.opened_on(fund):
        raise errors.DistributedBeforeFund(opened=timefmt.day(funds.opened_on(fund), local(now)))
    org = None
    if data["recipient_kind"] == "organisation":
        org = db.session.get(Organisation, data["recipient_org_id"]) if data.get(
            "recipient_org_id") else None
        if org is None and not (data.get("recipient_name") or "").strip():
            raise errors.RecipientRequired(errors={"recipient_org_id": ["required"]})
    elif not (data.get("recipient_name") or "").strip():
        raise errors.RecipientRequired()
    name = org.name if org else data["recipient_name"].strip()
    dist = Distribution(
        fund_id=fund.id, kind=data["kind"], recipient_kind=data["recipient_kind"],
        recipient_name=name, recipient_org_id=org.id if org else None,
        decision_ref=(data.get("decision_ref") or "").strip() or None,
        purpose=(data.get("purpose") or "").strip(), signed_by=data["signed_by"].strip(),
        distributed_on=on, nonce=data.get("nonce") or None, recorded_by_id=actor.id,
        recorded_at=now)
    public = ledger.recipient_public(dist.recipient_kind, name)
    base = dict(on=on, now=now, purpose=dist.purpose, recipient_public=public)
    if dist.kind == "money":
        if not dist.decision_ref:
            raise errors.DecisionRequired(errors={"decision_ref": ["required"]})
        if data.get("amount") is None:
            raise errors.AmountRequired()
        dist.amount = yuan(data["amount"])
        balance = ledger.cash_balance(fund.id)
        if balance < dist.amount:
            raise errors.InsufficientFunds(balance=fmt(balance), errors={"amount": ["range"]})
        db.session.add(dist)
        db.session.flush()
        posted = [ledger.post(fund.id, "payout", amount=-dist.amount, distribution_id=dist.id,
                              **base)]
        stored.add_payouts(fund.id, 1)
    else:
        if not data.get("lines"):
            raise errors.LinesRequired()
        wanted: dict[tuple[str, str, str], int] = {}
        first: dict[tuple[str, str, str], int] = {}  # the line a shortage is told beside
        for n, x in enumerate(data["lines"]):
            key = (x["category"], x["item"].strip(), x["unit"])
            wanted[key] = wanted.get(key, 0) + x["quantity"]
            first.setdefault(key, n)
        for key, qty in wanted.items():
            category, item, unit = key
            have = ledger.on_hand(fund.id, category, item, unit)
            if have < qty:
                short = errors.InsufficientStock(available=have, item=item,
                                                 unit=unit_word(unit, have))
                short.errors = {f"lines.{first[key]}.quantity": [short.text()]}
                raise short
        dist.lines = [DistributionLine(category=c, item=i, unit=u, quantity=q)
                      for (c, i, u), q in wanted.items()]
        db.session.add(dist)
        db.session.flush()
        posted = []
        for line in dist.lines:
            posted.append(ledger.post(
                fund.id, "goods_out", category=line.category, item=line.item, unit=line.unit,
                quantity=-line.quantity,
                value=-ledger.value_out(fund.id, line.category, line.item, line.unit,
                                        line.quantity),
                distribution_id=dist.id, **base))
    allocation.sync(fund.id, now=now, appended=posted)
    return dist


def reverse(dist: Distribution, *, actor: User, reason: str, now: datetime) -> Distribution:
    """A distribution recorded in error: reversed with a reason, never edited."""
    fund = funds.get_fund(dist.fund_id, lock=True)
    funds.require_manager(actor, fund)
    if not reason.strip():
        raise errors.ReasonRequired(errors={"reason": ["required"]})
    if dist.reverses_id is not None:
        raise errors.CannotReverseReversal()
    if db.session.scalar(select(Distribution.id).where(Distribution.reverses_id == dist.id)):
        raise errors.AlreadyReversed()
    undo = Distribution(
        fund_id=fund.id, kind=dist.kind,
        amount=-dist.amount if dist.amount is not None else None,
        recipient_kind=dist.recipient_kind, recipient_name=dist.recipient_name,
        recipient_org_id=dist.recipient_org_id, decision_ref=dist.decision_ref,
        # on the day of the payout it undoes (as intake.reverse): the month's figures net out
        purpose=dist.purpose, signed_by=dist.signed_by, distributed_on=dist.distributed_on,
        reverses_id=dist.id, reason=reason.strip(), recorded_by_id=actor.id, recorded_at=now,
        lines=[DistributionLine(category=x.category, item=x.item, unit=x.unit,
                                quantity=-x.quantity) for x in dist.lines])
    db.session.add(undo)
    db.session.flush()
    originals = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.distribution_id == dist.id)).all()
    ledger.reverse_entries(list(originals), now=now, note=reason.strip(), distribution_id=undo.id)
    if dist.kind == "money":
        stored.add_payouts(fund.id, -1)
    allocation.sync(fund.id, now=now)
    return undo
