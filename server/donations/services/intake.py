"""Recording what really arrived (fulfilment) and posting it to the public ledger.

Two coordinators at two tables may confirm the same pledge at once. Each confirmation
carries the pledge version the coordinator was looking at; the pledge row is locked, so
the second one finds the version moved on and is told to refresh instead of recording the
gift twice. A confirmation sent twice (same nonce) returns the first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from server.accounts.models import User
from server.core import timefmt
from server.core.clock import local
from server.core.errors import WusheError
from server.core.labels import label
from server.core.messages import filled
from server.donations import errors
from server.donations.models import Pledge
from server.donations.money import MAX_MONEY, ZERO, fmt, yuan
from server.donations.movements import Fulfilment, FulfilmentLine, IntakeBatch, LedgerEntry
from server.donations.services import allocation, funds, ledger, limits, pledges, stored
from server.donations.vocab import ENDS, PLEDGE_STATE, unit_word
from server.extensions import db
from server.notifications.services import notify


def _replayed(nonce: str | None, pledge_id: int, data: dict) -> Fulfilment | None:
    """The receipt this nonce already recorded, if it is the same one sent again (the
    same amount, or the same goods in the same numbers): never another pledge's or sum."""
    if not nonce:
        return None
    found = db.session.scalar(select(Fulfilment).where(Fulfilment.nonce == nonce))
    if found is not None and (found.pledge_id != pledge_id or not _same(found, data)):
        raise errors.NonceReused()
    return found


def _same(found: Fulfilment, data: dict) -> bool:
    """The same receipt sent again: the same amount, or the same goods in the same numbers."""
    if found.kind == "money":
        return data.get("amount") is not None and yuan(data["amount"]) == found.amount
    planned = {line.id: line for line in found.pledge.lines}

    def what(x: dict) -> tuple:
        line = planned.get(x.get("pledge_line_id"))
        get = (lambda k: getattr(line, k)) if line is not None else x.get
        return ((get("category") or ""), (get("item") or "").strip(), (get("unit") or ""),
                x.get("accepted") or 0, x.get("rejected") or 0)
    sent = sorted(what(x) for x in data.get("lines") or []
                  if x.get("accepted") or x.get("rejected"))
    return sent == sorted((line.category, line.item, line.unit, line.accepted, line.rejected)
                          for line in found.lines)


def managed_fulfilment(fulfilment_id: int, actor: User | None) -> Fulfilment:
    """A receipt of a fund the actor runs; any other is "not found", like a missing id."""
    found = db.session.get(Fulfilment, fulfilment_id)
    if found is None or not funds.can_manage(actor, found.pledge.fund):
        raise errors.FulfilmentNotFound()
    return found


def fulfilments_of(pledge: Pledge) -> list[Fulfilment]:
    """Every receipt of a pledge, reversals included, oldest first."""
    return list(db.session.scalars(
        select(Fulfilment).where(Fulfilment.pledge_id == pledge.id)
        .options(selectinload(Fulfilment.lines), joinedload(Fulfilment.recorded_by))
        .order_by(Fulfilment.id)))


def _check_receipt(data: dict) -> None:
    if not (data.get("receipt_no") or "").strip() and not data.get("receipt_waived"):
        raise errors.ReceiptRequired(errors={"receipt_no": ["required"]})


def _goods_lines(pledge: Pledge, data: dict) -> list[FulfilmentLine]:
    by_id = {line.id: line for line in pledge.lines}
    out = []
    for i, x in enumerate(data.get("lines") or []):
        planned = by_id.get(x["pledge_line_id"]) if x.get("pledge_line_id") else None
        if x.get("pledge_line_id") and planned is None:
            raise errors.UnknownLine(errors={f"lines.{i}.pledge_line_id": ["unknown"]})
        if not planned and not all(x.get(k) for k in ("category", "item", "unit")):
            raise errors.LineIncomplete(errors={f"lines.{i}.item": ["required"]})
        if x.get("rejected") and not (x.get("reject_reason") or "").strip():
            raise errors.RejectReasonRequired(errors={f"lines.{i}.reject_reason": ["required"]})
        if not x.get("accepted") and not x.get("rejected"):
            continue
        out.append(FulfilmentLine(
            pledge_line_id=planned.id if planned else None,
            category=x.get("category") or planned.category,
            item=(x.get("item") or planned.item).strip(),
            unit=x.get("unit") or planned.unit,
            accepted=x.get("accepted") or 0, rejected=x.get("rejected") or 0,
            reject_reason=(x.get("reject_reason") or "").strip() or None,
            unit_value=x.get("unit_value") or ZERO,
            condition=x.get("condition") or (planned.condition if planned else "new"),
            expires_on=x.get("expires_on") or (planned.expires_on if planned else None)))
    if not out:
        raise errors.NothingReceived()
    for i, line in enumerate(out):
        if line.unit_value * line.accepted > MAX_MONEY:
            raise errors.ValueTooLarge(errors={f"lines.{i}.unit_value": ["range"]})
    if sum((x.unit_value * x.accepted for x in out), ZERO) > MAX_MONEY:
        raise errors.ValueTooLarge()
    return out


def _post(fulfilment: Fulfilment, pledge: Pledge, *, now: datetime) -> list[LedgerEntry]:
    base = dict(on=fulfilment.received_on, now=now, pledge_id=pledge.id,
                fulfilment_id=fulfilment.id, purpose=pledge.fund.title)
    stored.add_in_kind(pledge.fund_id, fulfilment.in_kind_value)
    if fulfilment.kind == "money":
        return [ledger.post(pledge.fund_id, "cash_in", amount=fulfilment.amount, **base)]
    return [ledger.post(pledge.fund_id, "goods_in", category=line.category, item=line.item,
                        unit=line.unit, quantity=line.accepted, rejected=line.rejected or None,
                        value=line.unit_value * line.accepted,
                        note=line.reject_reason or "" if line.rejected else "", **base)
            # nothing moved in: a gift turned away is not a movement
            for line in fulfilment.lines if line.accepted]


def record(pledge: Pledge, data: dict, *, actor: User, now: datetime,
           batch: IntakeBatch | None = None) -> Fulfilment:
    """Money or goods arrived for this pledge: record the actual amounts (more or less
    than promised) and post them to the ledger."""
    funds.require_manager(actor, pledge.fund)
    replay = _replayed(data.get("nonce"), pledge.id, data)
    if replay is not None:
        return replay
    pledge = pledges.get_pledge(pledge.id, lock=True)
    # then the fund (always after the pledge): what the gift funded is traced under it
    funds.get_fund(pledge.fund_id, lock=True)
    if limits.is_own(pledge, actor):
        raise errors.OwnPledge()
    # the same confirmation may have committed while we waited for the lock
    replay = _replayed(data.get("nonce"), pledge.id, data)
    if replay is not None:
        return replay
    if data.get("version") is not None and data["version"] != pledge.version:
        raise errors.PledgeChanged()
    current = pledges.state(pledge)
    if current in ENDS:
        raise errors.PledgeEnded(state=label(PLEDGE_STATE, current))
    pledges.check_kind(pledge.kind, data)
    if data.get("received_on") and data["received_on"] > local(now).date():
        raise errors.ReceivedInFuture()
    opened = funds.opened_on(pledge.fund)
    if data.get("received_on") and data["received_on"] < opened:
        raise errors.ReceivedBeforeFund(opened=timefmt.day(opened, local(now)))
    fulfilment = Fulfilment(
        pledge_id=pledge.id, fund_id=pledge.fund_id, kind=pledge.kind,
        batch_id=batch.id if batch else None,
        received_on=data.get("received_on") or local(now).date(),
        receipt_no=(data.get("receipt_no") or "").strip() or None,
        receipt_waived=bool(data.get("receipt_waived")) and not data.get("receipt_no"),
        note=(data.get("note") or "").strip(), nonce=data.get("nonce") or None,
        recorded_by_id=actor.id, recorded_at=now)
    if pledge.kind == "money":
        if data.get("amount") is None:
            raise errors.NothingReceived(errors={"amount": ["required"]})
        fulfilment.amount = yuan(data["amount"])
    else:
        fulfilment.lines = _goods_lines(pledge, data)
        fulfilment.in_kind_value = sum((x.unit_value * x.accepted for x in fulfilment.lines),
                                       ZERO)
    _check_receipt(data)  # after what arrived: the person fixes the lines first
    if pledge.accepted_at is None:  # receiving it is accepting it
        pledge.accepted_at, pledge.accepted_by_id = now, actor.id
    pledge.version += 1
    pledge.updated_at = now
    db.session.add(fulfilment)
    db.session.flush()
    allocation.sync(pledge.fund_id, now=now, appended=_post(fulfilment, pledge, now=now))
    pledges.settle(pledge)
    if pledge.donor_id:
        notify(pledge.donor_id, "gift_received", now=now, pledge_id=pledge.id,
               title=pledge.fund.title,
               reference=pledge.reference,
               amount=fmt(fulfilment.amount) if fulfilment.amount is not None else None,
               goods=[(x.item, x.accepted, x.unit) for x in fulfilment.lines if x.accepted])
    db.session.flush()
    return fulfilment


def _batch_replayed(nonce: str | None, fund_id: int, data: dict) -> list[Fulfilment] | None:
    """The batch this nonce already recorded, if it is the same one sent again (the same
    references and amounts): a page sent back with other gifts is refused, not answered
    "recorded" with the first batch's."""
    if not nonce:
        return None
    batch = db.session.scalar(select(IntakeBatch).where(IntakeBatch.nonce == nonce))
    if batch is None:
        return None
    done = list(db.session.scalars(select(Fulfilment).where(Fulfilment.batch_id == batch.id)
                                   .options(joinedload(Fulfilment.pledge))
                                   .order_by(Fulfilment.id)))
    sent = sorted((pledges.normalise_reference(item["reference"]), yuan(item["amount"]))
                  for item in data["items"])
    if batch.fund_id != fund_id or sent != sorted(
            (f.pledge.reference, f.amount) for f in done):
        raise errors.NonceReused()
    return done


def record_batch(fund_id: int, data: dict, *, actor: User, now: datetime) -> list[Fulfilment]:
    """Several money gifts at once (a donation box, a bank statement). The count and total
    counted by hand must match the lines, or nothing is recorded. Sent twice (same nonce),
    it is recorded once."""
    fund = funds.get_fund(fund_id)
    funds.require_manager(actor, fund)
    replay = _batch_replayed(data.get("nonce"), fund.id, data)
    if replay is not None:
        return replay
    items = data["items"]
    seen: set[str] = set()
    found: list[Pledge] = []
    for i, item in enumerate(items):
        at = {f"items.{i}.reference": ["unknown"]}
        pledge = pledges.by_reference(item["reference"])
        if pledge.fund_id != fund.id:
            raise errors.ReferenceNotFound(reference=item["reference"], errors=at)
        if pledge.reference in seen:
            raise errors.DuplicateInBatch(reference=pledge.reference, errors=at)
        if pledge.kind != "money":
            raise errors.KindNotAccepted(errors=at)
        seen.add(pledge.reference)
        found.append(pledge)
    total = sum((yuan(item["amount"]) for item in items), ZERO)
    problems = []
    if len(items) != data["expected_count"]:
        problems.append(f"{len(items)} / {data['expected_count']}")
    if data.get("expected_total") is not None and total != data["expected_total"]:
        problems.append(f"{fmt(total)} / {fmt(data['expected_total'])}")
    if problems:
        raise errors.BatchMismatch(detail="; ".join(problems))
    # lock every pledge up front, in id order: two batches never wait on each other in a
    # circle, and a batch sent twice at once finds the first one once it gets the locks
    db.session.scalars(select(Pledge.id).where(Pledge.id.in_([p.id for p in found]))
                       .order_by(Pledge.id).with_for_update()).all()
    replay = _batch_replayed(data.get("nonce"), fund.id, data)
    if replay is not None:
        return replay
    for i, pledge in enumerate(found):
        db.session.refresh(pledge)
        if pledge.end_state:
            state = label(PLEDGE_STATE, pledge.end_state)
            raise errors.PledgeEnded(state=state, errors={f"items.{i}.reference": [
                filled(errors.PledgeEnded.message, state=state)]})
        if limits.is_own(pledge, actor):
            raise errors.OwnPledge(errors={f"items.{i}.reference": [errors.OwnPledge.message]})
    batch = IntakeBatch(fund_id=fund.id, expected_count=data["expected_count"],
                        expected_total=data.get("expected_total"),
                        nonce=data.get("nonce") or None,
                        note=(data.get("note") or "").strip(), recorded_by_id=actor.id,
                        recorded_at=now)
    try:
        # two batches with one nonce but no pledge in common do not wait on each other's
        # locks: the unique nonce decides, and the loser replays the winner
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except IntegrityError:
        replay = _batch_replayed(data.get("nonce"), fund.id, data)
        if replay is None:
            raise
        return replay
    shared = {k: data.get(k) for k in ("received_on", "receipt_waived")}
    recorded = []
    for i, (pledge, item) in enumerate(zip(found, items, strict=True)):
        try:
            recorded.append(record(pledge, {**shared, **item, "nonce": None}, actor=actor,
                                   now=now, batch=batch))
        except WusheError as exc:  # said of its line: items.1.receipt_no, not receipt_no
            said = filled(exc.message, **exc.params) if exc.params else exc.message
            exc.errors = {f"items.{i}.{field}": [said] for field in exc.errors} or {
                f"items.{i}.reference": [said]}
            raise
    return recorded


def reverse(fulfilment: Fulfilment, *, actor: User, reason: str, now: datetime) -> Fulfilment:
    """Undo a receipt recorded in error: a negative fulfilment and reversing ledger rows,
    each pointing at what it cancels. Refused if the goods or money are already given out."""
    pledge = pledges.get_pledge(fulfilment.pledge_id, lock=True)
    funds.require_manager(actor, pledge.fund)
    funds.get_fund(pledge.fund_id, lock=True)  # stock and cash checks below must not race
    if not reason.strip():
        raise errors.ReasonRequired(errors={"reason": ["required"]})
    if fulfilment.reverses_id is not None:
        raise errors.CannotReverseReversal()
    if db.session.scalar(select(Fulfilment.id).where(Fulfilment.reverses_id == fulfilment.id)):
        raise errors.AlreadyReversed()
    if fulfilment.kind == "money" and ledger.cash_balance(pledge.fund_id) < fulfilment.amount:
        raise errors.InsufficientFunds(balance=fmt(ledger.cash_balance(pledge.fund_id)))
    taking: dict[tuple[str, str, str], int] = {}
    for line in fulfilment.lines:
        key = (line.category, line.item, line.unit)
        taking[key] = taking.get(key, 0) + line.accepted
    for (category, item, unit), quantity in taking.items():
        have = ledger.on_hand(pledge.fund_id, category, item, unit)
        if have < quantity:
            raise errors.InsufficientStock(available=have, unit=unit_word(unit, have), item=item)
    undo = Fulfilment(
        pledge_id=pledge.id, fund_id=pledge.fund_id, kind=fulfilment.kind,
        amount=-fulfilment.amount if fulfilment.amount is not None else None,
        in_kind_value=-fulfilment.in_kind_value if fulfilment.in_kind_value is not None
        else None,
        # the receipt it undoes, on that receipt's day: the month's figures net out where
        # the error was made, not in the month it was found (recorded_at says when)
        received_on=fulfilment.received_on, receipt_waived=fulfilment.receipt_waived,
        note=reason.strip(), reverses_id=fulfilment.id, recorded_by_id=actor.id,
        recorded_at=now,
        lines=[FulfilmentLine(pledge_line_id=x.pledge_line_id, category=x.category,
                              item=x.item, unit=x.unit, accepted=-x.accepted,
                              rejected=-x.rejected, unit_value=x.unit_value,
                              condition=x.condition, expires_on=x.expires_on)
               for x in fulfilment.lines])
    pledge.version += 1
    pledge.updated_at = now
    db.session.add(undo)
    db.session.flush()
    originals = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.fulfilment_id == fulfilment.id)).all()
    ledger.reverse_entries(list(originals), now=now, note=reason.strip(), fulfilment_id=undo.id,
                           value_of=lambda e: None if e.value is None else ledger.negated(
                               ledger.value_back(e.fund_id, e.category, e.item, e.unit,
                                                 e.quantity, e.value)))
    stored.add_in_kind(pledge.fund_id, undo.in_kind_value)
    if pledge.end_state == "released":  # what arrived of it counts as pledged: less now
        stored.released_received(pledge.fund_id, undo.amount)
    allocation.sync(pledge.fund_id, now=now)
    pledges.settle(pledge)
    db.session.flush()
    return undo
