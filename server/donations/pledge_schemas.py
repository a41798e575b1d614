"""What the donations API sends out about pledges: as their donor sees them (with what
arrived and what the gift funded) and as the desk sees them (with the donor's contact and
the version to confirm against). Funds, the ledger, distributions: api_schemas.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import marshmallow as ma

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.core.fields import LocalDateTime, NestedFrom, Text
from server.core.labels import label
from server.donations.api_schemas import Amount, GoodsOut, Label
from server.donations.models import Pledge
from server.donations.money import yuan
from server.donations.movements import Fulfilment
from server.donations.services import allocation, donor_display, intake, pledges, queue
from server.donations.services.allocation import Funded
from server.donations.services.pledges import Received
from server.donations.vocab import (
    CONDITION,
    DISPLAY,
    LEDGER_KIND,
    PLEDGE_KIND,
    PLEDGE_STATE,
    UNIT,
)

# --- receipts -------------------------------------------------------------------------------

class FulfilmentLineOut(GoodsOut):
    id = ma.fields.Integer()
    pledge_line_id = ma.fields.Integer(allow_none=True)
    accepted = ma.fields.Integer()
    rejected = ma.fields.Integer()
    reject_reason = ma.fields.String(allow_none=True)
    unit_value = Amount()
    condition = ma.fields.String()
    expires_on = ma.fields.Date(allow_none=True)


class FulfilmentOut(ma.Schema):
    """What arrived for a pledge, as its donor sees it; dumps a Fulfilment."""

    id = ma.fields.Integer()
    pledge_id = ma.fields.Integer()
    kind = ma.fields.String()
    received_on = ma.fields.Date()
    amount = Amount(allow_none=True)
    in_kind_value = Amount(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(FulfilmentLineOut))
    receipt_no = ma.fields.String(allow_none=True)
    receipt_waived = ma.fields.Boolean()
    note = ma.fields.String()
    reverses_id = ma.fields.Integer(allow_none=True)


class DeskFulfilmentOut(FulfilmentOut):
    """A receipt as the desk sees it: who recorded it, in which batch."""

    fund_id = ma.fields.Integer()
    batch_id = ma.fields.Integer(allow_none=True)
    pledge_reference = Text(lambda f: f.pledge.reference)
    recorded_by_name = Text(lambda f: f.recorded_by.name)
    recorded_at = LocalDateTime()


# --- what a gift funded -----------------------------------------------------------------------

class UseOut(ma.Schema):
    date = ma.fields.Date(attribute="on")
    kind = ma.fields.String()
    kind_label = Label(LEDGER_KIND, "kind")
    recipient = ma.fields.String(metadata={"description": "masked"})
    purpose = ma.fields.String()
    amount = Amount(allow_none=True, metadata={"description": "the part that was this gift"})
    quantity = ma.fields.Integer(allow_none=True)
    item = ma.fields.String(allow_none=True)
    unit = ma.fields.String(allow_none=True)


class HeldGoodsOut(ma.Schema):
    item = ma.fields.String()
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")
    quantity = ma.fields.Integer()


@dataclass
class Held:
    item: str
    unit: str
    quantity: int


class FundedOut(ma.Schema):
    """What a gift funded, first in first out (《慈善法》 Art 42); dumps allocation.Funded."""

    uses = ma.fields.List(ma.fields.Nested(UseOut))
    held_amount = Amount(metadata={"description": "of the gift, still in the fund"})
    held_goods = NestedFrom(HeldGoodsOut, lambda f: [
        Held(item, unit, qty) for (item, unit), qty in f.held_goods.items()], many=True)


# --- pledges ----------------------------------------------------------------------------------

@dataclass
class PledgeView:
    """A pledge with what the request worked out about it (same shape as queue.Row)."""

    pledge: Pledge
    state: str
    overdue: bool
    received: Received
    fulfilments: list[Fulfilment] = field(default_factory=list)
    funded: Funded | None = None
    actions: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, pledge: Pledge, *, now: datetime, detail: bool = False,
           funded: bool = False, desk_user: User | None = None) -> PledgeView:
        """Its derived state and what arrived; its receipts and their use for a detail;
        for the desk, what this coordinator may do with it now."""
        row = queue.rows([pledge], now=now)[0]
        return cls(row.pledge, row.state, row.overdue, row.received,
                   fulfilments=intake.fulfilments_of(pledge) if detail else [],
                   funded=allocation.funded_by(pledge) if funded else None,
                   actions=pledges.desk_actions(pledge, row.state, desk_user)
                   if desk_user else [])


class PledgeLineOut(GoodsOut):
    id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    condition = ma.fields.String()
    condition_label = Label(CONDITION, "condition")
    expires_on = ma.fields.Date(allow_none=True)
    delivered = ma.fields.Integer(metadata={"description": "accepted + rejected so far"})
    accepted = ma.fields.Integer()
    outstanding = ma.fields.Integer(metadata={"description": "still to come"})


class PledgeOut(ma.Schema):
    """What donor and desk both see of a pledge; dumps a PledgeView (or a queue.Row)."""

    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "quote it at drop-off or transfer"})
    fund_id = ma.fields.Integer()
    fund_title = Text(lambda p: p.fund.title)
    kind = ma.fields.String()
    kind_label = Label(PLEDGE_KIND, "kind")
    amount = Amount(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(PledgeLineOut))
    due_on = ma.fields.Date(allow_none=True)
    wants_receipt = ma.fields.Boolean()
    note = ma.fields.String()
    donor_name = ma.fields.String()
    donor_org = ma.fields.String(allow_none=True)
    display = ma.fields.String()
    display_label = Label(DISPLAY, "display")
    title = ma.fields.String(allow_none=True)
    public_name = Text(donor_display.public_name,
                       metadata={"description": "as the public ledger shows it"})

    created_at = LocalDateTime()
    end_reason = ma.fields.String(allow_none=True)
    ended_at = LocalDateTime(allow_none=True)
    state = ma.fields.String()
    state_label = ma.fields.String()
    overdue = ma.fields.Boolean()
    received_amount = Amount(metadata={"description": "cash received, net of reversals"})
    received_value = Amount(metadata={"description": "goods received, at intake value"})
    changeable = ma.fields.Boolean(metadata={
        "description": "what and when may still change, and the donor may withdraw"})
    outstanding_amount = Amount(allow_none=True,
                                metadata={"description": "cash still to come"})

    @ma.pre_dump
    def _pledge(self, view, **kwargs):
        return view.pledge

    @ma.post_dump(pass_original=True)
    def _derived(self, data, view, **kwargs):
        got = view.received
        data.update(state=view.state, state_label=label(PLEDGE_STATE, view.state),
                    overdue=view.overdue, received_amount=f"{yuan(got.amount):.2f}",
                    received_value=f"{yuan(got.value):.2f}")
        rest, per_line = pledges.outstanding(view.pledge, got)
        data.update(changeable=pledges.changeable(view.pledge, got),
                    outstanding_amount=None if rest is None else f"{yuan(rest):.2f}")
        for line in data["lines"]:
            line["delivered"] = got.delivered.get(line["id"], 0)
            line["accepted"] = got.accepted.get(line["id"], 0)
            line["outstanding"] = per_line.get(line["id"], 0)
        return data


class MyPledgeOut(PledgeOut):
    """One of my pledges: my own phone is mine to see."""

    donor_phone = ma.fields.String(allow_none=True)


class MyPledgeDetailOut(MyPledgeOut):
    """One of my pledges, what arrived of it and what it funded; dumps a PledgeView."""

    fulfilments = ma.fields.List(ma.fields.Nested(FulfilmentOut))
    funded_by = ma.fields.Nested(FundedOut, allow_none=True)

    @ma.post_dump(pass_original=True)
    def _story(self, data, view, **kwargs):
        data["fulfilments"] = FulfilmentOut(many=True).dump(view.fulfilments)
        data["funded_by"] = FundedOut().dump(view.funded) if view.funded else None
        return data


class DeskPledgeOut(PledgeOut):
    """A pledge in the coordinators' queue: the phone masked, the version to confirm against."""

    donor_phone = Text(lambda p: mask_phone(p.donor_phone) or None, nullable=True)
    version = ma.fields.Integer()
    accepted_at = LocalDateTime(allow_none=True)
    actions = ma.fields.List(ma.fields.String(), metadata={
        "description": "accept / reject / cancel / release: what this coordinator may do now"})

    @ma.post_dump(pass_original=True)
    def _actions(self, data, view, **kwargs):
        data["actions"] = list(view.actions)
        return data


class DeskPledgePageOut(ma.Schema):
    """One page of the desk's pledges."""

    items = ma.fields.List(ma.fields.Nested(DeskPledgeOut))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    pages = ma.fields.Integer()


class DeskPledgeDetailOut(DeskPledgeOut):
    """One pledge at the desk: the donor's full phone (to follow up) and every receipt."""

    donor_phone = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    ended_by_name = Text(lambda p: p.ended_by.name if p.ended_by else None, nullable=True)
    fulfilments = ma.fields.List(ma.fields.Nested(DeskFulfilmentOut))

    @ma.post_dump(pass_original=True)
    def _receipts(self, data, view, **kwargs):
        data["fulfilments"] = DeskFulfilmentOut(many=True).dump(view.fulfilments)
        return data
