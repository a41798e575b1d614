"""The 五社联动 dashboard of a place for a period: who may read it, and what it shows.

Coordinators and admins read the places at and below their nodes, nothing beside them:
a figure of a place is its whole subtree, and a place outside the reader's scope is "not
found". Everything comes from the one query layer (figures.py over rollups.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from server.accounts import permissions
from server.accounts.models import User
from server.activities.models import Programme
from server.communities.models import Node
from server.core.clock import local
from server.extensions import db
from server.reports import errors, figures, rollups
from server.reports.figures import DISTINCT, Coverage, Figures, Own
from server.reports.periods import BadPeriod, Period, month_of, parse, year_of
from server.reports.programmes import ProgrammeFigures, from_values


@dataclass
class Dashboard:
    node: Node
    period: Period
    now: Figures
    before: Figures
    children: list[tuple[Node, Figures]]
    own: Own | None  # what the place holds itself, beside the places below; None if nothing
    trend: list[tuple[Period, Figures]]
    coverage: Coverage
    refreshed_at: datetime | None
    trail: list[Node]  # the places above it the reader may open, top first
    programmes: list[tuple[Programme, ProgrammeFigures]]  # busiest first

    def change(self, name: str) -> tuple[object, object]:
        return self.now.headline(name), self.before.headline(name)

    def movement(self, name: str, *, running: bool) -> str:
        """up, down or same against the period before; "so_far" for a period still running
        that is below the whole of the one before: it has not fallen, it is not over."""
        now, before = self.change(name)
        if now == before:
            return "same"
        if now > before:
            return "up"
        return "so_far" if running else "down"


def readable(viewer: User | None) -> list[Node]:
    """The top places whose statistics the viewer reads (their coordinator and admin
    nodes, without the ones inside another of them)."""
    nodes = [a.node for a in permissions.assignments(viewer, "coordinator", "admin")]
    tops = [n for n in nodes if not any(o is not n and n.path.startswith(o.path)
                                        and o.path != n.path for o in nodes)]
    unique = {n.id: n for n in tops}
    # higher places first, then by name: a path sorts "/10/" before "/9/"
    return sorted(unique.values(), key=lambda n: (n.path.count("/"), n.name, n.id))


def get_node(viewer: User | None, node_id: int) -> Node:
    node = db.session.get(Node, node_id)
    if node is None or not permissions.oversees(viewer, node):
        raise errors.PlaceNotFound()
    return node


def period_of(text: str | None, *, now: datetime) -> Period:
    if not text:
        return month_of(local(now).date())
    try:
        return parse(text)
    except BadPeriod:
        raise errors.BadPeriodError() from None


def _trail(viewer: User | None, node: Node) -> list[Node]:
    ids = [int(part) for part in node.path.strip("/").split("/") if part]
    above = {n.id: n for n in db.session.scalars(select(Node).where(Node.id.in_(ids)))}
    return [above[i] for i in ids if i in above and permissions.oversees(viewer, above[i])]


def trend_months(period: Period) -> list[Period]:
    """The months a trend shows: the period's own when it has several, else its year's."""
    months = period.months()
    return months if len(months) > 1 else year_of(period.start).months()


def _children(node: Node) -> list[Node]:
    return list(db.session.scalars(select(Node).where(Node.parent_id == node.id)
                                   .order_by(Node.name)))


@dataclass
class Compared:
    """One headline figure of a place and of each place below it, now and the period
    before."""
    now: object
    before: object
    children: list[tuple[Node, object, object]]
    own: tuple[object, object] | None  # the place itself, now and before (Dashboard.own)


def compare(node: Node, period: Period, figure: str) -> Compared:
    if figure not in figures.HEADLINES:
        raise errors.BadFigure()
    children = _children(node)
    ids = [node.id] + [c.id for c in children]
    now, before = figures.read(ids, period), figures.read(ids, period.previous())
    itself = None
    if children and figure not in DISTINCT:
        pair = tuple(figures.own(f[node.id], [f[c.id] for c in children]).headline(figure)
                     for f in (now, before))
        itself = pair if any(pair) else None
    return Compared(now[node.id].headline(figure), before[node.id].headline(figure),
                    [(c, now[c.id].headline(figure), before[c.id].headline(figure))
                     for c in children], itself)


def _programmes(f: Figures) -> list[tuple[Programme, ProgrammeFigures]]:
    found = from_values(f.values)
    if not found:
        return []
    named = {p.id: p for p in db.session.scalars(
        select(Programme).where(Programme.id.in_(list(found))))}
    pairs = [(named[pid], pf) for pid, pf in found.items() if pid in named]
    return sorted(pairs, key=lambda pair: (-pair[1].person_times, -pair[1].activities,
                                           pair[0].name))


def dashboard(viewer: User | None, node_id: int, period: Period) -> Dashboard:
    node = get_node(viewer, node_id)
    children = _children(node)
    previous = period.previous()
    found = figures.read([node.id] + [c.id for c in children], period)
    before = figures.read([node.id], previous)[node.id]
    itself = figures.own(found[node.id], [found[c.id] for c in children])
    return Dashboard(
        node=node, period=period, now=found[node.id], before=before,
        children=[(c, found[c.id]) for c in children],
        own=itself if children and itself.values else None,
        trend=figures.trend(node.id, trend_months(period)),
        coverage=figures.coverage(node), refreshed_at=rollups.refreshed_at(),
        trail=_trail(viewer, node), programmes=_programmes(found[node.id]))


def today(now: datetime) -> date:
    return local(now).date()
