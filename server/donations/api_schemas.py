"""What the donations API sends out: funds with their progress, the public ledger, pledges
as their donor sees them and as the desk sees them, receipts, distributions and stock.

Money leaves as text with two places ("50.10", "-20.00"), never as a JSON number: a client
that parses numbers as floats would otherwise lose the fen. The input schemas are in
schemas.py (shared with the pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from server.accounts.privacy import mask_phone
from server.core.fields import LocalDateTime
from server.core.labels import label
from server.donations import allocation, intake, ledger, pledges, queue, schemas
from server.donations.allocation import Funded
from server.donations.models import Fund, Pledge
from server.donations.money import yuan
from server.donations.movements import Fulfilment, LedgerEntry
from server.donations.pledges import Received
from server.donations.vocab import (
    CATEGORY,
    CONDITION,
    DISPLAY,
    FUND_KIND,
    LEDGER_KIND,
    PLEDGE_KIND,
    PLEDGE_STATE,
    RECIPIENT,
    UNIT,
)

FUND_STATUS = {"open": _l("Open"), "closed": _l("Closed")}


# the OpenAPI document names schemas by class: these two names are taken by other domains
class DonationReasonIn(schemas.ReasonIn):
    """Why: kept with the record, and read by the donor."""


class ReceiptBatchIn(schemas.BatchIn):
    """Several money gifts counted by hand: count and total must match the lines."""


# --- fields ---------------------------------------------------------------------------------

class Amount(ma.fields.String):
    """Yuan as text with exactly two places ("50.10"); None stays None."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{yuan(value):.2f}"


def Label(table: dict, attr: str) -> ma.fields.Function:  # noqa: N802 - used like a field
    """The translated label of a code, for clients that show it as it is."""
    return ma.fields.Function(lambda obj: label(table, getattr(obj, attr)))


# --- funds ----------------------------------------------------------------------------------

class FundOut(ma.Schema):
    """A fund or campaign; dumps a Fund."""

    id = ma.fields.Integer()
    kind = ma.fields.String()
    kind_label = Label(FUND_KIND, "kind")
    title = ma.fields.String()
    purpose = ma.fields.String()
    criteria = ma.fields.String(metadata={"description": "who may receive help"})
    how_to_give = ma.fields.String()
    host_id = ma.fields.Integer()
    host_name = ma.fields.Function(lambda f: f.host.name,
                                   metadata={"description": "the charity issuing receipts"})
    node_id = ma.fields.Integer()
    node_name = ma.fields.Function(lambda f: f.node.name)
    target_amount = Amount(allow_none=True)
    goods_wanted = ma.fields.String()
    accepts_money = ma.fields.Boolean()
    accepts_goods = ma.fields.Boolean()
    closes_on = ma.fields.Date(allow_none=True)
    status = ma.fields.String()
    status_label = Label(FUND_STATUS, "status")


class GoodsProgressOut(ma.Schema):
    category = ma.fields.String()
    category_label = Label(CATEGORY, "category")
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")
    pledged = ma.fields.Integer()
    received = ma.fields.Integer()
    distributed = ma.fields.Integer()


class ProgressOut(ma.Schema):
    """Pledged vs received vs distributed; cash and in-kind value apart."""

    pledged = Amount()
    received = Amount()
    distributed = Amount()
    balance = Amount()
    in_kind_received = Amount()
    pledges = ma.fields.Integer(metadata={"description": "pledges still standing"})
    payouts = ma.fields.Integer()
    goods = ma.fields.List(ma.fields.Nested(GoodsProgressOut))


class LedgerRowOut(ma.Schema):
    """One public ledger row; the donor as they consented, the recipient masked."""

    id = ma.fields.Integer()
    date = ma.fields.Date(attribute="occurred_on")
    kind = ma.fields.String()
    kind_label = Label(LEDGER_KIND, "kind")
    amount = Amount(allow_none=True, metadata={"description": "cash, negative when out"})
    category = ma.fields.String(allow_none=True)
    category_label = ma.fields.Function(
        lambda e: label(CATEGORY, e.category) if e.category else None)
    item = ma.fields.String(allow_none=True)
    unit = ma.fields.String(allow_none=True)
    unit_label = ma.fields.Function(lambda e: label(UNIT, e.unit) if e.unit else None)
    quantity = ma.fields.Integer(allow_none=True)
    value = Amount(allow_none=True, metadata={"description": "in-kind value"})
    purpose = ma.fields.String()
    donor = ma.fields.Function(lambda e: pledges.public_name(e.pledge) if e.pledge else None)
    recipient_public = ma.fields.String(allow_none=True)
    note = ma.fields.String()
    reverses_id = ma.fields.Integer(allow_none=True)


class LedgerPageOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LedgerRowOut))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    pages = ma.fields.Integer()


@dataclass
class FundView:
    fund: Fund
    progress: ledger.Progress
    recent: list[LedgerEntry] = field(default_factory=list)
    ledger_count: int = 0


class FundProgressOut(FundOut):
    """A fund with its progress; dumps a FundView."""

    progress = ma.fields.Nested(ProgressOut)

    @ma.pre_dump
    def _fund(self, view, **kwargs):
        return view.fund

    @ma.post_dump(pass_original=True)
    def _progress(self, data, view, **kwargs):
        data["progress"] = ProgressOut().dump(view.progress)
        return data


class FundPageOut(FundProgressOut):
    """The public fund page: the fund, its progress and its latest ledger rows."""

    recent = ma.fields.List(ma.fields.Nested(LedgerRowOut))
    ledger_count = ma.fields.Integer()

    @ma.post_dump(pass_original=True)
    def _ledger(self, data, view, **kwargs):
        data["recent"] = LedgerRowOut(many=True).dump(view.recent)
        data["ledger_count"] = view.ledger_count
        return data


# --- receipts -------------------------------------------------------------------------------

class FulfilmentLineOut(ma.Schema):
    id = ma.fields.Integer()
    pledge_line_id = ma.fields.Integer(allow_none=True)
    category = ma.fields.String()
    category_label = Label(CATEGORY, "category")
    item = ma.fields.String()
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")
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
    pledge_reference = ma.fields.Function(lambda f: f.pledge.reference)
    recorded_by_name = ma.fields.Function(lambda f: f.recorded_by.name)
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
    held_goods = ma.fields.Function(lambda f: HeldGoodsOut(many=True).dump(
        [Held(item, unit, qty) for (item, unit), qty in f.held_goods.items()]))


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

    @classmethod
    def of(cls, pledge: Pledge, *, now: datetime, detail: bool = False,
           funded: bool = False) -> PledgeView:
        """Its derived state and what arrived; its receipts and their use for a detail."""
        row = queue.rows([pledge], now=now)[0]
        return cls(row.pledge, row.state, row.overdue, row.received,
                   fulfilments=intake.fulfilments_of(pledge) if detail else [],
                   funded=allocation.funded_by(pledge) if funded else None)


class PledgeLineOut(ma.Schema):
    id = ma.fields.Integer()
    category = ma.fields.String()
    category_label = Label(CATEGORY, "category")
    item = ma.fields.String()
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")
    quantity = ma.fields.Integer()
    condition = ma.fields.String()
    condition_label = Label(CONDITION, "condition")
    expires_on = ma.fields.Date(allow_none=True)
    delivered = ma.fields.Integer(metadata={"description": "accepted + rejected so far"})
    accepted = ma.fields.Integer()


class PledgeOut(ma.Schema):
    """What donor and desk both see of a pledge; dumps a PledgeView (or a queue.Row)."""

    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "quote it at drop-off or transfer"})
    fund_id = ma.fields.Integer()
    fund_title = ma.fields.Function(lambda p: p.fund.title)
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
    public_name = ma.fields.Function(pledges.public_name,
                                     metadata={"description": "as the public ledger shows it"})
    created_at = LocalDateTime()
    end_reason = ma.fields.String(allow_none=True)
    ended_at = LocalDateTime(allow_none=True)
    state = ma.fields.String()
    state_label = ma.fields.String()
    overdue = ma.fields.Boolean()
    received_amount = Amount(metadata={"description": "cash received, net of reversals"})
    received_value = Amount(metadata={"description": "goods received, at intake value"})

    @ma.pre_dump
    def _pledge(self, view, **kwargs):
        return view.pledge

    @ma.post_dump(pass_original=True)
    def _derived(self, data, view, **kwargs):
        got = view.received
        data.update(state=view.state, state_label=label(PLEDGE_STATE, view.state),
                    overdue=view.overdue, received_amount=f"{yuan(got.amount):.2f}",
                    received_value=f"{yuan(got.value):.2f}")
        for line in data["lines"]:
            line["delivered"] = got.delivered.get(line["id"], 0)
            line["accepted"] = got.accepted.get(line["id"], 0)
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

    donor_phone = ma.fields.Function(lambda p: mask_phone(p.donor_phone) or None)
    version = ma.fields.Integer()
    accepted_at = LocalDateTime(allow_none=True)


class DeskPledgeDetailOut(DeskPledgeOut):
    """One pledge at the desk: the donor's full phone (to follow up) and every receipt."""

    donor_phone = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    ended_by_name = ma.fields.Function(lambda p: p.ended_by.name if p.ended_by else None)
    fulfilments = ma.fields.List(ma.fields.Nested(DeskFulfilmentOut))

    @ma.post_dump(pass_original=True)
    def _receipts(self, data, view, **kwargs):
        data["fulfilments"] = DeskFulfilmentOut(many=True).dump(view.fulfilments)
        return data


# --- giving out ---------------------------------------------------------------------------------

class DistributionLineOut(ma.Schema):
    category = ma.fields.String()
    category_label = Label(CATEGORY, "category")
    item = ma.fields.String()
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")
    quantity = ma.fields.Integer()


class DistributionOut(ma.Schema):
    """A payout or goods handed over, as the coordinators see it: the recipient in full."""

    id = ma.fields.Integer()
    fund_id = ma.fields.Integer()
    kind = ma.fields.String()
    amount = Amount(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(DistributionLineOut))
    recipient_kind = ma.fields.String()
    recipient_kind_label = Label(RECIPIENT, "recipient_kind")
    recipient_name = ma.fields.String()
    recipient_public = ma.fields.Function(
        lambda d: ledger.recipient_public(d.recipient_kind, d.recipient_name))
    recipient_org_id = ma.fields.Integer(allow_none=True)
    decision_ref = ma.fields.String(allow_none=True)
    purpose = ma.fields.String()
    signed_by = ma.fields.String()
    distributed_on = ma.fields.Date()
    reverses_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    recorded_by_name = ma.fields.Function(lambda d: d.recorded_by.name)
    recorded_at = LocalDateTime()


class StockOut(ma.Schema):
    """Goods on hand per item; dumps ledger.StockItem."""

    category = ma.fields.String()
    category_label = Label(CATEGORY, "category")
    item = ma.fields.String()
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")
    quantity = ma.fields.Integer()
    value = Amount(metadata={"description": "at intake value"})

