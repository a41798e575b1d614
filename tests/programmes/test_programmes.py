"""Programmes: who creates and edits them, names once per organisation, what a programme
shows (its activities, participants and hours), through the services, the API and the
pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.core.errors import Forbidden, ValidationError
from server.extensions import db
from server.hours import ledger, review
from server.programmes import errors, services
from tests.pages import CSRF, login, text


@pytest.fixture
def team(make_org, make_user, grant, make_node):
    yunhe = make_node(name="运河园社区")
    org = make_org(name="BQteam-贤妈智囊团", node=yunhe, kind="volunteer_team")
    organiser = make_user(name="张丽娜")
    grant(organiser, "organiser", yunhe, org)
    return org, organiser


def test_an_organiser_creates_and_edits_a_programme(team, make_user, now):
    org, organiser = team
    p = services.create_programme(actor=organiser, organisation=org,
                                  name="  全职妈妈  成长计划 ", description="每月一次", now=now)
    assert (p.name, p.description, p.created_by_id) == ("全职妈妈 成长计划", "每月一次",
                                                         organiser.id)
    services.update_programme(p, actor=organiser, name="全职妈妈成长计划", now=now)
    assert p.name == "全职妈妈成长计划" and p.updated_at == now
    with pytest.raises(errors.ProgrammeNameTaken) as taken:
        services.create_programme(actor=organiser, organisation=org, name="全职妈妈成长计划",
                                  now=now)
    assert taken.value.code == "programme_name_taken"
    with pytest.raises(ValidationError):
        services.create_programme(actor=organiser, organisation=org, name="   ", now=now)
    stranger = make_user(name="路人")
    with pytest.raises(Forbidden):
        services.create_programme(actor=stranger, organisation=org, name="别的计划", now=now)
    with pytest.raises(Forbidden):
        services.update_programme(p, actor=stranger, name="改名", now=now)


def test_the_database_keeps_one_name_per_organisation(team, now):
    """Two people choosing the same name at the same moment both pass the look beforehand;
    the unique index is what refuses the second."""
    from sqlalchemy.exc import IntegrityError

    from server.activities.models import Programme
    org, _organiser = team
    db.session.add(Programme(organisation_id=org.id, name="同名", created_at=now))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Programme(organisation_id=org.id, name="同名", created_at=now))
        db.session.flush()


def test_the_api_lists_creates_edits_and_counts(api, app, team, make_user, make_activity,
                                                give_place, grant, now):
    org, organiser = team
    api.login(organiser)
    made = api.post("/api/v1/programmes", json={"organisation_id": org.id,
                                                 "name": "全职妈妈成长计划"})
    assert made.status_code == 201
    pid = made.get_json()["id"]
    again = api.post("/api/v1/programmes", json={"organisation_id": org.id,
                                                  "name": "全职妈妈成长计划"})
    assert again.status_code == 409 and again.get_json()["code"] == "programme_name_taken"
    # a look-alike made with invisible characters is the same name; a bidi override is no text
    for twin in ("全职妈妈成长计划\u200b", "\ufeff全职妈妈成长计划", "全职妈妈成长计划\ufe0f",
                 "全职\u034f妈妈成长计划", "全职妈妈成长计划\u3164"):
        resp = api.post("/api/v1/programmes", json={"organisation_id": org.id, "name": twin})
        assert (resp.status_code, resp.get_json()["code"]) == (409, "programme_name_taken")
    spoof = api.post("/api/v1/programmes", json={"organisation_id": org.id,
                                                  "name": "计划\u202e划计"})
    assert (spoof.status_code, spoof.get_json()["code"]) == (400, "invalid_characters")
    for bad in ({"organisation_id": org.id, "name": ""},
                {"organisation_id": org.id, "name": "x" * 121},
                {"organisation_id": 1.5, "name": "分数"},
                {"organisation_id": org.id, "name": "a\u0000b"}):
        resp = api.post("/api/v1/programmes", json=bad)
        assert resp.status_code in (400, 422), bad
        assert resp.get_json()["code"] != "internal_error"
    assert api.patch(f"/api/v1/programmes/{pid}",
                     json={"description": "面向全职妈妈的成长小组"}).status_code == 200

    # one finished session with an approved hour, one still to come
    held = make_activity(org=org, starts_in=timedelta(days=-3), status="published",
                         programme_id=pid, title="经验分享会")
    mum = make_user(name="王芳")
    give_place(held, mum)
    entry = ledger.file_retroactive(actor=mum, activity=held, user=mum, minutes=90,
                                    evidence="纸质签到表为证", now=now)
    held.status, held.finished_at = "finished", now
    reviewer = make_user(name="赵红梅")
    grant(reviewer, "coordinator", org.node)
    review.approve(entry.id, reviewer=reviewer, now=now)
    make_activity(org=org, starts_in=timedelta(days=5), programme_id=pid, title="亲子互动")
    make_activity(org=org, starts_in=timedelta(days=6), programme_id=pid, title="草稿",
                  status="draft")

    anyone = app.test_client()  # the programme's figures are public
    public = anyone.get(f"/api/v1/programmes/{pid}").get_json()
    assert public["figures"] == {"activities": 1, "upcoming": 1, "participants": 1,
                                 "person_times": 1, "hours": "1.5"}
    assert public["description"] == "面向全职妈妈的成长小组"
    listed = anyone.get(f"/api/v1/programmes?organisation_id={org.id}").get_json()
    assert [p["name"] for p in listed["items"]] == ["全职妈妈成长计划"]
    coming = anyone.get(f"/api/v1/programmes/{pid}/activities").get_json()
    assert [a["title"] for a in coming["items"]] == ["亲子互动"]  # no draft for the public
    past = anyone.get(f"/api/v1/programmes/{pid}/activities?when=past").get_json()
    assert [a["title"] for a in past["items"]] == ["经验分享会"]
    assert anyone.get("/api/v1/programmes/999999").status_code == 404


def test_a_resident_cannot_create_or_edit(api, team, make_user, now):
    org, organiser = team
    p = services.create_programme(actor=organiser, organisation=org, name="银龄相伴", now=now)
    api.login(make_user(name="居民"))
    assert api.post("/api/v1/programmes", json={"organisation_id": org.id,
                                                 "name": "我的计划"}).status_code == 403
    assert api.patch(f"/api/v1/programmes/{p.id}", json={"name": "改"}).status_code == 403


def test_the_pages(client, app, team, make_user):
    org, organiser = team
    login(client, organiser)
    form = client.get("/programmes/new")
    assert form.status_code == 200 and org.name in text(form)
    token = CSRF.search(text(form)).group(1)
    resp = client.post("/programmes/new", data={"csrf_token": token,
                                                "organisation_id": org.id,
                                                "name": "全职妈妈成长计划",
                                                "description": "每月一次的成长小组"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"])
    html = text(page)
    assert "全职妈妈成长计划" in html and "每月一次的成长小组" in html
    assert "/edit" in html  # the organiser may edit
    twice = client.post("/programmes/new", data={"csrf_token": token,
                                                 "organisation_id": org.id,
                                                 "name": "全职妈妈成长计划"})
    assert twice.status_code == 409 and "全职妈妈成长计划" in text(twice)
    listing = text(client.get("/programmes"))
    assert "全职妈妈成长计划" in listing and org.name in listing

    resident, client = make_user(name="居民"), app.test_client()
    login(client, resident)
    pid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    assert "/edit" not in text(client.get(f"/programmes/{pid}"))
    assert client.get(f"/programmes/{pid}/edit").status_code == 403
    assert client.get("/programmes/new").status_code == 403


def test_a_finished_session_can_join_its_programme_and_nothing_else_changes(
        api, team, make_activity, now):
    """A session held before its programme was set up in Wushe is attached afterwards; the
    rest of a finished activity stays as recorded, in words a person understands."""
    from server.activities.models import Activity
    from server.core.clock import local
    from server.reports import rollups
    from server.reports.figures import read
    from server.reports.periods import month_of
    from server.reports.programmes import from_values
    org, organiser = team
    api.login(organiser)
    pid = api.post("/api/v1/programmes", json={"organisation_id": org.id,
                                                "name": "全职妈妈成长计划"}).get_json()["id"]
    held = make_activity(org=org, starts_in=timedelta(hours=-5), status="finished",
                         kind="programme_session")
    held.finished_at = now - timedelta(hours=2)
    db.session.flush()
    period = month_of(local(held.starts_at).date())
    rollups.store(period)
    rollups.mark(now, now=now)
    joined = api.patch(f"/api/v1/activities/{held.id}", json={"programme_id": pid})
    assert joined.status_code == 200, joined.get_json()
    db.session.expire_all()
    assert db.session.get(Activity, held.id).programme_id == pid
    refused = api.patch(f"/api/v1/activities/{held.id}", json={"capacity": 50})
    body = refused.get_json()
    assert (refused.status_code, body["code"]) == (409, "activity_bad_transition")
    assert body["message"] == "该活动当前为“已结束”，只能更改其所属计划，其他信息不能再修改。"
    # the statistics see the move at their next refresh
    periods, _until = rollups.to_refresh(now=now + timedelta(minutes=1))
    assert period in periods
    rollups.store(period)
    assert pid in from_values(read([org.node_id], period)[org.node_id].values)


def test_the_edit_page_of_a_finished_session_offers_its_programme_only(
        client, team, make_activity, now):
    """One rule, two doors: the page offers what the API takes of a finished activity."""
    from server.activities.models import Activity
    from tests.pages import EN
    org, organiser = team
    mums = services.create_programme(actor=organiser, organisation=org, name="全职妈妈成长计划",
                                     now=now)
    held = make_activity(org=org, starts_in=timedelta(hours=-5), status="finished")
    token = login(client, organiser)
    page = text(client.get(f"/manage/{held.id}/edit", headers=EN))
    assert "Only the programme it belongs to can still be chosen." in page
    assert 'name="capacity"' not in page and f'value="{mums.id}"' in page
    saved = client.post(f"/manage/{held.id}/edit", headers=EN,
                        data={"csrf_token": token, "programme_id": str(mums.id)})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Activity, held.id).programme_id == mums.id
    # other fields sent anyway change nothing
    client.post(f"/manage/{held.id}/edit", headers=EN, data={
        "csrf_token": token, "programme_id": "", "capacity": "99"})
    db.session.expire_all()
    after = db.session.get(Activity, held.id)
    assert after.programme_id is None and after.capacity != 99
