"""Reporting periods: a month, a quarter, a year, or a custom run of whole months, in
Beijing time. Written as people write them: "2026-09", "2026-Q3", "2026", and a custom run
as "2026-03..2026-08"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from server.core.clock import from_local

# ASCII digits only (server.core.numbers): machines write periods
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)
QUARTER = re.compile(r"(\d{4})-Q([1-4])", re.ASCII)
YEAR = re.compile(r"(\d{4})", re.ASCII)
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadPeriod(ValueError):
    """Not a period this understands (the views answer a typed error)."""


def _month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | custom
    start: date  # the first day
    end: date  # the day after the last

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start:%Y-%m}..{_add_months(self.end, -1):%Y-%m}"

    @property
    def stored(self) -> bool:
        """Months, quarters and years are kept ready; a custom run is added up."""
        return self.kind != "custom"

    def months(self) -> list[Period]:
        out, day = [], self.start
        while day < self.end:
            out.append(month_of(day))
            day = _add_months(day, 1)
        return out

    def previous(self) -> Period:
        """The period of the same length just before (for "compared with")."""
        length = len(self.months())
        start = _add_months(self.start, -length)
        return Period(self.kind, start, self.start)

    def utc_range(self) -> tuple[datetime, datetime]:
        return from_local(datetime.combine(self.start, time())), from_local(
            datetime.combine(self.end, time()))

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def month_of(day: date) -> Period:
    start = _month_start(day.year, day.month)
    return Period("month", start, _add_months(start, 1))


def quarter_of(day: date) -> Period:
    start = _month_start(day.year, (day.month - 1) // 3 * 3 + 1)
    return Period("quarter", start, _add_months(start, 3))


def year_of(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year + 1, 1, 1))


def stored_periods_of(day: date) -> list[Period]:
    """The month, quarter and year a day counts in."""
    return [month_of(day), quarter_of(day), year_of(day)]


def _year(text: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod(text)
    return year


def parse(text: str) -> Period:
    text = (text or "").strip()
    if ".." in text:
        first, _, last = text.partition("..")
        a, b = parse(first), parse(last)
        if a.kind != "month" or b.kind != "month" or b.start < a.start:
            raise BadPeriod(text)
        if len(Period("custom", a.start, b.end).months()) > 120:
            raise BadPeriod(text)
        return Period("custom", a.start, b.end)
    if found := MONTH.fullmatch(text):
        return month_of(date(_year(found[1]), int(found[2]), 1))
    if found := QUARTER.fullmatch(text):
        return quarter_of(date(_year(found[1]), int(found[2]) * 3 - 2, 1))
    if YEAR.fullmatch(text):
        return year_of(date(_year(text), 1, 1))
    raise BadPeriod(text)
