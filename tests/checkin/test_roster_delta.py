"""The scanner's cached roster: the whole list once, then only what changed since the
cursor, in a fixed number of statements whatever the size of the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from server.activities import signups
from server.activities.models import Signup
from server.checkin import codes
from server.checkin.models import PersonalCode
from server.core import clock
from server.extensions import db

ROSTER_STATEMENTS = 5  # the login, the activity, its node, the counts, the roster


@pytest.fixture
def door(api, make_activity, make_user, grant):
    def make(people=3):
        now = clock.now()
        activity = make_activity(starts_in=timedelta(minutes=5), hours=2, capacity=people)
        organiser = make_user(name="组织者")
        grant(organiser, "organiser", activity.node, activity.organisation)
        volunteers = [make_user(name=f"志愿者{i}") for i in range(people)]
        for person in volunteers:
            signups.sign_up(activity.id, user=person, now=now)
            codes.active_code(person, now=now)
        # what was there before the phone's last fetch changed long ago
        long_ago = now - timedelta(hours=1)
        db.session.execute(update(Signup).values(changed_at=long_ago))
        db.session.execute(update(PersonalCode).values(created_at=long_ago))
        db.session.flush()
        api.login(organiser)
        return activity, organiser, volunteers
    return make


def _state(api, activity, since=None):
    url = f"/api/v1/activities/{activity.id}/scanner"
    resp = api.get(url if since is None else f"{url}?since={since}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_first_fetch_is_the_whole_list_then_only_changes(api, door, make_user, scan):
    activity, organiser, people = door()
    first = _state(api, activity)
    assert first["full"] is True and first["removed"] == []
    assert {r["name"] for r in first["roster"]} == {"志愿者0", "志愿者1", "志愿者2"}

    nothing = _state(api, activity, first["cursor"])
    assert (nothing["full"], nothing["roster"], nothing["removed"]) == (False, [], [])

    now = clock.now()
    scan(activity, organiser, code=codes.personal_payload(codes.active_code(people[0], now=now)))
    gone = signups.live_signup(activity.id, people[1].id)
    signups.remove(gone, actor=organiser, now=now, reason="不来了")
    codes.regenerate(people[2], now=now)
    newcomer = make_user(name="新来的")
    signups.sign_up(activity.id, user=newcomer, now=now)
    db.session.flush()

    delta = _state(api, activity, first["cursor"])
    assert delta["full"] is False
    changed = {r["name"]: r for r in delta["roster"]}
    assert set(changed) == {"志愿者0", "志愿者2", "新来的"}
    assert changed["志愿者0"]["presence"] == "in"
    old_hash = next(r["code_hash"] for r in first["roster"] if r["name"] == "志愿者2")
    assert changed["志愿者2"]["code_hash"] not in (None, old_hash)
    assert delta["removed"] == [gone.id]
    assert delta["counts"]["signed_up"] == 3


def test_a_cursor_too_old_or_from_the_future_gets_the_whole_list(api, door):
    activity, _, _ = door()
    now = clock.now()
    for moment in (now - timedelta(days=2), now + timedelta(hours=1)):
        answer = _state(api, activity, int(moment.timestamp() * 1000))
        assert answer["full"] is True and len(answer["roster"]) == 3
    assert api.get(f"/api/v1/activities/{activity.id}/scanner?since=abc").status_code == 422


@pytest.mark.parametrize("people", [3, 40])
def test_the_roster_costs_the_same_statements_for_3_or_40_people(api, door, people):
    activity, _, _ = door(people)
    seen: list[str] = []

    def log(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN")):
            return  # the test's own transaction around each request, not the request's work
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        full = _state(api, activity)
        full_count = len(seen)
        seen.clear()
        _state(api, activity, full["cursor"])
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert len(full["roster"]) == people
    assert full_count <= ROSTER_STATEMENTS, seen
    assert len(seen) <= ROSTER_STATEMENTS, seen
