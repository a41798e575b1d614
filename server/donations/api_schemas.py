"""What the donations API sends out: funds with their progress, the public ledger, pledges
as their donor sees them and as the desk sees them, receipts, distributions and stock.

Money leaves as text with two places ("50.10", "-20.00"), never as a JSON number: a client
that parses numbers as floats would otherwise lose the fen. The input schemas are in
schemas.py (shared with the pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from server.core import clock
from server.core.fields import Flag, LocalDateTime, Text
from server.core.labels import label
from server.donations import schemas
from server.donations.models import Fund
from server.donations.money import yuan
from server.donations.movements import LedgerEntry
from server.donations.services import donor_display, funds, ledger
from server.donations.vocab import (
    CATEGORY,
    FUND_KIND,
    LEDGER_KIND,
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


def Label(table: dict, attr: str) -> ma.fields.Field:  # noqa: N802 - used like a field
    """The translated label of a code, for clients that show it as it is."""
    return Text(lambda obj: label(table, getattr(obj, attr)))


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
    host_name = Text(lambda f: f.host.name,
                     metadata={"description": "the charity issuing receipts"})
    node_id = ma.fields.Integer()
    node_name = Text(lambda f: f.node.name)
    target_amount = Amount(allow_none=True)
    goods_wanted = ma.fields.String()
    accepts_money = ma.fields.Boolean()
    accepts_goods = ma.fields.Boolean()
    closes_on = ma.fields.Date(allow_none=True)
    status = ma.fields.String()
    status_label = Label(FUND_STATUS, "status")
    takes_pledges = Flag(
        lambda f: funds.takes_pledges(f, today=clock.local(clock.now()).date()),
        metadata={"description": "open and not past its closing day"})


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
    category_label = Text(
        lambda e: label(CATEGORY, e.category) if e.category else None, nullable=True)
    item = ma.fields.String(allow_none=True)
    unit = ma.fields.String(allow_none=True)
    unit_label = Text(lambda e: label(UNIT, e.unit) if e.unit else None, nullable=True)
    quantity = ma.fields.Integer(allow_none=True)
    value = Amount(allow_none=True, metadata={"description": "in-kind value"})
    purpose = ma.fields.String()
    donor = Text(lambda e: donor_display.public_name(e.pledge) if e.pledge else None,
                 nullable=True)
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


# --- giving out ---------------------------------------------------------------------------------

class GoodsOut(ma.Schema):
    """What a line of goods is: category, item and unit, with their labels."""

    category = ma.fields.String()
    category_label = Label(CATEGORY, "category")
    item = ma.fields.String()
    unit = ma.fields.String()
    unit_label = Label(UNIT, "unit")


class DistributionLineOut(GoodsOut):
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
    recipient_public = Text(

        lambda d: ledger.recipient_public(d.recipient_kind, d.recipient_name))
    recipient_org_id = ma.fields.Integer(allow_none=True)
    decision_ref = ma.fields.String(allow_none=True)
    purpose = ma.fields.String()
    signed_by = ma.fields.String()
    distributed_on = ma.fields.Date()
    reverses_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    recorded_by_name = Text(lambda d: d.recorded_by.name)
    recorded_at = LocalDateTime()


class StockOut(GoodsOut):
    """Goods on hand per item; dumps ledger.StockItem."""

    quantity = ma.fields.Integer()
    value = Amount(metadata={"description": "at intake value"})

