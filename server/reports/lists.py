"""The records behind each figure of the dashboard, a page at a time: the activities held,
the people who served, the organisations, the pledges, money gifts and payouts, and the
goods lines received and handed out (with their quantities and values, which add up to
the goods figures). The same definitions as rollups.py (what counts, where, when), read
from the records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, and_, case, cast, distinct, func, or_, select, type_coerce
from sqlalchemy.orm import aliased

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.activities.models import FORCES, Activity
from server.communities.models import Node, Organisation
from server.donations.models import Fund, Pledge
from server.donations.money import Money
from server.donations.movements import (
    Distribution,
    DistributionLine,
    Fulfilment,
    FulfilmentLine,
    LedgerEntry,
)
from server.extensions import db
from server.hours.models import HourEntry, HourReview
from server.reports import errors
from server.reports.periods import Period
from server.reports.rollups import COMMUNITY_ORG_KINDS, LEVEL_3

PAGE = 50
# which list each headline figure opens
LIST_OF = {"activities": "activities", "linked3": "activities", "person_times": "people",
           "volunteers": "people", "hours": "people", "organisations": "organisations",
           "community_orgs": "organisations", "money_pledged": "pledges",
           "money_received": "gifts", "goods_received": "goods_in",
           "goods_received_value": "goods_in", "money_distributed": "payouts",
           "goods_distributed": "goods_out", "goods_distributed_value": "goods_out"}


# the names of each list's columns, as the API gives them
COLUMNS = {
    "activities": ("starts_at", "title", "kind", "place", "organisation", "forces", "id"),
    "people": ("name", "phone", "person_times", "minutes"),
    "organisations": ("name", "kind", "based_in", "activities"),
    "pledges": ("created_at", "reference", "fund", "amount", "ended"),
    "gifts": ("received_on", "fund", "kind", "amount", "goods_value"),
    "payouts": ("distributed_on", "fund", "kind", "amount", "recipient"),
    "goods_in": ("received_on", "fund", "item", "quantity", "unit", "value"),
    "goods_out": ("distributed_on", "fund", "item", "quantity", "unit", "value", "recipient"),
}


@dataclass
class Listed:
    kind: str
    rows: list
    more: bool

    def items(self) -> list[dict]:
        return [dict(zip(COLUMNS[self.kind], row, strict=True)) for row in self.rows]


def _in(node: Node, model_node_id):
    place = aliased(Node)
    return place, [place.id == model_node_id, place.path.startswith(node.path)]


def _held(node: Node, period: Period):
    start, end = period.utc_range()
    place, inside = _in(node, Activity.node_id)
    return place, [Activity.status == "finished", Activity.starts_at >= start,
                   Activity.starts_at < end, *inside]


def _page(query, page: int) -> tuple[list, bool]:
    rows = db.session.execute(query.offset(page * PAGE).limit(PAGE + 1)).all()
    return [tuple(r) for r in rows[:PAGE]], len(rows) > PAGE


def activities_query(node: Node, period: Period, *, kind: str | None = None,
                     linked3: bool = False):
    place, held = _held(node, period)
    query = (select(Activity.starts_at, Activity.title, Activity.kind, Activity.place,
                    Organisation.name, Activity.forces, Activity.id)
             .join(place, place.id == Activity.node_id)
             .join(Organisation, Organisation.id == Activity.organisation_id).where(*held))
    if kind:
        query = query.where(Activity.kind == kind)
    if linked3:
        text = cast(Activity.forces, String)
        query = query.where(sum(case((text.like(f'%"{f}"%'), 1), else_=0)
                                for f in FORCES) >= 3)
    return query.order_by(Activity.starts_at.desc(), Activity.id.desc())


def activities(node: Node, period: Period, *, page: int, kind: str | None = None,
               linked3: bool = False) -> Listed:
    return Listed("activities", *_page(activities_query(node, period, kind=kind,
                                                        linked3=linked3), page))


def people_query(node: Node, period: Period):
    start, end = period.utc_range()
    place, inside = _in(node, Activity.node_id)
    per_pair = (select(HourEntry.user_id, HourEntry.activity_id,
                       func.sum(HourEntry.minutes).label("minutes"))
                .join(HourReview, HourReview.entry_id == HourEntry.id)
                .join(Activity, Activity.id == HourEntry.activity_id)
                .join(place, place.id == Activity.node_id)
                .where(HourReview.decision == "approved", Activity.starts_at >= start,
                       Activity.starts_at < end, *inside)
                .group_by(HourEntry.user_id, HourEntry.activity_id)
                .having(func.sum(HourEntry.minutes) > 0)).subquery()
    return (select(User.name, User.phone, func.count(), func.sum(per_pair.c.minutes))
            .join(per_pair, per_pair.c.user_id == User.id)
            .group_by(User.id, User.name, User.phone)
            .order_by(func.sum(per_pair.c.minutes).desc(), User.id))


def people(node: Node, period: Period, *, page: int) -> Listed:
    rows, more = _page(people_query(node, period), page)
    return Listed("people", [(name, mask_phone(phone), times, minutes)
                             for name, phone, times, minutes in rows], more)


def organisations_query(node: Node, period: Period, *, community_only: bool = False):
    place, held = _held(node, period)
    home = aliased(Node)
    query = (select(Organisation.name, Organisation.kind, home.name,
                    func.count(distinct(Activity.id)))
             .select_from(Activity).join(place, place.id == Activity.node_id)
             .join(Organisation, Organisation.id == Activity.organisation_id)
             .join(home, home.id == Organisation.node_id).where(*held)
             .group_by(Organisation.id, Organisation.name, Organisation.kind, home.name))
    if community_only:
        query = query.where(and_(Organisation.kind.in_(COMMUNITY_ORG_KINDS),
                                 home.kind.in_(LEVEL_3)))
    return query.order_by(func.count(distinct(Activity.id)).desc(), Organisation.name)


def organisations(node: Node, period: Period, *, page: int,
                  community_only: bool = False) -> Listed:
    return Listed("organisations", *_page(organisations_query(
        node, period, community_only=community_only), page))


def _funds_in(node: Node):
    place = aliased(Node)
    return place, [place.id == Fund.node_id, place.path.startswith(node.path)]


def pledges_query(node: Node, period: Period):
    """The pledges behind "money pledged", each with what it counts for there (the rule of
    rollups._donations): a standing pledge its amount, a released one what did arrive; a
    withdrawn or declined one counts for nothing and is not listed. So the list adds up to
    the figure."""
    start, end = period.utc_range()
    place, inside = _funds_in(node)
    arrived = func.coalesce(select(func.sum(Fulfilment.amount))
                            .where(Fulfilment.pledge_id == Pledge.id).scalar_subquery(), 0)
    counted = case((Pledge.end_state.is_(None), Pledge.amount), else_=arrived)
    return (select(Pledge.created_at, Pledge.reference, Fund.title, counted.label("amount"),
                   Pledge.end_state)
            .join(Fund, Fund.id == Pledge.fund_id).join(place, place.id == Fund.node_id)
            .where(Pledge.kind == "money", Pledge.created_at >= start,
                   Pledge.created_at < end, *inside,
                   or_(Pledge.end_state.is_(None), Pledge.end_state == "released"))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc()))


def pledges(node: Node, period: Period, *, page: int) -> Listed:
    return Listed("pledges", *_page(pledges_query(node, period), page))


def gifts_query(node: Node, period: Period):
    place, inside = _funds_in(node)
    return (select(Fulfilment.received_on, Fund.title, Fulfilment.kind, Fulfilment.amount,
                   Fulfilment.in_kind_value)
            .join(Fund, Fund.id == Fulfilment.fund_id).join(place, place.id == Fund.node_id)
            .where(Fulfilment.kind == "money", Fulfilment.received_on >= period.start,
                   Fulfilment.received_on < period.end, *inside)
            .order_by(Fulfilment.received_on.desc(), Fulfilment.id.desc()))


def gifts(node: Node, period: Period, *, page: int) -> Listed:
    return Listed("gifts", *_page(gifts_query(node, period), page))


def goods_in_query(node: Node, period: Period):
    """Each goods line received (a reversal's negative), as "goods received" counts it:
    date, fund, item, quantity accepted, unit and value at intake (a unit's value, the row
    value multiplied in goods_in_row)."""
    place, inside = _funds_in(node)
    return (select(Fulfilment.received_on, Fund.title, FulfilmentLine.item,
                   FulfilmentLine.accepted, FulfilmentLine.unit, FulfilmentLine.unit_value)
            .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
            .join(Fund, Fund.id == Fulfilment.fund_id).join(place, place.id == Fund.node_id)
            .where(Fulfilment.received_on >= period.start,
                   Fulfilment.received_on < period.end, *inside)
            .order_by(Fulfilment.received_on.desc(), FulfilmentLine.id.desc()))


def goods_in_row(row) -> tuple:
    on, fund, item, quantity, unit, unit_value = row
    return on, fund, item, quantity, unit, (unit_value or 0) * quantity


def goods_in(node: Node, period: Period, *, page: int) -> Listed:
    rows, more = _page(goods_in_query(node, period), page)
    return Listed("goods_in", [goods_in_row(r) for r in rows], more)


def goods_out_query(node: Node, period: Period):
    """Each goods line handed out (a reversal's negative), as "goods distributed" counts it,
    with its value as the fund's ledger booked it out and the recipient."""
    place, inside = _funds_in(node)
    booked = (select(func.coalesce(-func.sum(LedgerEntry.value), 0))
              .where(LedgerEntry.distribution_id == Distribution.id,
                     LedgerEntry.kind == "goods_out",
                     LedgerEntry.category == DistributionLine.category,
                     LedgerEntry.item == DistributionLine.item,
                     LedgerEntry.unit == DistributionLine.unit)
              .correlate(Distribution, DistributionLine).scalar_subquery())
    return (select(Distribution.distributed_on, Fund.title, DistributionLine.item,
                   DistributionLine.quantity, DistributionLine.unit,
                   type_coerce(booked, Money()), Distribution.recipient_kind,
                   Distribution.recipient_name)
            .join(Distribution, Distribution.id == DistributionLine.distribution_id)
            .join(Fund, Fund.id == Distribution.fund_id).join(place, place.id == Fund.node_id)
            .where(Distribution.distributed_on >= period.start,
                   Distribution.distributed_on < period.end, *inside)
            .order_by(Distribution.distributed_on.desc(), DistributionLine.id.desc()))


def goods_out_row(row) -> tuple:
    from server.donations.services.ledger import recipient_public
    on, fund, item, quantity, unit, value, kind, name = row
    return on, fund, item, quantity, unit, value, recipient_public(kind, name)


def goods_out(node: Node, period: Period, *, page: int) -> Listed:
    rows, more = _page(goods_out_query(node, period), page)
    return Listed("goods_out", [goods_out_row(r) for r in rows], more)


def payouts_query(node: Node, period: Period):
    place, inside = _funds_in(node)
    return (select(Distribution.distributed_on, Fund.title, Distribution.kind,
                   Distribution.amount, Distribution.recipient_kind, Distribution.recipient_name)
            .join(Fund, Fund.id == Distribution.fund_id).join(place, place.id == Fund.node_id)
            .where(Distribution.kind == "money", Distribution.distributed_on >= period.start,
                   Distribution.distributed_on < period.end, *inside)
            .order_by(Distribution.distributed_on.desc(), Distribution.id.desc()))


def payouts(node: Node, period: Period, *, page: int) -> Listed:
    rows, more = _page(payouts_query(node, period), page)
    from server.donations.services.ledger import recipient_public
    return Listed("payouts", [(on, fund, kind, amount, recipient_public(rk, name))
                              for on, fund, kind, amount, rk, name in rows], more)


def query_of(figure: str, node: Node, period: Period, *, kind: str | None = None):
    """The query behind a figure, for a download of the whole list."""
    which = LIST_OF.get(figure)
    if which is None:
        raise errors.BadFigure()
    if which == "activities":
        return activities_query(node, period, kind=kind, linked3=figure == "linked3")
    if which == "organisations":
        return organisations_query(node, period, community_only=figure == "community_orgs")
    return {"people": people_query, "pledges": pledges_query, "gifts": gifts_query,
            "payouts": payouts_query, "goods_in": goods_in_query,
            "goods_out": goods_out_query}[which](node, period)


def behind(figure: str, node: Node, period: Period, *, page: int = 0,
           kind: str | None = None) -> Listed:
    """The list a headline figure opens."""
    which = LIST_OF.get(figure)
    if which is None:
        raise errors.BadFigure()
    if which == "activities":
        return activities(node, period, page=page, kind=kind, linked3=figure == "linked3")
    if which == "organisations":
        return organisations(node, period, page=page,
                             community_only=figure == "community_orgs")
    return {"people": people, "pledges": pledges, "gifts": gifts, "payouts": payouts,
            "goods_in": goods_in, "goods_out": goods_out}[which](node, period, page=page)
