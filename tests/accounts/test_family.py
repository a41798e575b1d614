"""Family members without a phone (a child, an older parent) and residents a community
worker registers: services, pages and API; who acted is recorded and shown."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.accounts import family, services
from server.accounts.models import Consent, User
from server.activities import errors as activity_errors
from server.activities import signups
from server.extensions import db
from tests.pages import login, text


def _child_birth(now, years=8):
    return date(now.year - years, 1, 1)


@pytest.fixture
def guardian(make_user, make_node):
    return make_user(name="王芳", phone="13911112222", home_node=make_node())


def _add_child(guardian, now, **kw):
    return family.add_member(guardian, name=kw.pop("name", "王小明"), relation="child",
                             birth_date=kw.pop("birth_date", _child_birth(now)), now=now,
                             consent=True, **kw)


# --- services ------------------------------------------------------------------------------

def test_a_child_is_added_with_the_guardians_consent_and_cannot_log_in(guardian, now):
    child = _add_child(guardian, now)
    assert (child.phone, child.managed_by_id, child.relation) == (None, guardian.id, "child")
    assert child.registered_by_id == guardian.id and child.guardian_name == "王芳"
    assert child.home_node_id == guardian.home_node_id
    kinds = {(c.kind, c.guardian_name, c.recorded_by_id) for c in family.consents_of(child)}
    assert kinds == {("privacy", None, guardian.id), ("guardian", "王芳", guardian.id)}
    with pytest.raises(Exception) as exc:
        services.authenticate(phone="", password="!")
    assert exc.value.code == "bad_credentials"
    assert family.members_of(guardian) == [child]


def test_consent_is_required_and_its_words_depend_on_the_age(guardian, now):
    with pytest.raises(Exception) as exc:
        family.add_member(guardian, name="王小明", relation="child",
                          birth_date=_child_birth(now), now=now, consent=False)
    assert exc.value.code == "member_guardian_required"
    with pytest.raises(Exception) as exc:
        family.add_member(guardian, name="王大爷", relation="parent",
                          birth_date=date(1948, 3, 1), now=now, consent=False)
    assert exc.value.code == "member_consent_required"
    parent = family.add_member(guardian, name="王大爷", relation="parent",
                               birth_date=date(1948, 3, 1), now=now, consent=True)
    assert parent.guardian_name is None
    assert [c.kind for c in family.consents_of(parent)] == ["privacy"]


@pytest.mark.parametrize("field, value, code", [
    ("relation", "cousin", "unknown_relation"),
    ("name", "123", "invalid_name"),
    ("birth_date", date(2999, 1, 1), "birth_date_in_future"),
])
def test_bad_member_details_are_refused(guardian, now, field, value, code):
    data = {"name": "王小明", "relation": "child", "birth_date": _child_birth(now)}
    data[field] = value
    with pytest.raises(Exception) as exc:
        family.add_member(guardian, now=now, consent=True, **data)
    assert exc.value.code == code


def test_the_number_of_members_is_limited(app, guardian, now):
    app.config["FAMILY_MEMBERS_MAX"] = 2
    try:
        _add_child(guardian, now, name="老大")
        _add_child(guardian, now, name="老二")
        with pytest.raises(Exception) as exc:
            _add_child(guardian, now, name="老三")
        assert exc.value.code == "too_many_members"
        assert "2" in exc.value.text()
    finally:
        app.config["FAMILY_MEMBERS_MAX"] = 10


def test_a_member_cannot_manage_members_and_others_cannot_reach_them(guardian, make_user, now):
    child = _add_child(guardian, now)
    with pytest.raises(Exception) as exc:
        _add_child(child, now)
    assert exc.value.code == "managed_cannot_manage"
    stranger = make_user(name="路人")
    for who, member_id in ((stranger, child.id), (guardian, stranger.id)):
        with pytest.raises(Exception) as exc:
            family.get_member(who, member_id)
        assert exc.value.code == "member_not_found"
    assert family.acting_for(guardian, None) is guardian
    assert family.acting_for(guardian, guardian.id) is guardian


def test_the_database_refuses_an_account_without_phone_or_manager(now):
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(User(phone=None, password_hash="!", name="无人", skills=[],
                                created_at=now, active=True, care_mode=False))
            db.session.flush()


def test_the_database_refuses_a_relation_without_a_manager(make_user):
    person = make_user(name="有手机的人")
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            person.relation = "child"
            db.session.flush()


def test_a_member_is_signed_up_under_every_rule_for_them(guardian, make_activity, now):
    child = _add_child(guardian, now)
    activity = make_activity(capacity=1)
    signup = signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    assert (signup.user_id, signup.acted_by_id, signup.status) == (
        child.id, guardian.id, "confirmed")
    with pytest.raises(activity_errors.AlreadySignedUp):
        signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    adults = make_activity(min_age=18)
    with pytest.raises(activity_errors.TooYoung):
        signups.sign_up(adults.id, user=child, now=now, acted_by=guardian)
    # the guardian may give the place back for them
    signups.withdraw(signup, actor=guardian, now=now)
    assert signup.status == "withdrawn"


# --- residents registered by a community worker -------------------------------------------

@pytest.fixture
def worker(make_user, make_node, grant):
    community = make_node(name="运河园社区")
    person = make_user(name="社工小赵")
    grant(person, "coordinator", community)
    return person, community


def test_a_worker_registers_a_resident_with_consent_recorded(worker, now):
    person, community = worker
    resident = family.register_resident(person, name="刘奶奶", phone="139 0000 1111",
                                        home_node_id=community.id, now=now, consent=True,
                                        birth_date=date(1945, 6, 1))
    assert (resident.phone, resident.registered_by_id, resident.managed_by_id) == (
        "13900001111", person.id, None)
    consent = db.session.scalar(select(Consent).where(Consent.user_id == resident.id))
    assert (consent.kind, consent.recorded_by_id) == ("privacy", person.id)
    assert family.registered_by_worker(person) == [resident]


def test_a_worker_is_held_to_consent_their_subtree_and_adults(worker, make_node, make_user,
                                                              now):
    person, community = worker
    base = {"name": "刘奶奶", "phone": "13900001111", "now": now}
    with pytest.raises(Exception) as exc:
        family.register_resident(person, home_node_id=community.id, consent=False, **base)
    assert exc.value.code == "resident_consent_required"
    elsewhere = make_node(name="别的社区")
    with pytest.raises(Exception) as exc:
        family.register_resident(person, home_node_id=elsewhere.id, consent=True, **base)
    assert exc.value.code == "node_out_of_scope"
    with pytest.raises(Exception) as exc:
        family.register_resident(person, home_node_id=community.id, consent=True,
                                 birth_date=_child_birth(now), **base)
    assert exc.value.code == "guardian_consent_required"
    with pytest.raises(Exception) as exc:
        family.register_resident(make_user(name="居民"), home_node_id=community.id,
                                 consent=True, **base)
    assert exc.value.code == "forbidden"
    family.register_resident(person, home_node_id=community.id, consent=True, **base)
    with pytest.raises(Exception) as exc:
        family.register_resident(person, home_node_id=community.id, consent=True, **base)
    assert exc.value.code == "phone_taken"


# --- API -----------------------------------------------------------------------------------

def test_api_add_list_and_sign_up_a_member(api, guardian, make_activity, make_user, now):
    api.login(guardian)
    resp = api.post("/api/v1/me/family", json={
        "name": "王小明", "relation": "child", "birth_date": _child_birth(now).isoformat(),
        "consent": True})
    assert resp.status_code == 201, resp.get_json()
    member = resp.get_json()
    assert (member["name"], member["relation"], member["registered_by_name"]) == (
        "王小明", "child", "王芳")
    assert [m["id"] for m in api.get("/api/v1/me/family").get_json()] == [member["id"]]
    assert api.get(f"/api/v1/me/family/{member['id']}").status_code == 200

    activity = make_activity()
    resp = api.post(f"/api/v1/activities/{activity.id}/signups",
                    json={"member_id": member["id"]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["user_id"], body["user_name"], body["acted_by_name"]) == (
        member["id"], "王小明", "王芳")
    mine = api.get("/api/v1/me/activities").get_json()
    assert [(s["user_name"], s["acted_by_name"]) for s in mine["upcoming"]] == [
        ("王小明", "王芳")]
    # signing oneself up still works with no body at all
    assert api.post(f"/api/v1/activities/{make_activity().id}/signups").status_code == 201


def test_api_refuses_someone_elses_member_and_a_missing_consent(api, guardian, make_user,
                                                                make_activity, now):
    other_child = _add_child(make_user(name="别家家长"), now, name="别家孩子")
    api.login(guardian)
    activity = make_activity()
    resp = api.post(f"/api/v1/activities/{activity.id}/signups",
                    json={"member_id": other_child.id})
    assert resp.status_code == 404
    assert resp.get_json()["code"] == "member_not_found"
    assert api.get(f"/api/v1/me/family/{other_child.id}").status_code == 404
    resp = api.post("/api/v1/me/family", json={
        "name": "王小明", "relation": "child", "birth_date": _child_birth(now).isoformat()})
    assert (resp.status_code, resp.get_json()["code"]) == (422, "member_guardian_required")


def test_api_residents_is_for_staff_in_their_subtree(api, worker, make_user, make_node):
    person, community = worker
    api.login(make_user(name="居民", phone="13955556666"))
    body = {"name": "刘奶奶", "phone": "13900001111", "home_node_id": community.id,
            "consent": True}
    assert api.post("/api/v1/residents", json=body).status_code == 403
    api.login(person)
    elsewhere = make_node(name="别的社区")
    resp = api.post("/api/v1/residents", json={**body, "home_node_id": elsewhere.id})
    assert (resp.status_code, resp.get_json()["code"]) == (403, "node_out_of_scope")
    resp = api.post("/api/v1/residents", json=body)
    assert resp.status_code == 201
    out = resp.get_json()
    assert (out["phone"], out["registered_by_name"]) == ("139****1111", "社工小赵")
    assert [r["name"] for r in api.get("/api/v1/residents").get_json()] == ["刘奶奶"]


# --- pages ---------------------------------------------------------------------------------

def test_pages_add_a_child_sign_them_up_and_see_who_did(client, guardian, make_activity, now):
    token = login(client, guardian)
    assert "家庭成员" in text(client.get("/me"))
    resp = client.post("/me/family/new", data={"name": "王小明", "relation": "child",
                                               "birth_date": _child_birth(now).isoformat(),
                                               "csrf_token": token})
    assert resp.status_code == 422
    assert "监护人" in text(resp)
    resp = client.post("/me/family/new", data={"name": "王小明", "relation": "child",
                                               "birth_date": _child_birth(now).isoformat(),
                                               "consent": "1", "csrf_token": token})
    assert resp.status_code == 302
    child = db.session.scalar(select(User).where(User.managed_by_id == guardian.id))
    page = text(client.get(resp.headers["Location"]))
    assert "王小明" in page and "由王芳代为注册" in page

    activity = make_activity(title="亲子阅读会")
    detail = text(client.get(f"/activities/{activity.id}"))
    assert f'name="member_id" value="{child.id}"' in detail
    assert "为自己报名" in detail
    resp = client.post(f"/activities/{activity.id}/signup",
                       data={"member_id": str(child.id), "csrf_token": token})
    assert resp.status_code == 303
    done = text(client.get(resp.headers["Location"]))
    assert "王小明" in done and f"/code?member={child.id}" in done
    mine = text(client.get("/me/activities"))
    assert "亲子阅读会" in mine and "为王小明报名" in mine
    detail = text(client.get(f"/activities/{activity.id}"))
    assert "由王芳代报名" in detail

    code_page = text(client.get(f"/code?member={child.id}"))
    assert "王小明" in code_page and 'aria-current="page"' in code_page
    assert client.get("/code?member=999999").status_code == 404


def test_pages_refuse_someone_elses_member(client, guardian, make_user, now):
    other_child = _add_child(make_user(name="别家家长"), now, name="别家孩子")
    login(client, guardian)
    assert client.get(f"/me/family/{other_child.id}").status_code == 404
    assert client.get(f"/code?member={other_child.id}").status_code == 404


def test_pages_a_worker_registers_a_resident_who_sees_who_did(client, worker, make_user,
                                                              make_node):
    person, community = worker
    login(client, make_user(name="居民", phone="13955556666"))
    assert client.get("/manage/residents").status_code == 403
    client = client.application.test_client()
    token = login(client, person)
    page = text(client.get("/manage/residents"))
    assert "居民已同意" in page
    resp = client.post("/manage/residents", data={
        "name": "刘奶奶", "phone": "13900001111", "home_node_id": str(community.id),
        "csrf_token": token})
    assert resp.status_code == 422 and "居民已同意" in text(resp)
    resp = client.post("/manage/residents", data={
        "name": "刘奶奶", "phone": "13900001111", "home_node_id": str(community.id),
        "consent": "1", "csrf_token": token})
    assert resp.status_code == 302
    page = text(client.get("/manage/residents"))
    assert "139****1111" in page and "13900001111" not in page
    resident = db.session.scalar(select(User).where(User.phone == "13900001111"))
    assert resident.registered_by_id == person.id
    # the resident, once logged in, sees who registered them
    from tests.conftest import _PASSWORD_HASH
    resident.password_hash = _PASSWORD_HASH
    db.session.flush()
    other = client.application.test_client()
    login(other, resident)
    assert "由社工小赵代为注册" in text(other.get("/me"))

