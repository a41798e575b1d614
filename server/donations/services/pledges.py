"""Pledges: promising, editing before anything arrives, the hand-set ends, and the state
(derived from what was received, never stored except for the ends)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.accounts.models import User
from server.accounts.services import normalise_phone
from server.core.clock import local
from server.core.db import fetch
from server.core.labels import label
from server.donations import errors
from server.donations.models import Fund, Pledge, PledgeLine
from server.donations.money import ZERO, yuan
from server.donations.movements import Fulfilment, FulfilmentLine
from server.donations.services import donor_display, funds, limits, stored
from server.donations.vocab import ENDS, PERISHABLE, PLEDGE_STATE
from server.extensions import db
from server.notifications.services import notify

# no 0/O, 1/I/L: read aloud at a drop-off table or typed into a bank transfer's memo
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
SCHEDULE = ("amount", "lines", "due_on")


def normalise_reference(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def new_reference() -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))
        if not db.session.scalar(select(Pledge.id).where(Pledge.reference == code)):
            return code


def get_pledge(pledge_id: int, *, lock: bool = False) -> Pledge:
    return fetch(Pledge, pledge_id, errors.PledgeNotFound, lock=lock)


def by_reference(text: str) -> Pledge:
    code = normalise_reference(text)
    pledge = db.session.scalar(select(Pledge).where(Pledge.reference == code)) if code else None
    if pledge is None:
        raise errors.ReferenceNotFound(reference=(text or "").strip()[:20] or "—")
    return pledge


# --- what arrived, and the state it implies -----------------------------------------------

@dataclass
class Received:
    amount: Decimal = ZERO           # cash, net of reversals
    value: Decimal = ZERO            # goods at intake value
    delivered: dict[int, int] = field(default_factory=dict)  # pledge line -> accepted+rejected
    accepted: dict[int, int] = field(default_factory=dict)
    extra_quantity: int = 0          # goods that arrived outside the pledged lines
    count: int = 0                   # fulfilments, reversals included

    @property
    def anything(self) -> bool:
        return self.amount != 0 or any(self.delivered.values()) or self.extra_quantity > 0


def received(pledge: Pledge) -> Received:
    got = Received()
    rows = db.session.execute(
        select(func.count(Fulfilment.id), func.coalesce(func.sum(Fulfilment.amount), 0),
               func.coalesce(func.sum(Fulfilment.in_kind_value), 0))
        .where(Fulfilment.pledge_id == pledge.id)).one()
    got.count, got.amount, got.value = rows[0], rows[1], rows[2]
    lines = db.session.execute(
        select(FulfilmentLine.pledge_line_id, func.sum(FulfilmentLine.accepted),
               func.sum(FulfilmentLine.rejected))
        .join(Fulfilment).where(Fulfilment.pledge_id == pledge.id)
        .group_by(FulfilmentLine.pledge_line_id))
    for line_id, accepted, rejected in lines:
        if line_id is None:
            got.extra_quantity += accepted + rejected
        else:
            got.delivered[line_id] = accepted + rejected
            got.accepted[line_id] = accepted
    return got


def complete(pledge: Pledge, got: Received) -> bool:
    """All that was promised has arrived."""
    if pledge.kind == "money":
        return pledge.amount is not None and got.amount >= pledge.amount
    return bool(pledge.lines) and all(
        got.delivered.get(line.id, 0) >= line.quantity for line in pledge.lines)


def settle(pledge: Pledge) -> None:
    """Store whether the pledge is fulfilled, after a fulfilment or its reversal (the caller
    holds the pledge's lock)."""
    db.session.flush()
    pledge.fulfilled = complete(pledge, received(pledge))


def state(pledge: Pledge, got: Received | None = None) -> str:
    """submitted → accepted → partial → fulfilled, unless ended by hand."""
    if pledge.end_state:
        return pledge.end_state
    got = got or received(pledge)
    if complete(pledge, got):
        return "fulfilled"
    if got.anything:
        return "partial"
    return "accepted" if pledge.accepted_at else "submitted"


def is_overdue(pledge: Pledge, *, now: datetime, current: str | None = None) -> bool:
    """Computed, never stored: still open after the day it was due."""
    current = current or state(pledge)
    return (pledge.due_on is not None and current in ("submitted", "accepted", "partial")
            and pledge.due_on < local(now).date())


# --- promising and editing --------------------------------------------------------------------

def check_kind(kind: str, data: dict) -> None:
    """Only the kind's own part: money has an amount, goods have lines. The other part,
    sent anyway, is refused rather than dropped (the page's form sends only the chosen
    part)."""
    if kind == "money" and data.get("lines"):
        raise errors.LinesNotForMoney()
    if kind != "money" and data.get("amount") is not None:
        raise errors.AmountNotForGoods()


def _check_schedule(fund: Fund, kind: str, data: dict, *, today: date,
                    only: tuple[str, ...] = SCHEDULE) -> None:
    """What a pledge promises: the kind the fund takes, an amount or goods lines, dates
    ahead. `only` limits the date checks to what is being changed (an overdue pledge may
    still change its note)."""
    if kind == "money":
        if not fund.accepts_money:
            raise errors.KindNotAccepted()
        if data.get("amount") is None:
            raise errors.AmountRequired()
    else:
        if not fund.accepts_goods:
            raise errors.KindNotAccepted()
        if not data.get("lines"):
            raise errors.LinesRequired()
        for i, line in enumerate(data["lines"] if "lines" in only else []):
            if line["category"] in PERISHABLE and not line.get("expires_on"):
                raise errors.ExpiryRequired(errors={f"lines.{i}.expires_on": ["required"]})
            if line.get("expires_on") and line["expires_on"] <= today:
                raise errors.AlreadyExpired(errors={f"lines.{i}.expires_on": ["past"]})
    if "due_on" in only and data.get("due_on") and data["due_on"] < today:
        raise errors.DueInPast()


def _line_dict(x) -> dict:
    """One goods line, from the database or a form, in one shape to compare."""
    get = x.get if isinstance(x, dict) else lambda k: getattr(x, k)
    return {"category": get("category"), "item": (get("item") or "").strip(),
            "unit": get("unit"), "quantity": get("quantity"),
            "condition": get("condition") or "new", "expires_on": get("expires_on")}


def _lines(data: dict) -> list[PledgeLine]:
    return [PledgeLine(category=x["category"], item=x["item"].strip(), unit=x["unit"],
                       quantity=x["quantity"], condition=x.get("condition") or "new",
                       expires_on=x.get("expires_on")) for x in data.get("lines") or []]


def create_pledge(fund: Fund, data: dict, *, actor: User, now: datetime,
                  donor: User | None = None) -> Pledge:
    """A pledge by the actor, or (staff only) one they take down for someone else: only
    then is a donor name taken from the form; a resident pledges under their own name."""
    for_someone_else = donor is None and bool(data.get("for_someone_else"))
    if for_someone_else:
        funds.require_manager(actor, fund)
    if not funds.takes_pledges(fund, today=local(now).date()):
        raise errors.FundClosed()
    if donor is None and not for_someone_else:
        donor = actor
    kind = data["kind"]
    check_kind(kind, data)
    _check_schedule(fund, kind, data, today=local(now).date())
    if donor is not None and not for_someone_else:
        limits.check_open(fund.id, donor, data.get("amount") if kind == "money" else None,
                          items=limits.items_of(data) if kind != "money" else None)
    display, title = donor_display.chosen(data)
    pledge = Pledge(
        fund_id=fund.id, reference=new_reference(), kind=kind,
        donor_id=donor.id if donor else None,
        donor_name=((data.get("donor_name") or "") if for_someone_else
                    else (donor.name if donor else "")).strip(),
        donor_org=data.get("donor_org") or None,
        donor_phone=(normalise_phone(data["donor_phone"], field="donor_phone")
                     if (data.get("donor_phone") or "").strip() else None)
        or (donor.phone if donor else None),
        display=display, title=title,
        display_set_at=now, amount=data.get("amount") if kind == "money" else None,
        due_on=data.get("due_on"), wants_receipt=bool(data.get("wants_receipt")),
        note=data.get("note") or "", created_by_id=actor.id, created_at=now, updated_at=now,
        lines=_lines(data) if kind == "goods" else [])
    if not pledge.donor_name:
        raise errors.DonorNameRequired()
    db.session.add(pledge)
    db.session.flush()
    stored.pledge_made(fund.id, pledge.amount)
    return pledge


def _own_or_manager(pledge: Pledge, actor: User) -> None:
    if pledge.donor_id != actor.id and not funds.can_manage(actor, pledge.fund):
        raise errors.PledgeNotFound()


def changeable(pledge: Pledge, got: Received | None = None) -> bool:
    """What and when may change (and the donor may withdraw) only while nothing was ever
    recorded as received, not even a receipt later reversed: its lines point at these."""
    got = got or received(pledge)
    return pledge.end_state is None and got.count == 0


def edit_pledge(pledge: Pledge, data: dict, *, actor: User, now: datetime) -> Pledge:
    """Change what or when, only before anything arrived. An accepted pledge whose amount,
    goods or date really change goes back to the coordinators (submitted); a note or the
    receipt wish does not."""
    pledge = get_pledge(pledge.id, lock=True)
    _own_or_manager(pledge, actor)
    got = received(pledge)
    if pledge.end_state:
        raise errors.PledgeEnded(state=label(PLEDGE_STATE, pledge.end_state))
    if not changeable(pledge, got):
        raise errors.PledgeLocked()
    check_kind(pledge.kind, data)
    before = {"amount": pledge.amount, "due_on": pledge.due_on,
              "lines": [_line_dict(x) for x in pledge.lines]}
    after = {**before, **{k: data[k] for k in SCHEDULE if k in data}}
    after["lines"] = [_line_dict(x) for x in after["lines"]]
    changed = tuple(k for k in SCHEDULE if after[k] != before[k])
    if changed:  # a note needs no check that the fund still takes this kind of gift
        _check_schedule(pledge.fund, pledge.kind, after, today=local(now).date(), only=changed)
    more_money = "amount" in changed and (after["amount"] or 0) > (before["amount"] or 0)
    more_goods = "lines" in changed and limits.more_goods(before["lines"], after["lines"])
    if more_money or more_goods:
        # more may be promised only while the fund takes pledges, within the person's limit
        if not funds.takes_pledges(pledge.fund, today=local(now).date()):
            raise errors.FundClosed()
        if pledge.donor_id is not None:
            limits.check_open(pledge.fund_id, db.session.get(User, pledge.donor_id),
                              after["amount"] if more_money else None, besides=pledge.id,
                              items=limits.items_of(after) if more_goods else None)
    if "amount" in changed:
        stored.pledge_changed(pledge.fund_id, pledge.amount, after["amount"])
        pledge.amount = after["amount"]
    if "lines" in changed:
        pledge.lines = _lines(after)
    if "due_on" in changed:
        pledge.due_on = after["due_on"]
    for key in ("note", "wants_receipt"):
        if key in data:
            setattr(pledge, key, data[key])
    if changed:
        if pledge.accepted_at is not None:
            pledge.accepted_at, pledge.accepted_by_id = None, None
        pledge.version += 1  # a coordinator confirming the old promise must look again
    pledge.updated_at = now
    db.session.flush()
    return pledge


# --- hand-set states ------------------------------------------------------------------------

# which states each hand-set action starts from, and who may take it
ACTIONS = {
    "accept": (("submitted",), "manager"),
    "reject": (("submitted", "accepted"), "manager"),
    "cancel": (("submitted", "accepted"), "manager"),
    "release": (("partial",), "manager"),
    "withdraw": (("submitted", "accepted"), "donor"),
}
END_OF = {"reject": "rejected", "cancel": "cancelled", "release": "released",
          "withdraw": "withdrawn"}


def transition(pledge: Pledge, action: str, *, actor: User, now: datetime,
               reason: str = "") -> Pledge:
    """Accept, or end by hand (with a reason). Locks the pledge so that an end and a
    receipt recorded at the same moment cannot both win."""
    pledge = get_pledge(pledge.id, lock=True)
    starts, who = ACTIONS[action]
    if who == "donor" and pledge.donor_id != actor.id:
        raise errors.PledgeNotFound()
    if who == "manager":
        funds.require_manager(actor, pledge.fund)
        if limits.is_own(pledge, actor):
            raise errors.OwnPledge()
    got = received(pledge)
    current = state(pledge, got)
    if action == "withdraw" and current in starts and not may_withdraw(pledge, current, got):
        raise errors.PledgeLocked()
    if current not in starts:
        if current in ENDS:
            raise errors.PledgeEnded(state=label(PLEDGE_STATE, current))
        raise errors.BadTransition(state=label(PLEDGE_STATE, current))
    if action == "accept":
        pledge.accepted_at, pledge.accepted_by_id = now, actor.id
    else:
        if not reason.strip():
            raise errors.ReasonRequired(errors={"reason": ["required"]})
        pledge.end_state, pledge.end_reason = END_OF[action], reason.strip()
        pledge.ended_by_id, pledge.ended_at = actor.id, now
        stored.pledge_ended(pledge.fund_id, pledge.amount,
                            yuan(got.amount) if action == "release" else ZERO)
        if who == "manager" and pledge.donor_id:
            notify(pledge.donor_id, "pledge_closed", now=now, pledge_id=pledge.id,
                   title=pledge.fund.title,
                   reference=pledge.reference, state=pledge.end_state, reason=pledge.end_reason)
    pledge.updated_at = now
    db.session.flush()
    return pledge


def own_pledge(pledge_id: int, user: User | None) -> Pledge:
    """One of the person's own pledges; anyone else's is "not found", never "forbidden"."""
    pledge = get_pledge(pledge_id)
    if user is None or pledge.donor_id != user.id:
        raise errors.PledgeNotFound()
    return pledge


def managed_pledge(pledge_id: int, actor: User | None) -> Pledge:
    """A pledge for the desk: someone who does not run its fund is told it does not exist
    (donors' details are behind it), exactly as for an id that does not exist."""
    pledge = get_pledge(pledge_id)
    if not funds.can_manage(actor, pledge.fund):
        raise errors.PledgeNotFound()
    return pledge


def may_withdraw(pledge: Pledge, current: str, got: Received) -> bool:
    """Whether the donor may withdraw now: the page offers the button on this same rule."""
    return current in ACTIONS["withdraw"][0] and changeable(pledge, got)


def desk_actions(pledge: Pledge, current: str, actor: User | None) -> list[str]:
    """The hand-set actions the desk may offer on this pledge now."""
    if limits.is_own(pledge, actor):
        return []
    return [a for a, (starts, who) in ACTIONS.items() if who == "manager" and current in starts]


def outstanding(pledge: Pledge, got: Received) -> tuple[Decimal | None, dict[int, int]]:
    """What is still to come: the rest of the amount, and per goods line the rest of the
    quantity (the desk's intake form starts from it)."""
    rest = None
    if pledge.kind == "money" and pledge.amount is not None and got.amount < pledge.amount:
        rest = pledge.amount - got.amount
    return rest, {line.id: max(line.quantity - got.delivered.get(line.id, 0), 0)
                  for line in pledge.lines}


def pledges_of(user: User) -> list[Pledge]:
    return list(db.session.scalars(
        select(Pledge).where(Pledge.donor_id == user.id)
        .options(selectinload(Pledge.lines), selectinload(Pledge.fund)).order_by(Pledge.id.desc())))


def pledge_rows(user: User) -> list[dict]:
    """The person's pledges, as the desk holds them (server.core.personal_data)."""
    from server.core.personal_data import when
    pledges = db.session.scalars(select(Pledge).where(Pledge.donor_id == user.id)
                                 .order_by(Pledge.id)).all()
    return [{"fund": p.fund.title, "reference": p.reference, "kind": p.kind,
             "amount": str(p.amount) if p.amount is not None else None, "state": state(p),
             "name_given": p.donor_name, "organisation": p.donor_org, "phone": p.donor_phone,
             "name_in_public": p.display, "note": p.note, "pledged_at": when(p.created_at)}
            for p in pledges]


def on_person_erased(*, user: User, erased_name: str, now: datetime, **_) -> None:
    """PERSON_ERASED: the desk keeps the pledge and its money, not who gave it: the name,
    organisation, phone and note go, and the name is never shown in public again."""
    from sqlalchemy import update
    db.session.execute(update(Pledge).where(Pledge.donor_id == user.id).values(
        donor_name=erased_name, donor_org=None, donor_phone=None, note="",
        display="anonymous", title=None, display_set_at=now, updated_at=now))
