"""The only place that reads the wall clock. Times are aware UTC datetimes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def running_from(start: datetime) -> Callable[[], datetime]:
    """For a long run handed one `start` (a job's `now`): each call is `start` moved on by
    the time the run has taken, so what it stamps bears its own moment, not the start."""
    began = now()
    return lambda: start + (now() - began)


def today() -> date:
    """Today in Beijing: the day a person means."""
    return local(now()).date()


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes (what SQLite hands back) as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """Shown to people in Asia/Shanghai."""
    return as_utc(value).astimezone(SHANGHAI)


def from_local(value: datetime) -> datetime:
    """A naive datetime typed by a person in Beijing time, as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)
