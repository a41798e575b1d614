"""补录 needs a place or the organiser; approve-all never includes 补录; nobody decides
hours they filed, forced, assisted or admitted; corrections follow one rule, both doors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.activities import services as activity_services
from server.checkin.services import ScanRequest, redeem
from server.extensions import db
from server.hours import review
from server.hours.models import HourEntry
from tests.pages import EN, login, text


@pytest.fixture
def past(make_activity, make_user, grant, make_node, now):
    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", parent=street)
    from server.communities.models import Organisation
    org = Organisation(name="运河园社工站", node=community, kind="social_work",
                       created_at=now, active=True, description="")
    db.session.add(org)
    db.session.flush()
    activity = make_activity(org=org, starts_in=timedelta(days=-2), hours=3)
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", community, org)
    coordinator = make_user(name="街道协调员")
    grant(coordinator, "coordinator", street)
    return activity, organiser, coordinator


def _retro(api, activity, minutes=60):
    return api.post("/api/v1/me/hours/retroactive", json={
        "activity_id": activity.id, "minutes": minutes, "evidence": "社工小张可以证明"})


def test_a_stranger_cannot_file_hours_for_an_activity(api, past, make_user):
    activity, _, _ = past
    api.login(make_user(name="从没报名的人"))
    resp = _retro(api, activity)
    body = resp.get_json()
    assert resp.status_code == 409 and body["code"] == "retro_needs_signup"
    assert body["errors"] == {"activity_id": [body["message"]]}
    assert db.session.scalars(select(HourEntry)).all() == []


def test_someone_who_held_a_place_files_and_approve_all_leaves_it(api, past, make_user,
                                                                 give_place):
    activity, _, coordinator = past
    volunteer = make_user(name="手机没电的人")
    give_place(activity, volunteer)
    api.login(volunteer)
    filed = _retro(api, activity).get_json()
    assert filed["kind"] == "retroactive" and filed["status"] == "pending"
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(coordinator)
    done = api.post(f"/api/v1/hours/activities/{activity.id}/approve-all").get_json()
    assert done == {"approved": 0, "left": 1}
    assert db.session.get(HourEntry, filed["id"]).status == "pending"
    one = api.post(f"/api/v1/hours/entries/{filed['id']}/approve")
    assert one.status_code == 200 and one.get_json()["status"] == "approved"


def test_the_organiser_files_for_a_named_person_and_someone_else_decides(
        api, past, make_user):
    activity, organiser, coordinator = past
    walker = make_user(name="没扫码的居民", phone="13700001111",
                       home_node=activity.organisation.node)
    api.login(organiser)
    url = f"/api/v1/hours/activities/{activity.id}/retroactive"
    resp = api.post(url, json={"phone": "137 0000 1111", "minutes": 90,
                               "evidence": "纸质签到表第3行"})
    filed = resp.get_json()
    assert resp.status_code == 201 and filed["created_by_name"] == "社工小张"
    assert set(filed["flags"]) == {"retroactive", "filed_by_organiser"}
    entry = db.session.get(HourEntry, filed["id"])
    assert (entry.user_id, entry.created_by_id) == (walker.id, organiser.id)
    refused = api.post(f"/api/v1/hours/entries/{filed['id']}/approve")
    assert refused.status_code == 403 and refused.get_json()["code"] == "helped_record"
    nobody = api.post(url, json={"phone": "13700009999", "minutes": 30, "evidence": "签到表"})
    assert nobody.status_code == 404 and nobody.get_json()["code"] == "person_not_found"
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(make_user(name="路人"))
    stranger = api.post(url, json={"phone": "13700001111", "minutes": 30, "evidence": "签到表"})
    assert stranger.status_code == 403
    review.approve(entry.id, reviewer=coordinator, now=entry.created_at)
    assert entry.status == "approved"


def test_a_number_from_elsewhere_names_nobody_to_the_filer(api, past, make_user, make_node,
                                                          give_place):
    """补录 by number reaches a person who held a place in the activity, or lives in a
    place the filer serves; anyone else's number is answered as an unknown one, with the
    same words, and nothing is filed."""
    activity, organiser, _ = past
    make_user(name="外区居民", phone="13700003333", home_node=make_node(name="北苑社区"))
    came = make_user(name="报过名的外区人", phone="13700004444",
                     home_node=make_node(name="西城社区"))
    give_place(activity, came)
    api.login(organiser)
    url = f"/api/v1/hours/activities/{activity.id}/retroactive"
    before = db.session.scalar(select(func.count(HourEntry.id)))
    elsewhere = api.post(url, json={"phone": "13700003333", "minutes": 30, "evidence": "签到表"})
    unknown = api.post(url, json={"phone": "13700009999", "minutes": 30, "evidence": "签到表"})
    assert elsewhere.status_code == unknown.status_code == 404
    assert elsewhere.get_json() == unknown.get_json()
    assert elsewhere.get_json()["code"] == "person_not_found"
    assert "外区居民" not in elsewhere.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HourEntry.id))) == before
    page = api.get(f"/review/activities/{activity.id}/retroactive")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    form = api.post(f"/review/activities/{activity.id}/retroactive", data={
        "csrf_token": token.group(1), "phone": "13700003333", "minutes": "30",
        "evidence": "签到表"}, headers={"Accept": "text/html"})
    assert "没有人用此手机号注册" in form.get_data(as_text=True)
    assert "外区居民" not in form.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HourEntry.id))) == before
    # a sign-up given back is no place held: answered as any other number from elsewhere
    gone = make_user(name="退出的外区人", phone="13700005555",
                     home_node=make_node(name="东城社区"))
    give_place(activity, gone).status = "withdrawn"
    db.session.flush()
    withdrawn = api.post(url, json={"phone": "13700005555", "minutes": 30,
                                    "evidence": "纸质签到表第6行"})
    assert withdrawn.status_code == 404 and withdrawn.get_json() == unknown.get_json()
    # who held a place in it is reached wherever they live
    held = api.post(url, json={"phone": "13700004444", "minutes": 30,
                               "evidence": "纸质签到表第5行"})
    assert held.status_code == 201, held.get_json()
    assert db.session.get(HourEntry, held.get_json()["id"]).user_id == came.id


def test_whoever_assisted_or_admitted_the_scans_does_not_approve_them(
        past, make_activity, make_user, grant, now):
    activity, organiser, coordinator = past
    live = make_activity(org=activity.organisation, starts_in=timedelta(minutes=-30), hours=1)
    walker = make_user(name="临时来的", phone="13700002222",
                       home_node=activity.organisation.node)
    redeem(ScanRequest(activity_id=live.id, direction="entry", source="phone_lookup",
                       operator=organiser, phone="13700002222", walk_in=True,
                       nonce="walkin-0001"), now=now)
    activity_services.finish(live, actor=organiser, now=live.ends_at)
    [entry] = db.session.scalars(select(HourEntry).where(HourEntry.user_id == walker.id))
    assert {"assisted", "walk_in"} <= set(entry.flags)
    with pytest.raises(Exception) as excinfo:
        review.approve(entry.id, reviewer=organiser, now=now)
    assert excinfo.value.code == "helped_record"
    assert review.approve_activity(live, reviewer=organiser, now=now).left == 1
    assert review.approve(entry.id, reviewer=coordinator, now=now).status == "approved"


def test_the_review_card_marks_a_retroactive_claim(app, past, make_user, give_place, now):
    activity, _, coordinator = past
    volunteer = make_user(name="补录的人")
    give_place(activity, volunteer)
    from server.hours import ledger
    ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer, minutes=45,
                            evidence="社工小张可以证明", now=now)
    client = app.test_client()
    login(client, coordinator)
    page = text(client.get("/review/hours", headers=EN))
    assert 'data-notice="retroactive"' in page
    assert "never approved with the others" in page
    assert "review-approve-all" not in page  # nothing here that approve-all would take


def test_a_rejected_entry_cannot_be_reported_through_either_door(api, app, past, make_user,
                                                                  give_place, now):
    activity, organiser, coordinator = past
    volunteer = make_user(name="被驳回的人")
    give_place(activity, volunteer)
    from server.hours import ledger
    entry = ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                    minutes=45, evidence="社工小张可以证明", now=now)
    review.reject(entry.id, reviewer=coordinator, reason="当天不在场", now=now)
    api.login(volunteer)
    resp = api.post(f"/api/v1/me/hours/entries/{entry.id}/corrections",
                    json={"message": "我当天在场"})
    assert resp.status_code == 409 and resp.get_json()["code"] == "not_correctable"
    client = app.test_client()
    login(client, volunteer)
    page = text(client.get(f"/hours/entries/{entry.id}", headers=EN))
    assert f'action="/hours/entries/{entry.id}/corrections"' not in page

