"""The list behind a dashboard figure as a kind of export (server.exports): written now
when small, by the scheduler with progress when large (a year's volunteers of a district:
100,000 rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import IO

from server.exports.kinds import Kind, Prepared, register
from server.reports import export, lists, services

KIND = "stats_list"


def _settle(actor, params: dict, now: datetime):
    """The place (within the actor's oversight), the period and the figure, checked."""
    node = services.get_node(actor, int(params["node_id"]))
    period = services.period_of(str(params.get("period") or ""), now=now)
    figure = str(params.get("figure") or "")
    lists.query_of(figure, node, period)  # refuses an unknown figure
    return node, period, figure


def _prepare(actor, params: dict, now: datetime) -> Prepared:
    node, period, figure = _settle(actor, params, now)
    return Prepared(params={"node_id": node.id, "period": period.key, "figure": figure},
                    title=export.list_filename(node, period, figure),
                    rows=export.count_list(node, period, figure))


def _write(fh: IO[bytes], actor, params: dict, now: datetime,
           progress: Callable[[int], None]) -> int:
    node, period, figure = _settle(actor, params, now)
    return export.write_list(fh, node, period, figure, progress)


def _may_fetch(actor, params: dict) -> None:
    services.get_node(actor, int(params["node_id"]))  # still within their oversight


STATS_LIST = register(Kind(KIND, _prepare, _write, may_fetch=_may_fetch))
