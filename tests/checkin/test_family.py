"""A family member signed up by their guardian checks in with their own code: the scan and
the hours are the member's, and who signed them up shows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.accounts import family
from server.activities import services as activity_services
from server.activities import signups
from server.checkin import codes
from server.checkin.models import Scan
from server.extensions import db
from server.hours.models import HourEntry


@pytest.fixture
def family_venue(make_activity, make_user, grant, now):
    activity = make_activity(starts_in=timedelta(minutes=5), hours=2, capacity=5)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    guardian = make_user(name="王芳", phone="13911112222")
    child = family.add_member(guardian, name="王小明", relation="child",
                              birth_date=date(now.year - 9, 3, 1), now=now, consent=True)
    return activity, organiser, guardian, child


def test_services_the_members_own_code_checks_them_in_and_the_hours_are_theirs(
        family_venue, scan, now):
    activity, organiser, guardian, child = family_venue
    signup = signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    payload = codes.personal_payload(codes.active_code(child, now=now))
    assert payload != codes.personal_payload(codes.active_code(guardian, now=now))
    entry = scan(activity, organiser, code=payload, at=activity.starts_at)
    assert (entry.result, entry.user_id, entry.signup_id) == ("ok", child.id, signup.id)
    out = scan(activity, organiser, code=payload, direction="exit",
               at=activity.starts_at + timedelta(minutes=60))
    assert (out.result, out.user_id) == ("ok", child.id)
    activity_services.finish(activity, actor=organiser, now=activity.ends_at)
    hours = db.session.scalars(select(HourEntry).where(HourEntry.activity_id == activity.id)).all()
    assert [(h.user_id, h.minutes) for h in hours] == [(child.id, 60)]


def test_the_guardians_own_code_does_not_check_the_member_in(family_venue, scan, now):
    activity, organiser, guardian, child = family_venue
    signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    own = codes.personal_payload(codes.active_code(guardian, now=now))
    answer = scan(activity, organiser, code=own, at=activity.starts_at)
    assert answer.result != "ok" and answer.user_id == guardian.id


def test_api_guardian_signs_up_fetches_the_code_and_the_organiser_scans_it(
        api, family_venue, now):
    activity, organiser, guardian, child = family_venue
    api.login(guardian)
    resp = api.post(f"/api/v1/activities/{activity.id}/signups", json={"member_id": child.id})
    assert resp.status_code == 201, resp.get_json()
    code = api.get(f"/api/v1/me/code?member_id={child.id}").get_json()
    assert (code["user_id"], code["user_name"]) == (child.id, "王小明")
    assert code["payload"] != api.get("/api/v1/me/code").get_json()["payload"]
    image = api.get(f"/api/v1/me/code/qr.svg?member_id={child.id}")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"

    api.login(organiser)
    # the organiser has no member of that id: their own code route refuses it
    assert api.get(f"/api/v1/me/code?member_id={child.id}").status_code == 404
    body = api.post(f"/api/v1/activities/{activity.id}/scans",
                    json={"code": code["payload"], "nonce": "family-000001"}).get_json()
    assert (body["result"], body["person"]["id"], body["person"]["name"]) == (
        "ok", child.id, "王小明")
    assert (body["person"]["phone"], body["person"]["managed_by_name"]) == ("", "王芳")
    scan_row = db.session.get(Scan, body["id"])
    assert scan_row.user_id == child.id
    roster = api.get(f"/api/v1/activities/{activity.id}/roster").get_json()
    assert [(r["name"], r["acted_by_name"]) for r in roster] == [("王小明", "王芳")]


def test_api_a_stranger_cannot_fetch_the_members_code(api, family_venue, make_user):
    _, _, _, child = family_venue
    api.login(make_user(name="路人", phone="13977778888"))
    resp = api.get(f"/api/v1/me/code?member_id={child.id}")
    assert (resp.status_code, resp.get_json()["code"]) == (404, "member_not_found")
    assert api.post(f"/api/v1/me/code?member_id={child.id}").status_code == 404
