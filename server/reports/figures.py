"""Reading the statistics: a place's figures for a period, its children's, a trend by month,
and the coverage of stations. One indexed read of StatValue rows per question, whatever the
size of the records behind them; a custom run of months is computed for the places asked
(it is not kept ready)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from server.activities.models import ACTIVITY_KINDS, FORCES
from server.communities.models import Node
from server.core import timefmt
from server.extensions import db
from server.reports import rollups
from server.reports.models import StatValue
from server.reports.periods import Period

LEVEL_3 = ("community", "village")


@dataclass
class Figures:
    """One place's figures for one period (missing figures are zero)."""

    values: dict[tuple[str, str], int] = field(default_factory=dict)

    def get(self, metric: str, key: str = "") -> int:
        return self.values.get((metric, key), 0)

    @property
    def activities(self) -> int:
        return sum(self.get("activities", k) for k in ACTIVITY_KINDS)

    @property
    def by_kind(self) -> dict[str, int]:
        return {k: self.get("activities", k) for k in ACTIVITY_KINDS}

    @property
    def forces(self) -> dict[str, int]:
        return {f: self.get("force", f) for f in FORCES}

    @property
    def hours(self) -> Decimal:
        return timefmt.hours(self.get("minutes"))

    def yuan(self, metric: str) -> Decimal:
        return Decimal(self.get(metric)) / 100

    # the headline figures, by name: what cards, comparisons, lists and exports speak of
    def headline(self, name: str) -> Decimal | int:
        if name == "activities":
            return self.activities
        if name == "hours":
            return self.hours
        if name.startswith("money_") or name.endswith("_value"):
            return self.yuan(name)
        return self.get(name)


HEADLINES = ("activities", "person_times", "volunteers", "hours", "organisations",
             "community_orgs", "linked3", "money_pledged", "money_received",
             "money_distributed", "goods_received", "goods_received_value",
             "goods_distributed", "goods_distributed_value")


# Each record counts at one place (an activity at its place, a gift at its fund's), so these
# add up across the places below a place; the distinct counts (a volunteer or a body counted
# once in a town may count again in each of its villages) do not.
ADDITIVE = frozenset({"activities", "force", "linked3", "minutes", "person_times",
                      "money_pledged", "money_received", "money_distributed",
                      "goods_received", "goods_received_value", "goods_distributed",
                      "goods_distributed_value"})
DISTINCT = ("volunteers", "organisations", "community_orgs")


@dataclass
class Own(Figures):
    """What a place holds itself rather than through a place below it (a town's own fund,
    a street centre's own lecture): its figures less its children's, for the figures that
    add up. Its distinct counts are not known (None)."""

    def headline(self, name: str) -> Decimal | int | None:
        return None if name in DISTINCT else super().headline(name)


def own(total: Figures, children: Iterable[Figures]) -> Own:
    values = {k: v for k, v in total.values.items() if k[0] in ADDITIVE}
    for child in children:
        for k, v in child.values.items():
            if k[0] in ADDITIVE:
                values[k] = values.get(k, 0) - v
    return Own({k: v for k, v in values.items() if v})


def read(node_ids: list[int], period: Period) -> dict[int, Figures]:
    out = {node_id: Figures() for node_id in node_ids}
    if not node_ids:
        return out
    if period.stored:
        rows = db.session.execute(
            select(StatValue.node_id, StatValue.metric, StatValue.key, StatValue.value)
            .where(StatValue.node_id.in_(node_ids), StatValue.period == period.key))
    else:
        rows = rollups.compute(period, only=node_ids)
    for node_id, metric, key, value in rows:
        out[node_id].values[(metric, key)] = value
    return out


def trend(node_id: int, months: list[Period]) -> list[tuple[Period, Figures]]:
    """The place's figures month by month (one read for all the months)."""
    found: dict[str, Figures] = defaultdict(Figures)
    for period, metric, key, value in db.session.execute(
            select(StatValue.period, StatValue.metric, StatValue.key, StatValue.value)
            .where(StatValue.node_id == node_id,
                   StatValue.period.in_([m.key for m in months]))):
        found[period].values[(metric, key)] = value
    return [(m, found[m.key]) for m in months]


@dataclass
class Coverage:
    """Communities and villages below a place, and how many have a station (社工站)."""

    places: int
    with_station: int

    @property
    def share(self) -> Decimal | None:
        if not self.places:
            return None
        return (Decimal(self.with_station) * 100 / self.places).quantize(Decimal("1"))


def coverage(node: Node) -> Coverage:
    places, stations = db.session.execute(
        select(func.count(Node.id), func.count(Node.platform_name))
        .where(Node.path.startswith(node.path), Node.kind.in_(LEVEL_3))).one()
    return Coverage(places or 0, stations or 0)
