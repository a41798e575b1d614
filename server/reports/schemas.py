"""In and out of /api/v1/stats: which period, which page; a place's figures, compared and
broken down; the records behind a figure."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as v

from server.activities.models import ACTIVITY_KINDS
from server.core.fields import LocalDateTime, Whole
from server.reports.figures import HEADLINES

Money = ma.fields.Decimal(as_string=True, places=2)
PERIOD_HELP = ("a month (2026-09), a quarter (2026-Q3), a year (2026) or a run of months "
               "(2026-03..2026-08); this month when left out")


class PeriodArgs(ma.Schema):
    period = ma.fields.String(load_default=None, validate=v.Length(max=20),
                              metadata={"description": PERIOD_HELP})


class BehindArgs(PeriodArgs):
    page = Whole(load_default=0, validate=v.Range(0, 10000),
                 metadata={"description": "from 0; 50 rows a page"})
    kind = ma.fields.String(load_default=None, validate=v.OneOf(ACTIVITY_KINDS), metadata={
        "description": "activities of one kind only (the activities figure)"})


class PlaceOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()


class PeriodOut(ma.Schema):
    key = ma.fields.String()
    kind = ma.fields.String()
    start = ma.fields.Date()
    end = ma.fields.Date(metadata={"description": "the day after its last"})
    label = ma.fields.String()


class AddingUpOut(ma.Schema):
    """The figures that add up across places (each record counts at one place). Counts are
    whole numbers; hours have one decimal; money is in yuan, as a string."""

    activities = ma.fields.Integer()
    person_times = ma.fields.Integer()
    hours = ma.fields.Decimal(as_string=True, places=1)
    linked3 = ma.fields.Integer(metadata={"description": "activities linking 3+ forces"})
    money_pledged = Money
    money_received = Money
    money_distributed = Money
    goods_received = ma.fields.Integer()
    goods_received_value = Money
    goods_distributed = ma.fields.Integer()
    goods_distributed_value = Money


class HeadlinesOut(AddingUpOut):
    """Every headline figure: those that add up, and the distinct counts (a person or body
    counted once here may count again in each place below)."""

    volunteers = ma.fields.Integer()
    organisations = ma.fields.Integer()
    community_orgs = ma.fields.Integer()


class CoverageOut(ma.Schema):
    places = ma.fields.Integer(metadata={"description": "villages and communities below"})
    with_station = ma.fields.Integer()
    share = ma.fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "per cent; null where there are none"})


class ChildOut(ma.Schema):
    place = ma.fields.Nested(PlaceOut)
    figures = ma.fields.Nested(HeadlinesOut)


class OwnOut(ma.Schema):
    figures = ma.fields.Nested(AddingUpOut, metadata={
        "description": "the figures that add up across places (the distinct counts, "
                       "volunteers, organisations and community_orgs, do not: absent)"})


# a count is a number; hours and money are decimal strings ("12.5", "300.00")
FIGURE = {"anyOf": [{"type": "integer"}, {"type": "string", "format": "decimal"}]}


def Figure(**metadata) -> ma.fields.Raw:  # noqa: N802 - used like a field class
    """One figure's value, as server.reports.api._plain gives it."""
    return ma.fields.Raw(metadata={**FIGURE, **metadata})


class OwnComparedOut(ma.Schema):
    value = Figure()
    previous = Figure()


class MonthOut(ma.Schema):
    period = ma.fields.Nested(PeriodOut)
    figures = ma.fields.Nested(HeadlinesOut)


class ProgrammeFiguresOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    activities = ma.fields.Integer()
    participants = ma.fields.Integer(metadata={"description": "distinct people"})
    person_times = ma.fields.Integer()
    hours = ma.fields.Decimal(as_string=True, places=1)


class DashboardOut(ma.Schema):
    place = ma.fields.Nested(PlaceOut)
    period = ma.fields.Nested(PeriodOut)
    previous = ma.fields.Nested(PeriodOut)
    figures = ma.fields.Nested(HeadlinesOut)
    previous_figures = ma.fields.Nested(HeadlinesOut)
    by_kind = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={
        "description": "activities held, by kind"})
    forces = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={
        "description": "activities each of the five forces took part in"})
    coverage = ma.fields.Nested(CoverageOut)
    children = ma.fields.List(ma.fields.Nested(ChildOut))
    own = ma.fields.Nested(OwnOut, allow_none=True, metadata={
        "description": "what the place holds itself, not through a place below it (a "
                       "town's own fund): the figure less its children's; null when "
                       "nothing, or when it has no places below"})
    trend = ma.fields.List(ma.fields.Nested(MonthOut))
    programmes = ma.fields.List(ma.fields.Nested(ProgrammeFiguresOut), metadata={
        "description": "programmes with activities here in the period, busiest first"})
    refreshed_at = LocalDateTime(allow_none=True)


class ComparedChildOut(ma.Schema):
    place = ma.fields.Nested(PlaceOut)
    value = Figure(description="as `value` above")
    previous = Figure()


class ActivityRowOut(ma.Schema):
    id = ma.fields.Integer()
    starts_at = LocalDateTime()
    title = ma.fields.String()
    kind = ma.fields.String()
    place = ma.fields.String()
    organisation = ma.fields.String()
    forces = ma.fields.List(ma.fields.String())


class PersonRowOut(ma.Schema):
    name = ma.fields.String()
    phone = ma.fields.String(metadata={"description": "masked"})
    person_times = ma.fields.Integer()
    minutes = ma.fields.Integer()


class OrganisationRowOut(ma.Schema):
    name = ma.fields.String()
    kind = ma.fields.String()
    based_in = ma.fields.String()
    activities = ma.fields.Integer()


class PledgeRowOut(ma.Schema):
    created_at = LocalDateTime()
    reference = ma.fields.String()
    fund = ma.fields.String()
    amount = Money
    ended = ma.fields.String(allow_none=True)


class GiftRowOut(ma.Schema):
    received_on = ma.fields.Date()
    fund = ma.fields.String()
    kind = ma.fields.String()
    amount = ma.fields.Decimal(as_string=True, places=2, allow_none=True)
    goods_value = ma.fields.Decimal(as_string=True, places=2, allow_none=True)


class PayoutRowOut(ma.Schema):
    distributed_on = ma.fields.Date()
    fund = ma.fields.String()
    kind = ma.fields.String()
    amount = ma.fields.Decimal(as_string=True, places=2, allow_none=True)
    recipient = ma.fields.String()


class _GoodsLineOut(ma.Schema):
    fund = ma.fields.String()
    item = ma.fields.String()
    quantity = ma.fields.Integer()
    unit = ma.fields.String()
    value = ma.fields.Decimal(as_string=True, places=2, metadata={"description": "yuan"})


class GoodsInRowOut(_GoodsLineOut):
    """One goods line received, valued at intake (negative: a receipt reversed)."""

    received_on = ma.fields.Date()


class GoodsOutRowOut(_GoodsLineOut):
    """One goods line handed out, valued as the fund's ledger booked it out (negative: a
    handing-out reversed)."""

    distributed_on = ma.fields.Date()
    recipient = ma.fields.String()


class BehindOut(ma.Schema):
    """Only the list the figure opens is present (`list` names it)."""

    figure = ma.fields.String(validate=v.OneOf(HEADLINES))
    list = ma.fields.String()
    value = Figure(description="the figure, this period: a whole number, or for hours and "
                               "money a decimal string")
    previous = Figure(description="the figure, the period before")
    children = ma.fields.List(ma.fields.Nested(ComparedChildOut))
    own = ma.fields.Nested(OwnComparedOut, allow_none=True, metadata={
        "description": "the place itself beside the places below (as in the dashboard); "
                       "null for the distinct counts, and when nothing"})
    activities = ma.fields.List(ma.fields.Nested(ActivityRowOut))
    people = ma.fields.List(ma.fields.Nested(PersonRowOut))
    organisations = ma.fields.List(ma.fields.Nested(OrganisationRowOut))
    pledges = ma.fields.List(ma.fields.Nested(PledgeRowOut))
    gifts = ma.fields.List(ma.fields.Nested(GiftRowOut))
    payouts = ma.fields.List(ma.fields.Nested(PayoutRowOut))
    goods_in = ma.fields.List(ma.fields.Nested(GoodsInRowOut))
    goods_out = ma.fields.List(ma.fields.Nested(GoodsOutRowOut))
    next_page = ma.fields.Integer(allow_none=True)
