"""When hours must be recorded: ten working days after the activity (China's calendar,
public holidays and 调休 counted), and how that stands on a given day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, func

from server.activities.models import Activity
from server.core import workdays
from server.core.clock import SHANGHAI, local
from server.extensions import db

DUE_WORKING_DAYS = 10  # 《志愿服务记录与证明出具办法》 Art 11
# organisers are warned this many working days before the due date
WARN_WORKING_DAYS = 2


def due_date(activity: Activity) -> date:
    """Ten working days after the activity: China's, public holidays and 调休 counted
    (raises workdays.CalendarYearMissing when the year's holidays are not known yet)."""
    return due_on(local(activity.ends_at).date())


def due_on(ended: date) -> date:
    """The due date of an activity that ended (local time) on `ended`."""
    return workdays.calendar().add(ended, DUE_WORKING_DAYS)


def ended_on(column):
    """SQL: the local (Beijing) day of a UTC time column. China keeps no summer time, so
    SQLite's fixed eight hours is Asia/Shanghai's offset all year."""
    if db.engine.dialect.name == "postgresql":
        return func.date(func.timezone(SHANGHAI.key, column), type_=Date)
    return func.date(column, "+8 hours", type_=Date)  # SQLite's text, read as a date


@dataclass(frozen=True)
class Deadline:
    """When an activity's hours must be recorded, and how that stands today.

    state: "overdue" (past the due date), "soon" (at most WARN_WORKING_DAYS working days
    left: organisers are warned), "" (in time), or "unknown" while the due date's year has
    no published holidays (`missing_year` says which)."""

    due: date | None
    state: str
    missing_year: int | None = None


def deadline(activity: Activity, *, today: date) -> Deadline:
    return deadline_of(local(activity.ends_at).date(), today=today)


def deadline_of(ended: date, *, today: date) -> Deadline:
    """The deadline of an activity that ended (local time) on `ended`."""
    try:
        due = due_on(ended)
        if due < today:
            return Deadline(due, "overdue")
        left = workdays.calendar().between(today, due)
    except workdays.CalendarYearMissing as exc:
        return Deadline(None, "unknown", exc.year)
    return Deadline(due, "soon" if left <= WARN_WORKING_DAYS else "")
