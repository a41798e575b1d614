"""/api/v1/stats: the 五社联动 statistics a coordinator reads, the same figures, lists and
scope as the dashboard pages (reports.services)."""

from __future__ import annotations

from decimal import Decimal

from flask_login import current_user, login_required

from server.core import clock
from server.core.api import Blueprint, not_found
from server.reports import lists, services
from server.reports.figures import DISTINCT, HEADLINES, Figures, Own
from server.reports.labels import period_label
from server.reports.schemas import BehindArgs, BehindOut, DashboardOut, PeriodArgs, PlaceOut

stats = Blueprint("stats", __name__, url_prefix="/api/v1/stats",
                  description="五社联动 statistics of the places one coordinates: figures "
                              "for a period, compared and broken down, and the records "
                              "behind each figure.")
blueprints = [stats]


def _me():
    return current_user._get_current_object()


def _place(node) -> dict:
    return {"id": node.id, "name": node.name, "kind": node.kind}


def _period(period) -> dict:
    return {"key": period.key, "kind": period.kind, "start": period.start, "end": period.end,
            "label": period_label(period)}


def _headlines(f: Figures) -> dict:
    return {name: f.headline(name) for name in HEADLINES
            if not (isinstance(f, Own) and name in DISTINCT)}


def _plain(value, figure: str):
    """Money in yuan with two decimals, hours with one, as strings; counts as numbers."""
    if not isinstance(value, Decimal):
        return value
    return f"{value:.1f}" if figure == "hours" else f"{value:.2f}"


@stats.route("/places", methods=["GET"])
@login_required
@stats.response(200, PlaceOut(many=True))
def places():
    """The top places whose statistics one reads (none for a volunteer)."""
    return [_place(n) for n in services.readable(_me())]


@stats.route("/<int:node_id>", methods=["GET"])
@not_found("stats_place_not_found")
@login_required
@stats.arguments(PeriodArgs, location="query")
@stats.response(200, DashboardOut)
def dashboard(args, node_id: int):
    """A place's figures for a period (its whole subtree), the period before, the places
    below, the months of the trend, and the coverage of stations."""
    period = services.period_of(args["period"], now=clock.now())
    d = services.dashboard(_me(), node_id, period)
    return {"place": _place(d.node), "period": _period(d.period),
            "previous": _period(d.period.previous()), "figures": _headlines(d.now),
            "previous_figures": _headlines(d.before), "by_kind": d.now.by_kind,
            "forces": d.now.forces,
            "coverage": {"places": d.coverage.places, "with_station": d.coverage.with_station,
                         "share": d.coverage.share},
            "children": [{"place": _place(c), "figures": _headlines(f)} for c, f in d.children],
            "own": {"figures": _headlines(d.own)} if d.own else None,
            "trend": [{"period": _period(p), "figures": _headlines(f)} for p, f in d.trend],
            "programmes": [{"id": p.id, "name": p.name, "activities": f.activities,
                            "participants": f.participants, "person_times": f.person_times,
                            "hours": f.hours} for p, f in d.programmes],
            "refreshed_at": d.refreshed_at}


@stats.route("/<int:node_id>/figures/<figure>", methods=["GET"])
@not_found("stats_place_not_found", "unknown_figure")
@login_required
@stats.arguments(BehindArgs, location="query")
@stats.response(200, BehindOut)
def behind(args, node_id: int, figure: str):
    """The records behind one figure, 50 a page, with the figure compared with the period
    before and across the places below."""
    period = services.period_of(args["period"], now=clock.now())
    node = services.get_node(_me(), node_id)
    listed = lists.behind(figure, node, period, page=args["page"], kind=args["kind"])
    compared = services.compare(node, period, figure)
    return {"figure": figure, "list": listed.kind, "value": _plain(compared.now, figure),
            "previous": _plain(compared.before, figure),
            "children": [{"place": _place(c), "value": _plain(now, figure),
                          "previous": _plain(before, figure)}
                         for c, now, before in compared.children],
            "own": ({"value": _plain(compared.own[0], figure),
                     "previous": _plain(compared.own[1], figure)} if compared.own else None),
            listed.kind: listed.items(),
            "next_page": args["page"] + 1 if listed.more else None}
