"""What waits for a reviewer (the scheduler's daily summary), counted by the day activities
ended: the same figures as each activity's own deadline gives."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from server.core import clock, workdays
from server.core.clock import from_local
from server.hours import deadlines, ledger, review

TODAY = date(2026, 10, 16)  # a Friday, after National Day


def _ended_at(day: date, hour: int, minute: int = 0) -> datetime:
    return from_local(datetime(day.year, day.month, day.day, hour, minute))


def test_the_summary_counts_each_activity_by_its_own_deadline(make_activity, make_user, grant,
                                                              give_place, monkeypatch):
    monkeypatch.setattr(workdays, "calendar", lambda: workdays.load(None))  # 2027 unknown
    ends = [  # on 16 October: ended by 27 September overdue, by 7 October due soon
        _ended_at(date(2026, 9, 25), 17),       # due 15 October: overdue
        _ended_at(date(2026, 9, 27), 23, 30),   # overdue (the same day in UTC)
        _ended_at(date(2026, 9, 28), 0, 30),    # soon: in UTC it is still 27 September
        _ended_at(date(2026, 10, 8), 0, 30),    # in time: in UTC still 7 October (soon)
        _ended_at(date(2026, 10, 9), 17),       # due in ten working days: in time
        _ended_at(date(2026, 12, 28), 17),      # due in 2027: not known yet
    ]
    ends.append(ends[4])  # two activities on one day, one counted per activity
    coordinator = make_user(name="审核人")
    activities = []
    for n, end in enumerate(ends):
        activity = make_activity(starts_in=end - timedelta(hours=2) - clock.now(),
                                 hours=2, title=f"活动{n}")
        grant(coordinator, "coordinator", activity.node)
        for k in range(n % 3 + 1):  # a few entries each
            person = make_user(name=f"志愿者{n}{k}")
            give_place(activity, person)
            ledger.file_retroactive(actor=person, activity=activity, user=person,
                                    minutes=60, evidence="组织者可以证明", now=end)
        activities.append(activity)
    states = [deadlines.deadline(a, today=TODAY).state for a in activities]
    assert states == ["overdue", "overdue", "soon", "", "", "unknown", ""], states
    found = review.waiting(coordinator, today=TODAY)
    assert found.activities == len(activities)
    assert found.pending == sum(n % 3 + 1 for n in range(len(ends)))
    assert found.overdue == states.count("overdue")
    assert found.soon == states.count("soon")


def test_a_broken_holidays_file_leaves_the_queue_working(api, make_activity, make_user, grant,
                                                        give_place, monkeypatch, tmp_path):
    """A file of this year that cannot be read (a date a notice took from the year before,
    a typo) makes this year's deadlines unknown, with the reason; the queue still opens."""
    (tmp_path / "2026.toml").write_text("holidays = [2026-10-01, 2025-03-01]\n")
    monkeypatch.setattr(workdays, "calendar", lambda: workdays.load(tmp_path))
    end = _ended_at(date(2026, 11, 2), 17)
    activity = make_activity(starts_in=end - timedelta(hours=2) - clock.now(), hours=2)
    coordinator = make_user(name="审核人")
    grant(coordinator, "coordinator", activity.node)
    person = make_user(name="志愿者")
    give_place(activity, person)
    ledger.file_retroactive(actor=person, activity=activity, user=person, minutes=60,
                            evidence="组织者可以证明", now=end)
    assert deadlines.deadline(activity, today=date(2026, 11, 3)).state == "unknown"
    api.login(coordinator)
    assert api.get("/api/v1/hours/review").status_code == 200
    assert api.get("/review/hours").status_code == 200
    assert review.waiting(coordinator, today=date(2026, 11, 3)).pending == 1
    with pytest.raises(workdays.CalendarFileBroken) as excinfo:
        deadlines.due_on(date(2026, 11, 2))
    assert "2025-03-01" in excinfo.value.text()
