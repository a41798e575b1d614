"""China's working days: the State Council's holidays and 调休, from the maintained data."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from server.core import workdays
from server.core.clock import from_local
from server.hours import deadlines


@pytest.fixture(scope="module")
def real():
    """The library's data alone, no data files: what a fresh install knows."""
    return workdays.load(None)


def test_spring_festival_2026_and_its_make_up_saturdays(real):
    # 国办发明电〔2025〕7号: 2月15日至23日放假调休，共9天; 2月14日(周六)、2月28日(周六)上班
    for day in range(15, 24):
        assert not real.is_working_day(date(2026, 2, day)), day
    assert real.is_working_day(date(2026, 2, 14))  # a Saturday, worked
    assert real.is_working_day(date(2026, 2, 28))  # a Saturday, worked
    assert not real.is_working_day(date(2026, 2, 21))  # a Saturday inside the holiday
    assert real.is_working_day(date(2026, 2, 24))


def test_national_day_2026(real):
    # 10月1日至7日放假调休; 9月20日(周日)、10月10日(周六)上班
    assert all(not real.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert real.is_working_day(date(2026, 9, 20))
    assert real.is_working_day(date(2026, 10, 10))
    assert real.is_working_day(date(2026, 10, 8))


def test_ten_working_days_across_the_spring_festival(real):
    # ends Tue 10 Feb 2026: 11,12,13 (Wed–Fri), Sat 14 (调休), holiday 15–23,
    # then 24,25,26,27 (Tue–Fri), Sat 28 (调休), Mon 2 Mar → the 10th working day
    assert real.add(date(2026, 2, 10), 10) == date(2026, 3, 2)
    # weekends alone would have said 24 Feb: two weeks too early
    assert real.between(date(2026, 2, 10), date(2026, 3, 2)) == 10


def test_ten_working_days_across_national_day(real):
    # ends Fri 25 Sep 2026: 28,29,30 Sep, holiday 1–7 Oct, 8,9, Sat 10 (调休), 12,13,14,15
    assert real.add(date(2026, 9, 25), 10) == date(2026, 10, 15)


def test_an_unknown_year_is_a_clear_error_not_a_guess(real):
    last = real.known_years()[-1]
    with pytest.raises(workdays.CalendarYearMissing) as excinfo:
        real.add(date(last, 12, 28), 10)
    assert excinfo.value.code == "calendar_year_missing"
    assert excinfo.value.year == last + 1
    assert str(last + 1) in excinfo.value.text()


def test_a_data_file_adds_a_year(tmp_path):
    year = workdays.load(None).known_years()[-1] + 1
    (tmp_path / f"{year}.toml").write_text(
        f"# a notice\nholidays = [{year}-01-01, {year}-01-04]\nworkdays = [{year}-01-09]\n")
    cal = workdays.load(tmp_path)
    assert year in cal.known_years()
    assert not cal.is_working_day(date(year, 1, 1))
    assert not cal.is_working_day(date(year, 1, 4))
    assert cal.is_working_day(date(year, 1, 9))


def _english(app, exc) -> str:
    from flask_babel import force_locale
    with app.test_request_context(), force_locale("en"):
        return exc.text()


def test_a_broken_file_leaves_the_other_years_and_says_why(app, tmp_path):
    year = workdays.load(None).known_years()[-1] + 1
    for text, reason in ((f"holidays = [{year + 1}-03-01]\n",
                          f"{year}.toml, line 1: {year + 1}-03-01 in holidays is not in {year}"),
                         (f"holiday = [{year}-01-01]\n",
                          f"{year}.toml, line 1: “holiday” is not known"),
                         (f"holidays = [{year}-01-06T00:00:00]\n",
                          f"line 1: holidays holds a time, not a date; write {year}-01-06"),
                         (f"holidays = [{year}-01-06]\nworkdays = [{year}-01-06]\n",
                          f"line 1: {year}-01-06 is both a holiday and a working day"),
                         (f"holidays = [{year}-01-01\n", f"{year}.toml, line 1 is not written"),
                         (f"holidays = [\n  {year}-01-01,\n  {year}-13-01,\n]\n",
                          f"{year}.toml, line 3 is not written")):
        (tmp_path / f"{year}.toml").write_text(text)
        cal = workdays.load(tmp_path)
        with pytest.raises(workdays.CalendarFileBroken) as excinfo:
            cal.is_working_day(date(year, 1, 2))
        assert excinfo.value.code == "calendar_file_broken" and excinfo.value.year == year
        assert reason in _english(app, excinfo.value)
        # the year before still counts, from the library
        assert cal.is_working_day(date(year - 1, 10, 1)) is False  # 国庆
        assert year not in cal.known_years()


def test_a_broken_file_says_why_in_the_reader_s_language(app, tmp_path):
    """The reason is ours and translated, naming the line to correct: not the TOML
    parser's English ("Unclosed array (at line 3, column 3)") inside a Chinese sentence."""
    from flask_babel import force_locale
    year = workdays.load(None).known_years()[-1] + 1
    (tmp_path / f"{year}.toml").write_text(
        f"# 国务院办公厅通知\nholidays = [\n  {year}-01-01,\n  {year}-13-01,\n]\n")
    cal = workdays.load(tmp_path)
    with pytest.raises(workdays.CalendarFileBroken) as excinfo:
        cal.is_working_day(date(year, 1, 2))
    with app.test_request_context(), force_locale("zh_CN"):
        zh = excinfo.value.text()
    en = _english(app, excinfo.value)
    assert f"{year}.toml 第 4 行" in zh and "2027-01-01".replace("2027", str(year)) in zh
    assert not re.search("[A-Za-z]{3,}", zh.replace(".toml", "")), zh
    assert f"{year}.toml, line 4 is not written as the file expects" in en
    (tmp_path / f"{year}.toml").write_text(f"holidays = [{year}-01-01, {year + 1}-02-01]\n")
    with pytest.raises(workdays.CalendarFileBroken) as excinfo:
        workdays.load(tmp_path).is_working_day(date(year, 1, 2))
    with app.test_request_context(), force_locale("zh_CN"):
        zh = excinfo.value.text()
    assert f"{year}.toml 第 1 行" in zh and f"{year + 1}-02-01" in zh and "outside" not in zh
    assert not re.search("[A-Za-z]{3,}", zh.replace(".toml", "").replace("holidays", "")), zh


def test_a_notice_s_holiday_may_begin_in_the_year_before(tmp_path):
    """"元旦：2022年12月31日至2023年1月2日": the file of the new year names the last day
    of the old one, which counts in its own year."""
    year = workdays.load(None).known_years()[-1] + 1
    (tmp_path / f"{year - 1}.toml").write_text(f"holidays = [{year - 1}-10-01]\n")
    (tmp_path / f"{year}.toml").write_text(
        f"holidays = [{year - 1}-12-31, {year}-01-01, {year}-01-02]\n"
        f"workdays = [{year}-01-04]\n")
    cal = workdays.load(tmp_path)
    assert not cal.broken
    assert not cal.is_working_day(date(year, 1, 1))
    assert not cal.is_working_day(date(year - 1, 12, 31))  # filed under its own year
    assert not cal.is_working_day(date(year - 1, 10, 1))
    # a year's own file is the word on its days: a neighbour's is not taken over it
    (tmp_path / f"{year - 1}.toml").write_text(f"workdays = [{year - 1}-12-31]\n")
    assert workdays.load(tmp_path).is_working_day(date(year - 1, 12, 31))


def _ending(day: date, hour: int = 17) -> SimpleNamespace:
    return SimpleNamespace(ends_at=from_local(datetime(day.year, day.month, day.day, hour)))


def test_the_record_deadline_counts_china_s_working_days(app):
    activity = _ending(date(2026, 9, 25))
    assert deadlines.due_date(activity) == date(2026, 10, 15)
    # two working days before: warned ("soon"); the day after the due date: overdue
    assert deadlines.deadline(activity, today=date(2026, 10, 13)).state == "soon"
    assert deadlines.deadline(activity, today=date(2026, 10, 12)).state == ""
    # over the holiday the days do not run: on 9 Oct, 15 Oct is still 4 working days off
    assert deadlines.deadline(activity, today=date(2026, 10, 9)).state == ""
    assert deadlines.deadline(activity, today=date(2026, 10, 15)).state == "soon"
    assert deadlines.deadline(activity, today=date(2026, 10, 16)).state == "overdue"


def test_a_deadline_in_an_unknown_year_is_shown_as_unknown(app, monkeypatch, real):
    monkeypatch.setattr(workdays, "calendar", lambda: real)
    last = real.known_years()[-1]
    found = deadlines.deadline(_ending(date(last, 12, 28)), today=date(last, 12, 29))
    assert found.state == "unknown" and found.due is None and found.missing_year == last + 1
    # an activity well inside a known year is unaffected
    assert deadlines.deadline(_ending(date(last, 6, 1)), today=date(last, 6, 2)).due is not None
    assert date(last, 6, 1) + timedelta(days=12) <= deadlines.due_date(_ending(date(last, 6, 1)))
