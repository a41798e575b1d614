"""What comes in: pledges, receipts, batches, distributions, funds. Shared by the API and
the pages, so a form and a JSON client are held to the same rules."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate as v

from server.core.fields import EventDay, Id, Title, Whole, said
from server.donations.money import Yuan
from server.donations.vocab import (
    CATEGORY,
    CONDITION,
    DISPLAY,
    FUND_KIND,
    MAX_QUANTITY,
    PLEDGE_KIND,
    RECIPIENT,
    TITLE,
    UNIT,
)

UNKNOWN_UNIT = said(_l("Choose a unit from the list."))
UNKNOWN_CATEGORY = said(_l("Choose a category from the list."))
BAD_QUANTITY = said(_l("Enter a whole number from 1 to 100,000."))
BAD_COUNT = said(_l("Enter a whole number from 0 to 100,000."))


def Quantity(**kwargs) -> Whole:  # noqa: N802 - used like a field class
    """A count of goods: a whole number from 1 to 100,000."""
    return Whole(validate=v.Range(1, MAX_QUANTITY, error=BAD_QUANTITY), **kwargs)


class GoodsLineIn(ma.Schema):
    category = ma.fields.String(required=True, validate=v.OneOf(CATEGORY, error=UNKNOWN_CATEGORY))
    item = Title(required=True, validate=v.Length(min=1, max=80))
    unit = ma.fields.String(required=True, validate=v.OneOf(UNIT, error=UNKNOWN_UNIT))
    quantity = Quantity(required=True)
    condition = ma.fields.String(load_default="new", validate=v.OneOf(CONDITION))
    expires_on = EventDay(allow_none=True)


class DisplayIn(ma.Schema):
    display = ma.fields.String(load_default="anonymous", validate=v.OneOf(DISPLAY))
    title = ma.fields.String(allow_none=True, validate=v.OneOf(TITLE))
    donor_org = ma.fields.String(allow_none=True, validate=v.Length(max=120))


class PledgeIn(DisplayIn):
    kind = ma.fields.String(required=True, validate=v.OneOf(PLEDGE_KIND))
    amount = Yuan(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(GoodsLineIn), validate=v.Length(max=20))
    due_on = EventDay(allow_none=True)
    wants_receipt = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(load_default="", validate=v.Length(max=500))


class PledgeForIn(PledgeIn):
    """Staff taking down a pledge for someone not on a phone (a company's call, a donor
    at the festival table)."""

    donor_name = ma.fields.String(required=True, validate=v.Length(min=1, max=60))
    donor_phone = ma.fields.String(allow_none=True, validate=v.Length(max=30), metadata={
        "description": "a mainland mobile; full-width digits, spaces and +86 are allowed"})


class PledgeEditIn(ma.Schema):
    amount = Yuan()
    lines = ma.fields.List(ma.fields.Nested(GoodsLineIn), validate=v.Length(min=1, max=20))
    due_on = EventDay(allow_none=True)
    wants_receipt = ma.fields.Boolean()
    note = ma.fields.String(validate=v.Length(max=500))


class ReasonIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=500))


class IntakeLineIn(ma.Schema):
    pledge_line_id = Id(allow_none=True)
    category = ma.fields.String(validate=v.OneOf(CATEGORY, error=UNKNOWN_CATEGORY))
    item = Title(validate=v.Length(min=1, max=80))
    unit = ma.fields.String(validate=v.OneOf(UNIT, error=UNKNOWN_UNIT))
    accepted = Whole(load_default=0, validate=v.Range(0, MAX_QUANTITY, error=BAD_COUNT))
    rejected = Whole(load_default=0, validate=v.Range(0, MAX_QUANTITY, error=BAD_COUNT))
    reject_reason = ma.fields.String(allow_none=True, validate=v.Length(max=200))
    unit_value = Yuan(allow_none=True, allow_zero=True, maximum="100000.00")
    condition = ma.fields.String(allow_none=True, validate=v.OneOf(CONDITION))
    expires_on = EventDay(allow_none=True)


class ReceiptIn(ma.Schema):
    """What arrived for one pledge, confirmed against the pledge version on screen."""

    version = Whole(required=True, validate=v.Range(0, 2**31 - 1))
    nonce = ma.fields.String(allow_none=True, validate=v.Length(max=64))
    received_on = EventDay(allow_none=True)
    amount = Yuan(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(IntakeLineIn), validate=v.Length(max=20))
    receipt_no = ma.fields.String(allow_none=True, validate=v.Length(max=40))
    receipt_waived = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(load_default="", validate=v.Length(max=500))


class BatchItemIn(ma.Schema):
    reference = ma.fields.String(required=True, validate=v.Length(min=1, max=20))
    amount = Yuan(required=True)
    receipt_no = ma.fields.String(allow_none=True, validate=v.Length(max=40))


class BatchIn(ma.Schema):
    nonce = ma.fields.String(allow_none=True, validate=v.Length(min=1, max=64))
    expected_count = Whole(required=True, validate=v.Range(1, 500))
    expected_total = Yuan(allow_none=True, maximum="100000000.00")
    items = ma.fields.List(ma.fields.Nested(BatchItemIn), required=True,
                           validate=v.Length(min=1, max=500))
    received_on = EventDay(allow_none=True)
    receipt_waived = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(load_default="", validate=v.Length(max=500))


class DistributionLineIn(ma.Schema):
    category = ma.fields.String(required=True, validate=v.OneOf(CATEGORY, error=UNKNOWN_CATEGORY))
    item = Title(required=True, validate=v.Length(min=1, max=80))
    unit = ma.fields.String(required=True, validate=v.OneOf(UNIT, error=UNKNOWN_UNIT))
    quantity = Quantity(required=True)


class DistributionIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=v.OneOf(PLEDGE_KIND))
    amount = Yuan(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(DistributionLineIn), validate=v.Length(max=20))
    recipient_kind = ma.fields.String(required=True, validate=v.OneOf(RECIPIENT))
    recipient_name = ma.fields.String(allow_none=True, validate=v.Length(max=120))
    recipient_org_id = Id(allow_none=True)
    decision_ref = ma.fields.String(allow_none=True, validate=v.Length(max=60))
    purpose = ma.fields.String(required=True, validate=v.Length(min=1, max=500))
    signed_by = ma.fields.String(required=True, validate=v.Length(min=1, max=60))
    distributed_on = EventDay(allow_none=True)
    # required: a retry without one would pay out twice
    nonce = ma.fields.String(required=True, validate=v.Length(min=1, max=64))


class FundIn(ma.Schema):
    kind = ma.fields.String(required=True, validate=v.OneOf(FUND_KIND))
    title = ma.fields.String(required=True, validate=v.Length(min=1, max=120))
    purpose = ma.fields.String(required=True, validate=v.Length(min=1, max=5000))
    criteria = ma.fields.String(load_default="", validate=v.Length(max=5000))
    how_to_give = ma.fields.String(load_default="", validate=v.Length(max=2000))
    host_id = Id(required=True)
    node_id = Id(required=True)
    target_amount = Yuan(allow_none=True, maximum="100000000.00")
    goods_wanted = ma.fields.String(load_default="", validate=v.Length(max=2000))
    accepts_money = ma.fields.Boolean(load_default=True)
    accepts_goods = ma.fields.Boolean(load_default=True)
    closes_on = EventDay(allow_none=True)


class FundPatch(FundIn):
    class Meta:
        exclude = ("host_id", "node_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)
