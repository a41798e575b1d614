"""One rule for digits: NFKC, then ASCII digits only; fractions refused, never cut."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.accounts.services import normalise_phone
from server.extensions import db
from server.hours.models import HourEntry
from tests.pages import login


def test_full_width_phone_is_the_same_phone(api, make_user):
    user = make_user(phone="13800000001")
    assert normalise_phone("138０００００００1") == "13800000001"
    resp = api.post("/api/v1/auth/register", json={
        "phone": "138０００００００1", "password": "secret123", "name": "冒名",
        "accept_privacy": True})
    assert resp.status_code == 409 and resp.get_json()["code"] == "phone_taken"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    # and the owner logs in whichever way they type it
    resp = api.post("/api/v1/auth/login", json={"phone": "１３８０００００００１",
                                                "password": "secret123"})
    assert resp.status_code == 200 and resp.get_json()["id"] == user.id


@pytest.mark.parametrize("phone", ["١٣٨٠٠٠٠٠٠٠١", "13800000001\u0663", "১৩৮০০০০০০০১",
                                   "+86 138 0000 0001 2", "138000000O1"])
def test_other_scripts_digits_are_refused(phone):
    from server.accounts.errors import InvalidPhone
    with pytest.raises(InvalidPhone):
        normalise_phone(phone)


@pytest.mark.parametrize("raw", ["+86 138-0000-0001", "0086 13800000001",
                                 "１３８ ００００ ０００１"])
def test_spaces_dashes_and_country_code_are_one_phone(raw):
    assert normalise_phone(raw) == "13800000001"


def test_a_grant_by_a_look_alike_phone_finds_the_real_person(api, make_user, make_node, grant):
    node = make_node(kind="street")
    admin = make_user()
    grant(admin, "admin", node)
    target = make_user(phone="13800000077")
    api.login(admin)
    resp = api.post("/api/v1/roles", json={"user_phone": "１３８０００００077",
                                           "role": "coordinator", "node_id": node.id})
    assert resp.status_code == 201 and resp.get_json()["user_id"] == target.id


def _retro(api, activity, minutes):
    return api.post("/api/v1/me/hours/retroactive", json={
        "activity_id": activity.id, "minutes": minutes, "evidence": "组织者可以证明"},
        content_type="application/json")


@pytest.mark.parametrize("minutes", [1.5, "1.5", True, "١٢", "1e2", "NaN", 10**20])
def test_whole_numbers_refuse_fractions_and_lookalikes(api, make_activity, make_user, minutes):
    activity = make_activity(starts_in=timedelta(days=-2))
    api.login(make_user())
    resp = _retro(api, activity, minutes)
    assert resp.status_code == 422, resp.get_json()
    assert "minutes" in resp.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 0


def test_full_width_digits_typed_in_a_form_count(make_user):
    from server.core.fields import Whole
    assert Whole().deserialize("６０") == 60
    assert Whole().deserialize(" 60 ") == 60


@pytest.mark.parametrize("client_time", ["1999-12-31T23:00:00+08:00", "2101-01-01T00:00:00",
                                         "0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00"])
def test_times_far_away_are_refused_not_a_crash(api, make_activity, make_user, grant,
                                                client_time):
    activity = make_activity()
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    api.login(organiser)
    resp = api.post(f"/api/v1/activities/{activity.id}/scans/batch", json={"scans": [
        {"code": "WSP1:" + "x" * 30, "nonce": "nonce-far-away", "client_time": client_time}]})
    assert resp.status_code == 422 and "scans.0.client_time" in resp.get_json()["errors"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_days_far_away_are_ignored_by_the_list_and_refused_by_the_api(client, day):
    assert client.get(f"/?date={day}").status_code == 200
    resp = client.get(f"/api/v1/activities?date={day}")
    assert resp.status_code == 422 and "date" in resp.get_json()["errors"]


@pytest.mark.parametrize("starts", ["1999-06-01T09:00", "2101-01-01T09:00", "0001-01-01T00:00"])
def test_activity_dates_far_away_are_refused(api, make_user, make_org, grant, starts):
    org = make_org()
    organiser = make_user()
    grant(organiser, "organiser", org.node, org)
    api.login(organiser)
    resp = api.post("/api/v1/activities", json={
        "organisation_id": org.id, "title": "讲座", "kind": "lecture", "place": "活动室",
        "starts_at": starts, "ends_at": "2026-12-31T10:00", "capacity": 10})
    assert resp.status_code == 422 and "starts_at" in resp.get_json()["errors"]


@pytest.mark.parametrize("path", ["/hours?member=²", "/hours/certificates?member=²",
                                  "/code?member=²", "/hours?member=99999999999",
                                  "/code?member=٣"])
def test_an_impossible_member_id_in_a_url_is_an_unknown_member(client, make_user, path):
    login(client, make_user(name="本人"))
    resp = client.get(path)
    assert resp.status_code == 404 and "本人" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(("raw", "page"), [("", 1), ("²", 1), ("-3", 1), ("3", 3),
                                           ("99999999999999999999", 4), ("0", 1)])
def test_a_page_in_a_url_is_a_page_that_exists(client, raw, page):
    from server.core.numbers import page_arg
    assert page_arg(raw, last=4) == page
    assert client.get(f"/programmes?page={raw}").status_code == 200


def test_a_member_id_in_a_form_that_names_nobody_signs_nobody_up(client, make_user,
                                                                  make_activity):
    from server.activities.models import Signup
    activity, person = make_activity(), make_user()
    token = login(client, person)
    resp = client.post(f"/activities/{activity.id}/signup",
                       data={"csrf_token": token, "member_id": "²"})
    # refused as a member who is not one's own (back to the activity, with the reason),
    # not taken for "no member": nobody is signed up, oneself included
    assert resp.status_code == 302 and "/signups/" not in resp.headers["Location"]
    assert db.session.scalar(select(Signup.user_id).where(
        Signup.activity_id == activity.id)) is None
