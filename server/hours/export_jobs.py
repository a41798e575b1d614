"""The hours export as a kind of export (server.exports): a node's approved hours for a
period, written now when small, by the scheduler with progress when large."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import IO

from server.communities import services as communities
from server.exports.kinds import Kind, Prepared, register
from server.hours import export

KIND = "hours"


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _prepare(actor, params: dict, now: datetime) -> Prepared:
    node = communities.get_node(int(params["node_id"]))
    start, end = _day(params["start"]), _day(params["end"])
    rows = export.count_rows(actor, node, start, end)
    return Prepared(params={"node_id": node.id, "start": start.isoformat(),
                            "end": end.isoformat()},
                    title=export.export_filename(node, start, end), rows=rows)


def _write(fh: IO[bytes], actor, params: dict, now: datetime,
           progress: Callable[[int], None]) -> int:
    node = communities.get_node(int(params["node_id"]))
    result = export.write_export(fh, actor, node, _day(params["start"]), _day(params["end"]),
                                 now, progress)
    return result.rows


def _may_fetch(actor, params: dict) -> None:
    export.check_access(actor, communities.get_node(int(params["node_id"])))


HOURS = register(Kind(KIND, _prepare, _write, export.XLSX_MIME, may_fetch=_may_fetch))
