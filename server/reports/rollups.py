"""Keeping the statistics ready: every figure of every place for each month, quarter and
year, recomputed from the records themselves with a few grouped queries.

The scheduler's `stats` job asks which records changed since it last looked (hours
decided, activities finished, pledges, gifts received, payouts: each has its own time
stamp), recomputes the months, quarters and years those records count in, and stores one
row per place, period and figure (StatValue). Recomputing from the records, not adding
up changes, means a figure is never off by a missed or doubled event, and the same
function rebuilds everything (`flask stats rebuild`). A place's figure covers its whole
subtree (a district's counts include every street, town, community and village below).

What counts (one definition, used by the dashboard, its lists and the report):
- activities held: finished activities that started in the period, by kind; each of the
  five forces they linked, and how many linked three or more;
- organisations mobilised: the distinct bodies that held them; community organisations:
  those of them (social organisations and volunteer teams) based in a community or village;
- person-times: a person with approved hours at an activity (net of corrections);
  volunteers: the distinct people; minutes: approved hours, corrections included;
- money pledged: money pledges made in the period that still stand (and, of a released
  pledge, what did arrive); received and distributed: gifts received and paid out in the
  period (reversals included); goods: quantities and value at intake received, and
  handed out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import String, and_, case, cast, delete, distinct, func, insert, or_, select
from sqlalchemy.orm import aliased

from server.activities.models import FORCES, Activity
from server.communities.models import Node, Organisation
from server.core.clock import local
from server.donations.models import Fund, Pledge
from server.donations.movements import (
    Distribution,
    DistributionLine,
    Fulfilment,
    FulfilmentLine,
    LedgerEntry,
)
from server.extensions import db
from server.hours.models import HourEntry, HourReview
from server.reports import programmes
from server.reports.counting import approved_minutes, took_part
from server.reports.models import StatState, StatValue
from server.reports.periods import Period, month_of, stored_periods_of, year_of

STATE = "rollups"
# records changed a little before the last look are read again: a unit of work that began
# before it and committed after it is not missed (recomputing twice changes nothing)
OVERLAP = timedelta(minutes=10)
COMMUNITY_ORG_KINDS = ("social_org", "volunteer_team")
LEVEL_3 = ("community", "village")

Row = tuple[int, str, str, int]  # node, metric, key, value


def _under(leaf, anc):
    """leaf lies in anc's subtree (materialised paths)."""
    return leaf.path.startswith(anc.path)


def _fen(value) -> int:
    return int((Decimal(value or 0) * 100).to_integral_value())


def _activities(period: Period, only: list[int] | None = None) -> list[Row]:
    leaf, anc = aliased(Node), aliased(Node)
    start, end = period.utc_range()
    held = [Activity.status == "finished", Activity.starts_at >= start,
            Activity.starts_at < end, *_only(anc, only)]
    base = (select(anc.id).select_from(Activity).join(leaf, leaf.id == Activity.node_id)
            .join(anc, _under(leaf, anc)).where(*held))
    rows: list[Row] = [
        (node, "activities", kind, n) for node, kind, n in db.session.execute(
            base.add_columns(Activity.kind, func.count()).group_by(anc.id, Activity.kind))]
    text = cast(Activity.forces, String)
    took_part = {f: case((text.like(f'%"{f}"%'), 1), else_=0) for f in FORCES}
    linked = sum(took_part.values())
    for node, *counts in db.session.execute(
            base.add_columns(*[func.sum(took_part[f]) for f in FORCES],
                             func.sum(case((linked >= 3, 1), else_=0)))
            .group_by(anc.id)):
        rows += [(node, "force", f, int(n or 0)) for f, n in zip(FORCES, counts[:-1],
                                                                strict=True)]
        rows.append((node, "linked3", "", int(counts[-1] or 0)))
    home = aliased(Node)
    community_org = and_(Organisation.kind.in_(COMMUNITY_ORG_KINDS), home.kind.in_(LEVEL_3))
    for node, orgs, local_orgs in db.session.execute(
            base.add_columns(func.count(distinct(Activity.organisation_id)),
                             func.count(distinct(case((community_org,
                                                       Activity.organisation_id)))))
            .join(Organisation, Organisation.id == Activity.organisation_id)
            .join(home, home.id == Organisation.node_id).group_by(anc.id)):
        rows += [(node, "organisations", "", orgs), (node, "community_orgs", "", local_orgs)]
    return rows


def _hours(period: Period, only: list[int] | None = None) -> list[Row]:
    leaf, anc = aliased(Node), aliased(Node)
    start, end = period.utc_range()
    rows: list[Row] = []
    minutes = approved_minutes(Activity.starts_at >= start, Activity.starts_at < end)
    for node, total in db.session.execute(
            select(anc.id, func.sum(minutes.c.minutes)).select_from(minutes)
            .join(Activity, Activity.id == minutes.c.activity_id)
            .join(leaf, leaf.id == Activity.node_id).join(anc, _under(leaf, anc))
            .where(*_only(anc, only)).group_by(anc.id)):
        rows.append((node, "minutes", "", int(total or 0)))
    pairs = took_part(minutes)
    for node, times, people in db.session.execute(
            select(anc.id, func.count(), func.count(distinct(pairs.c.user_id)))
            .select_from(pairs).join(Activity, Activity.id == pairs.c.activity_id)
            .join(leaf, leaf.id == Activity.node_id).join(anc, _under(leaf, anc))
            .where(*_only(anc, only)).group_by(anc.id)):
        rows += [(node, "person_times", "", times), (node, "volunteers", "", people)]
    return rows


def _donations(period: Period, only: list[int] | None = None) -> list[Row]:
    leaf, anc = aliased(Node), aliased(Node)
    start, end = period.utc_range()

    def by_fund(model):
        return (select(anc.id).select_from(model).join(Fund, Fund.id == model.fund_id)
                .join(leaf, leaf.id == Fund.node_id).join(anc, _under(leaf, anc))
                .where(*_only(anc, only)))
    sums: dict[tuple[int, str], int] = {}

    def add(node: int, metric: str, value) -> None:
        sums[(node, metric)] = sums.get((node, metric), 0) + value

    made = [Pledge.created_at >= start, Pledge.created_at < end, Pledge.kind == "money"]
    for node, amount in db.session.execute(
            by_fund(Pledge).add_columns(func.sum(Pledge.amount))
            .where(*made, Pledge.end_state.is_(None)).group_by(anc.id)):
        add(node, "money_pledged", _fen(amount))
    for node, amount in db.session.execute(  # a released pledge: what did arrive
            by_fund(Fulfilment).add_columns(func.sum(Fulfilment.amount))
            .join(Pledge, Pledge.id == Fulfilment.pledge_id)
            .where(*made, Pledge.end_state == "released").group_by(anc.id)):
        add(node, "money_pledged", _fen(amount))
    on = [Fulfilment.received_on >= period.start, Fulfilment.received_on < period.end]
    for node, cash, value in db.session.execute(
            by_fund(Fulfilment).add_columns(func.sum(Fulfilment.amount),
                                            func.sum(Fulfilment.in_kind_value))
            .where(*on).group_by(anc.id)):
        add(node, "money_received", _fen(cash))
        add(node, "goods_received_value", _fen(value))
    for node, quantity in db.session.execute(
            by_fund(Fulfilment).add_columns(func.sum(FulfilmentLine.accepted))
            .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
            .where(*on).group_by(anc.id)):
        add(node, "goods_received", int(quantity or 0))
    out = [Distribution.distributed_on >= period.start, Distribution.distributed_on < period.end]
    for node, paid in db.session.execute(
            by_fund(Distribution).add_columns(func.sum(Distribution.amount))
            .where(*out).group_by(anc.id)):
        add(node, "money_distributed", _fen(paid))
    for node, quantity in db.session.execute(
            by_fund(Distribution).add_columns(func.sum(DistributionLine.quantity))
            .join(DistributionLine, DistributionLine.distribution_id == Distribution.id)
            .where(*out).group_by(anc.id)):
        add(node, "goods_distributed", int(quantity or 0))
    for node, value in db.session.execute(  # on the day of the handing-out they belong to
            by_fund(LedgerEntry).add_columns(func.sum(LedgerEntry.value))
            .join(Distribution, Distribution.id == LedgerEntry.distribution_id)
            .where(LedgerEntry.kind == "goods_out", *out).group_by(anc.id)):
        add(node, "goods_distributed_value", -_fen(value))
    return [(node, metric, "", value) for (node, metric), value in sums.items()]


def _only(anc, only: list[int] | None) -> list:
    return [] if only is None else [anc.id.in_(only)]


def compute(period: Period, only: list[int] | None = None) -> list[Row]:
    """Every place's figures for one period, from the records (`only`: these places)."""
    rows = (_activities(period, only) + _hours(period, only) + _donations(period, only)
            + programmes.rows(period, only))
    return [row for row in rows if row[3]]


def store(period: Period) -> int:
    """Replace the period's rows with freshly computed ones; returns how many."""
    rows = compute(period)
    db.session.execute(delete(StatValue).where(StatValue.period == period.key))
    if rows:
        db.session.execute(insert(StatValue), [
            {"node_id": n, "period": period.key, "metric": m, "key": k, "value": v}
            for n, m, k, v in rows])
    return len(rows)


# --- what changed ---------------------------------------------------------------------

def _days(query) -> set[date]:
    return {local(t).date() if isinstance(t, datetime) else t
            for t in db.session.scalars(query) if t is not None}


def changed_days(since: datetime, until: datetime | None = None) -> set[date]:
    """The days whose figures records changed since `since` count in (an activity edited
    since, up to `until`: its programme, say, which moves its figures)."""
    edited = Activity.updated_at >= since
    if until is not None:
        edited &= Activity.updated_at <= until
    days = _days(select(Activity.starts_at).where(
        or_(Activity.finished_at >= since, edited)).distinct())
    days |= _days(select(Activity.starts_at).join(HourEntry, HourEntry.activity_id == Activity.id)
                  .join(HourReview, HourReview.entry_id == HourEntry.id)
                  .where(HourReview.decided_at >= since).distinct())
    days |= _days(select(Pledge.created_at).where(
        or_(Pledge.created_at >= since, Pledge.updated_at >= since)).distinct())
    days |= _days(select(Pledge.created_at).join(Fulfilment, Fulfilment.pledge_id == Pledge.id)
                  .where(Fulfilment.recorded_at >= since).distinct())
    days |= _days(select(Fulfilment.received_on).where(Fulfilment.recorded_at >= since)
                  .distinct())
    days |= _days(select(Distribution.distributed_on).where(
        Distribution.recorded_at >= since).distinct())
    days |= _days(select(LedgerEntry.occurred_on).where(LedgerEntry.recorded_at >= since)
                  .distinct())
    return days


def all_days() -> set[date]:
    """The first and last day anything counts in, as the ends of a full rebuild."""
    found: set[date] = set()
    for column in (Activity.starts_at, Pledge.created_at):
        low, high = db.session.execute(select(func.min(column), func.max(column))).one()
        found |= {local(t).date() for t in (low, high) if t is not None}
    for column in (Fulfilment.received_on, Distribution.distributed_on):
        low, high = db.session.execute(select(func.min(column), func.max(column))).one()
        found |= {d for d in (low, high) if d is not None}
    if not found:
        return set()
    first, last = min(found), max(found)
    return {month.start for month in Period("custom", month_of(first).start,
                                            month_of(last).end).months()}


def periods_for(days: set[date]) -> list[Period]:
    """Every stored period those days count in, each once, years last."""
    found = {p.key: p for day in days for p in stored_periods_of(day)}
    order = {"month": 0, "quarter": 1, "year": 2}
    return sorted(found.values(), key=lambda p: (order[p.kind], p.start))


def to_refresh(*, now: datetime) -> tuple[list[Period], datetime]:
    """The periods to recompute now, and the mark to leave once they are: everything on
    the first run, else what changed since the last one (with OVERLAP)."""
    state = db.session.get(StatState, STATE)
    days = all_days() if state is None else changed_days(state.read_until - OVERLAP, now)
    return periods_for(days), now


def mark(read_until: datetime, *, now: datetime) -> None:
    state = db.session.get(StatState, STATE)
    if state is None:
        db.session.add(StatState(name=STATE, read_until=read_until, refreshed_at=now))
    else:
        state.read_until, state.refreshed_at = read_until, now
    db.session.flush()


def refreshed_at() -> datetime | None:
    state = db.session.get(StatState, STATE)
    return state.refreshed_at if state else None


def rebuild(*, now: datetime) -> int:
    """Every stored period from the first record to the last (and the mark moved)."""
    periods = periods_for(all_days())
    for period in periods:
        store(period)
    mark(now, now=now)
    return len(periods)


def years_with_data() -> list[int]:
    return sorted({year_of(day).start.year for day in all_days()})
