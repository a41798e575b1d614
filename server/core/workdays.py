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

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from server.core.errors import WusheError
from server.core.messages import FieldMessage, filled


class CalendarYearMissing(WusheError):
    status = 503
    code = "calendar_year_missing"
    message = _l("The public holidays of %(year)s are not known yet, so this deadline cannot "
                 "be worked out. An administrator adds them when the State Council "
                 "publishes them.")

    def __init__(self, year: int):
        super().__init__(year=year)
        self.year = year


class CalendarFileBroken(CalendarYearMissing):
    """A year's data file that cannot be read: that year is not known (as if missing), and
    the reason says what to fix; the other years still count."""

    code = "calendar_file_broken"
    message = _l("The public holidays file of %(year)s cannot be read (%(reason)s), so this "
                 "deadline cannot be worked out until an administrator corrects it.")

    def __init__(self, year: int, reason: FieldMessage | str = ""):
        WusheError.__init__(self, year=year, reason=reason)
        self.year = year


@dataclass(frozen=True)
class Year:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)


class Calendar:
    """Working days for the years it knows (the library's, then the data files')."""

    def __init__(self, years: dict[int, Year], broken: dict[int, str] | None = None):
        self.years = years
        # year -> why its file could not be read (translated when shown)
        self.broken = broken or {}

    def known_years(self) -> list[int]:
        return sorted(self.years)

    def is_working_day(self, day: date) -> bool:
        if day.year in self.broken:
            raise CalendarFileBroken(day.year, self.broken[day.year])
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


def _neighbouring(day: object, year: int) -> bool:
    """A day of the last December or the next January: a notice's holiday may begin in
    the year before ("2022年12月31日至2023年1月2日") or end in the next."""
    return isinstance(day, date) and (
        (day.year == year - 1 and day.month == 12) or (day.year == year + 1 and day.month == 1))


class YearFileError(ValueError):
    """Why a year's file cannot be read, in the reader's language (a lazy text): the file,
    the line and the date to correct, never the TOML parser's English."""

    def __init__(self, reason: FieldMessage):
        super().__init__(str(reason))
        self.reason = reason


def _where(name: str, lines: list[str], needle: str | None = None,
           line: int | None = None) -> FieldMessage | str:
    """"2027.toml, line 3" where the needle (a date, a key) first appears; else the file."""
    if line is None and needle is not None:
        line = next((n for n, text in enumerate(lines, start=1) if needle in text), None)
    return filled(_l("%(file)s, line %(line)s"), file=name, line=line) if line else name


_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")


def _parse(path: Path) -> tuple[dict, list[str]]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise YearFileError(filled(_l("%(file)s cannot be opened as a text file"),
                                   file=path.name)) from None
    lines = raw.splitlines()
    try:
        return tomllib.loads(raw), lines
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 says where only in its English message: "(at line 3, column 17)",
        # or "(at end of document)" for a bracket never closed
        at = _TOML_AT.search(str(exc))
        line = int(at[1]) if at else max(len(lines), 1)
        raise YearFileError(filled(_l(
            "%(where)s is not written as the file expects: dates such as 2027-01-01, apart "
            "by commas, inside [ ]"), where=_where(path.name, lines, line=line))) from None


def read_year_file(path: Path) -> tuple[int, Year, Year]:
    """One `<year>.toml`: (year, its days, the neighbouring years' days it names). Every
    other date must be in that year (a typo is an error, not a hole). A file that cannot
    be used raises YearFileError, saying where."""
    year = int(path.stem)
    data, lines = _parse(path)
    unknown = sorted(set(data) - {"holidays", "workdays"})
    if unknown:
        raise YearFileError(filled(_l(
            "%(where)s: “%(key)s” is not known; the file holds only holidays and workdays"),
            where=_where(path.name, lines, unknown[0]), key=unknown[0]))
    days = {key: data.get(key, []) for key in ("holidays", "workdays")}
    for key, values in days.items():
        if not isinstance(values, list):
            raise YearFileError(filled(_l("%(where)s: %(key)s is not a list of dates"),
                                       where=_where(path.name, lines, key), key=key))
        times = [d for d in values if isinstance(d, datetime)]
        if times:  # 2031-01-06T00:00:00 would never equal a day: a hole, not a holiday
            day = times[0].date().isoformat()
            raise YearFileError(filled(_l(
                "%(where)s: %(key)s holds a time, not a date; write %(day)s"),
                where=_where(path.name, lines, day), key=key, day=day))
        wrong = [d for d in values if not (isinstance(d, date) and d.year == year)
                 and not _neighbouring(d, year)]
        if wrong:
            shown = str(wrong[0])
            raise YearFileError(filled(_l("%(where)s: %(day)s in %(key)s is not in %(year)s"),
                                       where=_where(path.name, lines, shown), day=shown,
                                       key=key, year=year))
    both = set(days["holidays"]) & set(days["workdays"])
    if both:
        day = min(both).isoformat()
        raise YearFileError(filled(_l(
            "%(where)s: %(day)s is both a holiday and a working day"),
            where=_where(path.name, lines, day), day=day))
    own = {k: frozenset(d for d in v if d.year == year) for k, v in days.items()}
    beside = {k: frozenset(d for d in v if d.year != year) for k, v in days.items()}
    return year, Year(**own), Year(**beside)


def load(directory: Path | None) -> Calendar:
    years = _library_years()
    broken: dict[int, FieldMessage] = {}
    beside: list[Year] = []
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("[0-9][0-9][0-9][0-9].toml")):
            try:
                year, data, around = read_year_file(path)
            except YearFileError as exc:
                broken[int(path.stem)] = exc.reason
                continue
            years[year] = data  # the file is the newer word on its year
            beside.append(around)
    for around in beside:  # a neighbouring year's days count where that year is known,
        for day in around.holidays | around.workdays:  # unless that year names them itself
            known = years.get(day.year)
            if known is not None and day not in known.holidays | known.workdays:
                years[day.year] = Year(
                    holidays=known.holidays | ({day} & around.holidays),
                    workdays=known.workdays | ({day} & around.workdays))
    return Calendar(years, broken)


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
