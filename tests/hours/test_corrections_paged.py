"""The review page lists the oldest open correction requests, not every one: with more
waiting, it says how many, and answering one brings the next (API and page alike)."""

from __future__ import annotations

from server.core import clock
from server.extensions import db
from server.hours import services
from tests.hours.test_api import make_held  # noqa: F401 - the shared fixture
from tests.pages import login, text

CORRECTIONS_SHOWN = 3  # instead of 20: the activity has places for 10
WAITING = CORRECTIONS_SHOWN + 2


def test_the_oldest_requests_are_shown_and_all_are_counted(api, app, make_held,  # noqa: F811
                                                           monkeypatch):
    monkeypatch.setattr(services, "CORRECTIONS_SHOWN", CORRECTIONS_SHOWN)
    w = make_held(stays={f"志愿者{i:02d}": (0, 120) for i in range(WAITING)})
    asked = [services.request_correction(w.entries[f"志愿者{i:02d}"], user=w.people[
        f"志愿者{i:02d}"], message=f"第{i}个更正", now=clock.now()) for i in range(WAITING)]
    db.session.commit()

    api.login(w.coordinator)
    queue = api.get("/api/v1/hours/review").get_json()
    assert queue["corrections_total"] == WAITING
    assert [c["id"] for c in queue["corrections"]] == [c.id for c in asked[:CORRECTIONS_SHOWN]]

    page = app.test_client()
    login(page, w.coordinator)
    shown = text(page.get("/review/hours", headers={"Accept-Language": "zh-CN"}))
    assert f"第{CORRECTIONS_SHOWN - 1}个更正" in shown
    assert f"第{CORRECTIONS_SHOWN}个更正" not in shown
    assert f"最早的 {CORRECTIONS_SHOWN} 条（共 {WAITING} 条）" in shown

    answered = api.post(f"/api/v1/hours/corrections/{asked[0].id}/answer",
                        json={"reason": "签到表核对无误"})
    assert answered.status_code == 200, answered.get_json()
    queue = api.get("/api/v1/hours/review").get_json()
    assert queue["corrections_total"] == WAITING - 1
    assert [c["id"] for c in queue["corrections"]] == [
        c.id for c in asked[1:CORRECTIONS_SHOWN + 1]]


def test_a_short_list_is_counted_from_its_rows(make_held):  # noqa: F811
    w = make_held()
    services.request_correction(w.entries["王小红"], user=w.people["王小红"],
                                message="我九点就到了", now=clock.now())
    found = services.open_corrections(w.coordinator)
    assert (len(found.rows), found.total) == (1, 1)
    assert services.open_corrections(w.people["王小红"]).total == 0  # not one's own
