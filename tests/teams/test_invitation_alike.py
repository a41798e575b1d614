"""A leader's invitation by phone takes the same work whoever has the number.

The answer was already the same; the time was not: for a number with an account the
request also made the Membership and the message (about 21 ms against 8 on SQLite), so a
leader could time invitations to learn who is registered. Time is not measured here
(timings belong in bench/): the statements the request runs are, for a number nobody has,
a person's, a member's and that of someone who asked to join, and they must be the same
statements, the same shapes in the same order. What reaches the person is done once the
answer has gone out (teams.invitations.deliver), and the tests below show it still does:
in their teams and their messages, through the API and the pages.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from server.core import outbox
from server.extensions import db
from server.notifications.models import Notification
from server.teams import services
from tests.conftest import ApiClient
from tests.pages import login, text

# the test's own transaction wraps each request in a savepoint: not the app's statements
HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def shape(statement: str) -> str:
    """A statement without its values: placeholders of either driver, literal numbers
    and strings, and expanded IN lists all alike."""
    s = re.sub(r"%\(\w+\)s|\$\d+|\?", "?", statement)
    s = re.sub(r"'(?:[^']|'')*'", "'…'", s)
    s = re.sub(r"\b\d+\b", "N", s)
    s = re.sub(r"\(\?(?:::[A-Z ]+)?(?:, \?(?:::[A-Z ]+)?)*\)", "(?…)", s)
    return re.sub(r"\s+", " ", s).strip()


@pytest.fixture
def recorded(monkeypatch):
    """recorded(call): the shapes of the statements `call` runs until its answer has gone
    out: what the outbox runs after the response (server.core.outbox) is not the
    request's, and is not counted."""
    seen: dict = {"on": False, "shapes": []}

    def record(_conn, _cursor, statement, *_args):
        if seen["on"] and not statement.startswith(HARNESS):
            seen["shapes"].append(shape(statement))

    real = outbox._run_detached

    def after_the_answer(app, items):
        seen["on"] = False
        real(app, items)
    monkeypatch.setattr(outbox, "_run_detached", after_the_answer)

    def run(call):
        seen["on"], seen["shapes"] = True, []
        resp = call()
        seen["on"] = False
        return resp, list(seen["shapes"])
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield run
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def four_numbers(crew, make_user, now):
    """A team, its leader, and four numbers: nobody's, a person's, a member's, and that
    of someone who asked to join."""
    team, leader, member, _b = crew()
    person = make_user(name="赵大爷")
    asker = make_user(name="钱阿姨")
    services.request_to_join(team, user=asker, now=now)
    numbers = {"nobody": "13999990001", "person": person.phone, "member": member.phone,
               "asked": asker.phone}
    return team, leader, numbers, {"person": person, "member": member, "asked": asker}


def _kinds(user_id: int) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == user_id).order_by(Notification.id)))


def test_the_invite_request_runs_the_same_statements_whoever_has_the_number(
        app, four_numbers, recorded):
    team, leader, numbers, people = four_numbers
    boss = ApiClient(app.test_client())
    boss.login(leader)
    url = f"/api/v1/teams/{team.id}/invitations"
    assert boss.post(url, json={"phone": "13999990009"}).status_code == 201  # warm
    seen = {}
    for who, phone in numbers.items():
        resp, shapes = recorded(lambda phone=phone: boss.post(url, json={"phone": phone}))
        assert resp.status_code == 201, resp.get_json()
        seen[who] = shapes
    assert seen["nobody"], "nothing was recorded"
    for who in ("person", "member", "asked"):
        assert seen[who] == seen["nobody"], (who, seen[who], seen["nobody"])
    # and what the request did not do was done once the answer had gone out
    assert services.open_membership(team.id, people["person"].id).state == "invited"
    assert services.open_membership(team.id, people["asked"].id).state == "active"
    assert services.open_membership(team.id, people["member"].id).state == "active"
    assert _kinds(people["person"].id) == ["team_invited"]
    assert _kinds(people["asked"].id) == ["team_request_approved"]
    assert _kinds(people["member"].id) == []


def test_the_invite_page_runs_the_same_statements_whoever_has_the_number(
        app, four_numbers, recorded):
    team, leader, numbers, people = four_numbers
    page = app.test_client()
    token = login(page, leader)
    url = f"/teams/{team.id}/invite"
    assert page.post(url, data={"csrf_token": token, "phone": "13999990009"}
                     ).status_code == 302  # warm
    seen = {}
    for who, phone in numbers.items():
        resp, shapes = recorded(lambda phone=phone: page.post(
            url, data={"csrf_token": token, "phone": phone}))
        assert resp.status_code == 302
        seen[who] = shapes
    assert seen["nobody"]
    for who in ("person", "member", "asked"):
        assert seen[who] == seen["nobody"], (who, seen[who], seen["nobody"])
    assert services.open_membership(team.id, people["person"].id).state == "invited"
    assert _kinds(people["person"].id) == ["team_invited"]


def test_the_invited_person_finds_it_in_their_teams_and_messages_by_api(app, crew,
                                                                        make_user):
    team, leader, _a, _b = crew()
    guest = make_user(name="孙大妈")
    boss, mine = ApiClient(app.test_client()), ApiClient(app.test_client())
    boss.login(leader)
    resp = boss.post(f"/api/v1/teams/{team.id}/invitations", json={"phone": guest.phone})
    assert resp.status_code == 201
    mine.login(guest)
    [invited] = mine.get("/api/v1/me/teams").get_json()["invited"]
    assert (invited["team_id"], invited["state"]) == (team.id, "invited")
    items = mine.get("/api/v1/me/notifications").get_json()["items"]
    assert [n["kind"] for n in items] == ["team_invited"]
    # accepted from there, as before
    accepted = mine.post(f"/api/v1/team-memberships/{invited['id']}/accept").get_json()
    assert accepted["state"] == "active"


def test_the_invited_person_finds_it_in_their_teams_and_messages_on_the_pages(
        app, client, crew, make_user):
    team, leader, _a, _b = crew()
    guest = make_user(name="赵大爷")
    boss = app.test_client()
    token = login(boss, leader)
    resp = boss.post(f"/teams/{team.id}/invite", data={"csrf_token": token,
                                                       "phone": guest.phone})
    assert resp.status_code == 302
    login(client, guest)
    assert "贤妈智囊团" in text(client.get("/me/teams"))
    mid = services.open_membership(team.id, guest.id).id
    inbox = text(client.get("/me/notifications"))
    assert "贤妈队长邀请您加入志愿服务队“运河园社区 BQteam-贤妈智囊团”" in inbox
    assert f"/team-memberships/{mid}/accept" in inbox
