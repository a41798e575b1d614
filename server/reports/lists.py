"""The records behind each figure of the dashboard, a page at a time: the activities held,
the people who served, the organisations, the pledges, gifts and payouts. The same
definitions as rollups.py (what counts, where, when), read from the records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, and_, case, cast, distinct, func, select
from sqlalchemy.orm import aliased

from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.activities.models import FORCES, Activity
from server.communities.models import Node, Organisation
from server.donations.models import Fund, Pledge
from server.donations.movements import Distribution, Fulfilment
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
           "money_received": "gifts", "goods_received": "gifts",
           "goods_received_value": "gifts", "money_distributed": "payouts",
           "goods_distributed": "payouts", "goods_distributed_value": "payouts"}


@dataclass
class Listed:
    kind: str
    rows: list
    more: bool


def _in(node: Node, model_node_id):
    place = aliased(Node)
    return place, [place.id == model_node_id, place.path.startswith(node.path)]


def _held(node: Node, period: Period):
    start, end = period.utc_range()
    place, inside = _in(node, Activity.node_id)
    return place, [Activity.status == "finished", Activity.starts_at >= start,
                   Activity.starts_at < end, *inside]


def activities(node: Node, period: Period, *, page: int, kind: str | None = None,
               linked3: bool = False) -> Listed:
    place, held = _held(node, period)
    query = (select(Activity, Organisation.name).join(place, place.id == Activity.node_id)
             .join(Organisation, Organisation.id == Activity.organisation_id).where(*held))
    if kind:
        query = query.where(Activity.kind == kind)
    if linked3:
        text = cast(Activity.forces, String)
        query = query.where(sum(case((text.like(f'%"{f}"%'), 1), else_=0)
                                for f in FORCES) >= 3)
    rows = db.session.execute(query.order_by(Activity.starts_at.desc(), Activity.id.desc())
                              .offset(page * PAGE).limit(PAGE + 1)).all()
    return Listed("activities", [(a, org) for a, org in rows[:PAGE]], len(rows) > PAGE)


def people(node: Node, period: Period, *, page: int) -> Listed:
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
    rows = db.session.execute(
        select(User.name, User.phone, func.count(), func.sum(per_pair.c.minutes))
        .join(per_pair, per_pair.c.user_id == User.id).group_by(User.id, User.name, User.phone)
        .order_by(func.sum(per_pair.c.minutes).desc(), User.id)
        .offset(page * PAGE).limit(PAGE + 1)).all()
    shown = [(name, mask_phone(phone), times, minutes) for name, phone, times, minutes
             in rows[:PAGE]]
    return Listed("people", shown, len(rows) > PAGE)


def organisations(node: Node, period: Period, *, page: int,
                  community_only: bool = False) -> Listed:
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
    rows = db.session.execute(query.order_by(func.count(distinct(Activity.id)).desc(),
                                             Organisation.name)
                              .offset(page * PAGE).limit(PAGE + 1)).all()
    return Listed("organisations", [tuple(r) for r in rows[:PAGE]], len(rows) > PAGE)


def _funds_in(node: Node):
    place = aliased(Node)
    return place, [place.id == Fund.node_id, place.path.startswith(node.path)]


def pledges(node: Node, period: Period, *, page: int) -> Listed:
    start, end = period.utc_range()
    place, inside = _funds_in(node)
    rows = db.session.execute(
        select(Pledge, Fund.title).join(Fund, Fund.id == Pledge.fund_id)
        .join(place, place.id == Fund.node_id)
        .where(Pledge.kind == "money", Pledge.created_at >= start, Pledge.created_at < end,
               *inside)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .offset(page * PAGE).limit(PAGE + 1)).all()
    return Listed("pledges", [tuple(r) for r in rows[:PAGE]], len(rows) > PAGE)


def gifts(node: Node, period: Period, *, page: int) -> Listed:
    place, inside = _funds_in(node)
    rows = db.session.execute(
        select(Fulfilment, Fund.title).join(Fund, Fund.id == Fulfilment.fund_id)
        .join(place, place.id == Fund.node_id)
        .where(Fulfilment.received_on >= period.start, Fulfilment.received_on < period.end,
               *inside)
        .order_by(Fulfilment.received_on.desc(), Fulfilment.id.desc())
        .offset(page * PAGE).limit(PAGE + 1)).all()
    return Listed("gifts", [tuple(r) for r in rows[:PAGE]], len(rows) > PAGE)


def payouts(node: Node, period: Period, *, page: int) -> Listed:
    place, inside = _funds_in(node)
    rows = db.session.execute(
        select(Distribution, Fund.title).join(Fund, Fund.id == Distribution.fund_id)
        .join(place, place.id == Fund.node_id)
        .where(Distribution.distributed_on >= period.start,
               Distribution.distributed_on < period.end, *inside)
        .order_by(Distribution.distributed_on.desc(), Distribution.id.desc())
        .offset(page * PAGE).limit(PAGE + 1)).all()
    return Listed("payouts", [tuple(r) for r in rows[:PAGE]], len(rows) > PAGE)


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
    return {"people": people, "pledges": pledges, "gifts": gifts,
            "payouts": payouts}[which](node, period, page=page)
