"""Programmes' figures (全职妈妈成长计划 and the like): activities held, person-times,
distinct participants and approved hours, per place and period for the dashboard (kept
ready with the other rollups, keyed by programme) and over a programme's whole life for
its own page. The same counting as every other figure (counting.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased

from server.activities.models import Activity
from server.communities.models import Node
from server.core import timefmt
from server.extensions import db
from server.reports.counting import approved_minutes, took_part
from server.reports.periods import Period

METRICS = ("p_activities", "p_person_times", "p_volunteers", "p_minutes")


def _in_place(period: Period, only: list[int] | None):
    leaf, anc = aliased(Node), aliased(Node)
    start, end = period.utc_range()
    where = [Activity.starts_at >= start, Activity.starts_at < end,
             Activity.programme_id.is_not(None)]
    scope = [] if only is None else [anc.id.in_(only)]
    return leaf, anc, where, scope


def rows(period: Period, only: list[int] | None = None) -> list[tuple[int, str, str, int]]:
    """(place, metric, programme id, value) for every place with programme activities."""
    leaf, anc, where, scope = _in_place(period, only)
    out: list[tuple[int, str, str, int]] = []
    for node, programme, n in db.session.execute(
            select(anc.id, Activity.programme_id, func.count()).select_from(Activity)
            .join(leaf, leaf.id == Activity.node_id)
            .join(anc, leaf.path.startswith(anc.path))
            .where(Activity.status == "finished", *where, *scope)
            .group_by(anc.id, Activity.programme_id)):
        out.append((node, "p_activities", str(programme), n))
    minutes = approved_minutes(*where)
    for node, programme, total in db.session.execute(
            select(anc.id, Activity.programme_id, func.sum(minutes.c.minutes))
            .select_from(minutes).join(Activity, Activity.id == minutes.c.activity_id)
            .join(leaf, leaf.id == Activity.node_id)
            .join(anc, leaf.path.startswith(anc.path)).where(*scope)
            .group_by(anc.id, Activity.programme_id)):
        out.append((node, "p_minutes", str(programme), int(total or 0)))
    pairs = took_part(minutes)
    for node, programme, times, people in db.session.execute(
            select(anc.id, Activity.programme_id, func.count(),
                   func.count(distinct(pairs.c.user_id)))
            .select_from(pairs).join(Activity, Activity.id == pairs.c.activity_id)
            .join(leaf, leaf.id == Activity.node_id)
            .join(anc, leaf.path.startswith(anc.path)).where(*scope)
            .group_by(anc.id, Activity.programme_id)):
        out += [(node, "p_person_times", str(programme), times),
                (node, "p_volunteers", str(programme), people)]
    return out


@dataclass
class ProgrammeFigures:
    activities: int = 0
    person_times: int = 0
    participants: int = 0
    minutes: int = 0

    @property
    def hours(self) -> Decimal:
        return timefmt.hours(self.minutes)


def from_values(values: dict[tuple[str, str], int]) -> dict[int, ProgrammeFigures]:
    """A place's stored programme rows, by programme id."""
    found: dict[int, ProgrammeFigures] = {}
    names = {"p_activities": "activities", "p_person_times": "person_times",
             "p_volunteers": "participants", "p_minutes": "minutes"}
    for (metric, key), value in values.items():
        if metric in names:
            setattr(found.setdefault(int(key), ProgrammeFigures()), names[metric], value)
    return found


def totals(programme_ids: list[int]) -> dict[int, ProgrammeFigures]:
    """Each programme over its whole life, read from the records (a programme's own
    activities, found by their indexed programme_id)."""
    found = {pid: ProgrammeFigures() for pid in programme_ids}
    if not programme_ids:
        return found
    mine = Activity.programme_id.in_(programme_ids)
    for pid, n in db.session.execute(
            select(Activity.programme_id, func.count())
            .where(mine, Activity.status == "finished").group_by(Activity.programme_id)):
        found[pid].activities = n
    minutes = approved_minutes(mine)
    for pid, total in db.session.execute(
            select(Activity.programme_id, func.sum(minutes.c.minutes)).select_from(minutes)
            .join(Activity, Activity.id == minutes.c.activity_id)
            .group_by(Activity.programme_id)):
        found[pid].minutes = int(total or 0)
    pairs = took_part(minutes)
    for pid, times, people in db.session.execute(
            select(Activity.programme_id, func.count(), func.count(distinct(pairs.c.user_id)))
            .select_from(pairs).join(Activity, Activity.id == pairs.c.activity_id)
            .group_by(Activity.programme_id)):
        found[pid].person_times, found[pid].participants = times, people
    return found
