"""China's working days: weekends, the State Council's public holidays and the make-up
working days (调休) that move them.

The years come from chinese-calendar, which follows each year's notice of the General
Office of the State Council (国务院办公厅关于…部分节假日安排的通知). A year the library does
not know yet (the notice comes out in November or December) can be added as a data file,
`config/holidays/<year>.toml`, copied from the notice:

    # 国务院办公厅关于2027年部分节假日安排的通知
    holidays = [2027-01-01, …]    # days off, weekends inside a holiday included
    workdays = [2027-02-06, …]    # weekends that are working days (调休)

A date in a year that neither knows raises CalendarYearMissing: a deadline is never
guessed from weekends alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from server.core.errors import WusheError


class CalendarYearMissing(WusheError):
    status = 503
    code = "calendar_year_missing"
    message = _l("The public holidays of %(year)s are not known yet, so this deadline cannot "
                 "be worked out. An administrator adds them when the State Council "
                 "publishes them.")

    def __init__(self, year: int):
        super().__init__(year=year)
        self.year = year


@dataclass(frozen=True)
class Year:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)


class Calendar:
    """Working days for the years it knows (the library's, then the data files')."""

    def __init__(self, years: dict[int, Year]):
        self.years = years

    def known_years(self) -> list[int]:
        return sorted(self.years)

    def is_working_day(self, day: date) -> bool:
        year = self.years.get(day.year)
        if year is None:
            raise CalendarYearMissing(day.year)
        if day in year.workdays:
            return True
        return day.weekday() < 5 and day not in year.holidays

    def add(self, day: date, working_days: int) -> date:
        """The n-th working day after `day` (n ≥ 1)."""
        left = working_days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if end ≤ start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _library_years() -> dict[int, Year]:
    import chinese_calendar
    years: dict[int, Year] = {}
    span = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
    for y in span:
        years[y] = Year(
            holidays=frozenset(d for d in chinese_calendar.holidays if d.year == y),
            workdays=frozenset(d for d in chinese_calendar.workdays if d.year == y))
    return years


def read_year_file(path: Path) -> tuple[int, Year]:
    """One `<year>.toml`; every date must be in that year (a typo is an error, not a hole)."""
    year = int(path.stem)
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    unknown = set(data) - {"holidays", "workdays"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    days = {key: frozenset(data.get(key, [])) for key in ("holidays", "workdays")}
    for key, values in days.items():
        wrong = [d for d in values if not isinstance(d, date) or d.year != year]
        if wrong:
            raise ValueError(f"{path}: {key} holds dates outside {year}: {wrong}")
    return year, Year(**days)


def load(directory: Path | None) -> Calendar:
    years = _library_years()
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("[0-9][0-9][0-9][0-9].toml")):
            year, data = read_year_file(path)
            years[year] = data  # the file is the newer word on its year
    return Calendar(years)


@cache
def _cached(directory: str) -> Calendar:
    return load(Path(directory))


def calendar() -> Calendar:
    """The calendar of the running app (HOLIDAYS_DIR), read once per process."""
    from flask import current_app

    from server.settings import PROJECT_DIR
    directory = Path(current_app.config["HOLIDAYS_DIR"])
    if not directory.is_absolute():
        directory = Path(PROJECT_DIR) / directory
    return _cached(str(directory))
