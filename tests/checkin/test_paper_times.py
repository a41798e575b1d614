"""Times written on a paper sheet (HH:MM): on the day of the activity they belong to.

Fixed dates, not the real clock: the page once put every time on the activity's first
day, so an activity that ran past midnight could not be entered, and a test of it passed
or failed by the hour it ran at."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from server.checkin import paper
from server.checkin.models import Scan
from server.core.clock import from_local, local
from server.extensions import db
from tests.pages import EN, login, text


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return from_local(datetime(day.year, day.month, day.day, hour, minute))


NIGHT = date(2026, 11, 14)  # a Saturday


def _span(start: datetime, end: datetime) -> SimpleNamespace:
    return SimpleNamespace(starts_at=start, ends_at=end)


@pytest.mark.parametrize(("hours", "minutes", "day"), [
    (22, 10, NIGHT),  # in the evening it began
    (0, 30, NIGHT + timedelta(days=1)),  # after midnight: the night it ran into
    (1, 0, NIGHT + timedelta(days=1)),  # its end
    (21, 0, NIGHT),  # an hour early: nearer the start than the next evening
    (3, 0, NIGHT + timedelta(days=1)),  # two hours late: nearer the end
])
def test_a_night_activity_reads_each_time_on_its_own_side_of_midnight(hours, minutes, day):
    activity = _span(_at(NIGHT, 22), _at(NIGHT + timedelta(days=1), 1))
    assert paper.sheet_time(activity, hours, minutes) == _at(day, hours, minutes)


@pytest.mark.parametrize("hours", [8, 10, 18, 23])
def test_a_day_activity_reads_every_time_on_its_day(hours):
    afternoon = _span(_at(NIGHT, 9), _at(NIGHT, 17))
    assert paper.sheet_time(afternoon, hours, 0) == _at(NIGHT, hours)


@pytest.mark.parametrize(("hours", "day_offset"), [(10, 0), (23, 0), (8, 1), (18, 0)])
def test_a_camp_of_three_days_takes_the_first_day_a_time_falls_within(hours, day_offset):
    # 09:00 on the first day to 17:00 on the third: 08:00 is first within it on the second
    camp = _span(_at(NIGHT, 9), _at(NIGHT + timedelta(days=2), 17))
    assert paper.sheet_time(camp, hours, 0) == _at(NIGHT + timedelta(days=day_offset), hours)


def test_hours_or_minutes_out_of_range_are_refused():
    activity = _span(_at(NIGHT, 9), _at(NIGHT, 17))
    for hours, minutes in ((24, 0), (9, 60), (-1, 0)):
        with pytest.raises(ValueError):
            paper.sheet_time(activity, hours, minutes)


@pytest.fixture
def night_sheet(make_activity, make_user, grant, give_place, now):
    """An activity three nights ago, 22:00 to 01:00 Beijing time, two people on it."""
    evening = _at(local(now).date() - timedelta(days=3), 22)
    activity = make_activity(starts_in=evening - now, hours=3, title="跨年夜巡")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = [make_user(name=f"夜巡队员{i}") for i in range(2)]
    places = [give_place(activity, p) for p in people]
    db.session.flush()
    return activity, organiser, places


def test_the_page_enters_a_night_activity_past_midnight(client, night_sheet):
    activity, organiser, places = night_sheet
    token = login(client, organiser)
    s0, s1 = (p.id for p in places)
    resp = client.post(f"/manage/{activity.id}/paper-sheet", headers=EN, data={
        "csrf_token": token, "nonce": "night-sheet-0001", "entry": [str(s0), str(s1)],
        "exit": [str(s0), str(s1)], f"entry_time-{s0}": "22:15", f"exit_time-{s0}": "00:40"})
    assert resp.status_code == 302, text(resp)
    times = {(s.signup_id, s.direction): s.effective_time for s in db.session.scalars(
        select(Scan).where(Scan.activity_id == activity.id, Scan.result == "ok"))}
    night = local(activity.starts_at).date()
    assert times[(s0, "entry")] == _at(night, 22, 15)
    assert times[(s0, "exit")] == _at(night + timedelta(days=1), 0, 40)
    assert times[(s1, "exit")] == activity.ends_at  # no time written: the activity's end


def test_the_page_refuses_an_exit_written_before_the_entry_at_any_hour(client, night_sheet):
    activity, organiser, places = night_sheet
    token = login(client, organiser)
    s0 = places[0].id
    resp = client.post(f"/manage/{activity.id}/paper-sheet", headers=EN, data={
        "csrf_token": token, "nonce": "night-sheet-0002", "entry": [str(s0)],
        f"entry_time-{s0}": "00:50", f"exit_time-{s0}": "22:30"})
    assert resp.status_code == 422
    assert "The check-out time is before the check-in time." in text(resp)
    assert db.session.scalars(select(Scan).where(Scan.activity_id == activity.id)).all() == []


@pytest.mark.parametrize("written", [
    "99999999999999999999:00",  # too large for the platform's integers: was a 500
    "25:00", "09:75", "-1:30", "9.30", "noon", "9:3",
])
def test_the_page_marks_the_row_whose_time_is_not_a_time_of_day(client, night_sheet, written):
    activity, organiser, places = night_sheet
    token = login(client, organiser)
    s0, s1 = (p.id for p in places)
    resp = client.post(f"/manage/{activity.id}/paper-sheet", headers=EN, data={
        "csrf_token": token, "nonce": "night-sheet-0003", "entry": [str(s0), str(s1)],
        f"entry_time-{s0}": "22:15", f"entry_time-{s1}": written})
    assert resp.status_code == 422
    page = text(resp)
    assert "Some times on the sheet are not times of day: see the rows marked." in page
    assert page.count("Write the time as hours:minutes, e.g. 09:30.") == 1
    # beside the row written wrong, and what was typed is still there to put right
    row = resp.get_data(as_text=True).split(f'data-signup-id="{s1}"')[1].split("</tr>")[0]
    assert "Write the time as hours:minutes" in row
    assert 'value="22:15"' in resp.get_data(as_text=True)
    assert db.session.scalars(select(Scan).where(Scan.activity_id == activity.id)).all() == []


@pytest.mark.parametrize("written", ["22：30", "22:15:00", "２２:１５"])
def test_the_page_reads_a_time_typed_with_a_chinese_colon_seconds_or_wide_digits(
        client, night_sheet, written):
    activity, organiser, places = night_sheet
    token = login(client, organiser)
    s0 = places[0].id
    resp = client.post(f"/manage/{activity.id}/paper-sheet", headers=EN, data={
        "csrf_token": token, "nonce": "night-sheet-0004", "entry": [str(s0)],
        f"entry_time-{s0}": written})
    assert resp.status_code == 302, text(resp)
    scan = db.session.scalars(select(Scan).where(Scan.activity_id == activity.id)).one()
    minutes = 30 if "：" in written else 15
    assert scan.result == "ok"
    assert scan.effective_time == _at(local(activity.starts_at).date(), 22, minutes)
