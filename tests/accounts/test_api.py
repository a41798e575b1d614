"""/api/v1 auth, me, people and roles: status codes and the error envelope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.accounts.models import Consent, RoleAssignment, User
from server.activities import signups
from server.extensions import db


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def _registration(**changes):
    data = {"phone": "138 0013 8000", "password": "abc12345", "name": "王小红",
            "accept_privacy": True}
    data.update(changes)
    return data


def _user(phone):
    return db.session.scalar(select(User).where(User.phone == phone))


# --- register --------------------------------------------------------------------------------

def test_register_creates_account_logs_in_and_records_consent(api, app, make_node):
    home = make_node(name="运河园社区")
    resp = api.post("/api/v1/auth/register", json=_registration(
        home_node_id=home.id, skills=["legal"], gender="female", birth_date="1985-06-01"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["phone"] == "13800138000"  # one's own number, in full
    assert body["home_node_name"] == "运河园社区" and body["skills"] == ["legal"]
    assert db.session.get(User, body["id"]).locale == "zh_CN"  # registered in Chinese
    assert "password" not in body and body["roles"] == []

    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["id"] == body["id"]
    consents = db.session.scalars(select(Consent).where(Consent.user_id == body["id"])).all()
    assert [(c.kind, c.notice_version) for c in consents] == [
        ("privacy", app.config["PRIVACY_NOTICE_VERSION"])]


def test_registering_in_english_keeps_english_as_the_person_s_language(api):
    resp = api.post("/api/v1/auth/register", json=_registration(),
                    headers={"Accept-Language": "en-US,en;q=0.9"})
    assert resp.status_code == 201, resp.get_json()
    assert db.session.get(User, resp.get_json()["id"]).locale == "en"


def test_register_accepts_a_minority_name_with_middle_dot(api):
    resp = api.post("/api/v1/auth/register", json=_registration(name="阿依古丽·买买提"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["name"] == "阿依古丽·买买提"
    assert _user("13800138000").name == "阿依古丽·买买提"


def test_register_refuses_a_bad_phone(api):
    _envelope(api.post("/api/v1/auth/register", json=_registration(phone="12345")),
              422, "invalid_phone")
    assert db.session.scalar(select(User).where(User.phone == "12345")) is None


def test_register_refuses_a_taken_phone(api, make_user):
    make_user(phone="13800138000")
    _envelope(api.post("/api/v1/auth/register", json=_registration()), 409, "phone_taken")


def test_several_mistakes_each_get_their_own_words(api, client):
    """A short password and no consent at once: each field says what is wrong with it, in
    the API and on the page, not one "needs your attention" everywhere."""
    body = _envelope(api.post("/api/v1/auth/register", json=_registration(
        password="123", accept_privacy=False)), 422, "validation_error")
    words = body["errors"]
    assert "8" in words["password"][0] and "字母" in words["password"][0]
    assert "隐私" in words["accept_privacy"][0]
    assert words["password"] != words["accept_privacy"]
    from tests.pages import csrf, text
    token = csrf(client, "/register")
    page = text(client.post("/register", data={
        "csrf_token": token, "phone": "13800138001", "password": "123", "name": "王芳"}))
    assert "密码至少8位" in page and "请阅读并同意" in page, page


def test_register_needs_privacy_consent(api):
    _envelope(api.post("/api/v1/auth/register", json=_registration(accept_privacy=False)),
              422, "consent_required")
    assert _user("13800138000") is None


def test_register_refuses_an_unknown_home_node(api):
    body = _envelope(api.post("/api/v1/auth/register", json=_registration(home_node_id=999999)),
                     422, "unknown_node")
    assert "home_node_id" in body["errors"]


def test_under_14_needs_a_guardian(api, now):
    child = (now.date() - timedelta(days=365 * 10)).isoformat()
    _envelope(api.post("/api/v1/auth/register", json=_registration(birth_date=child)),
              422, "guardian_consent_required")
    _envelope(api.post("/api/v1/auth/register", json=_registration(
        birth_date=child, guardian_name="王大力")), 422, "guardian_consent_required")
    assert _user("13800138000") is None


def test_under_14_with_guardian_consent_records_both_consents(api, app, now):
    child = (now.date() - timedelta(days=365 * 10)).isoformat()
    resp = api.post("/api/v1/auth/register", json=_registration(
        birth_date=child, guardian_name="王大力", guardian_consent=True))
    assert resp.status_code == 201, resp.get_json()
    user = _user("13800138000")
    assert user.guardian_name == "王大力"
    consents = db.session.scalars(select(Consent).where(Consent.user_id == user.id)
                                  .order_by(Consent.kind)).all()
    version = app.config["PRIVACY_NOTICE_VERSION"]
    assert [(c.kind, c.notice_version, c.guardian_name) for c in consents] == [
        ("guardian", version, "王大力"), ("privacy", version, None)]


# --- schema errors and CSRF ------------------------------------------------------------------

def test_missing_and_mistyped_fields_are_named(api):
    body = _envelope(api.post("/api/v1/auth/register", json={"accept_privacy": "perhaps"}),
                     422, "validation_error")
    assert {"phone", "password", "name", "accept_privacy"} <= set(body["errors"])


def test_unknown_json_field_is_refused(api):
    body = _envelope(api.post("/api/v1/auth/register", json=_registration(nickname="小红")),
                     422, "validation_error")
    assert set(body["errors"]) == {"nickname"}
    assert _user("13800138000") is None


def test_a_write_without_the_csrf_header_is_refused(client, make_user):
    user = make_user()
    resp = client.post("/api/v1/auth/login", json={"phone": user.phone, "password": "secret123"})
    _envelope(resp, 400, "csrf_failed")
    _envelope(client.get("/api/v1/me"), 401, "login_required")


# --- login and logout ------------------------------------------------------------------------

def test_login_me_and_logout(api, make_user):
    user = make_user(phone="13612341234", name="张三丰")
    resp = api.post("/api/v1/auth/login", json={"phone": "136 1234 1234",
                                                 "password": "secret123"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["id"] == user.id
    api.refresh_token()
    assert api.get("/api/v1/me").get_json()["phone"] == "13612341234"
    assert api.post("/api/v1/auth/logout").status_code == 204
    _envelope(api.get("/api/v1/me"), 401, "login_required")


def test_bad_credentials(api, make_user):
    user = make_user()
    _envelope(api.post("/api/v1/auth/login", json={"phone": user.phone, "password": "wrong123"}),
              401, "bad_credentials")
    _envelope(api.post("/api/v1/auth/login", json={"phone": "13000000000",
                                                    "password": "secret123"}),
              401, "bad_credentials")
    _envelope(api.get("/api/v1/me"), 401, "login_required")


def test_disabled_account_cannot_log_in(api, make_user):
    user = make_user()
    user.active = False
    db.session.flush()
    _envelope(api.post("/api/v1/auth/login", json={"phone": user.phone, "password": "secret123"}),
              403, "account_disabled")


def test_login_is_rate_limited_per_address_and_phone(api, app, make_user):
    # a phone no other test uses: the limiter's memory outlives each test's transaction
    target = make_user(phone="13711110000")
    attempts = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    # writing the number differently does not buy more attempts
    spellings = ["13711110000", "137 1111 0000", "+8613711110000", "137-1111-0000"]
    for n in range(attempts):
        _envelope(api.post("/api/v1/auth/login", json={"phone": spellings[n % len(spellings)],
                                                        "password": "wrong123"}),
                  401, "bad_credentials")
    refused = api.post("/api/v1/auth/login", json={"phone": target.phone,
                                                    "password": "secret123"})
    # a limit per minute: the seconds left of it, in words and in Retry-After
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 60
    assert _envelope(refused, 429, "rate_limited")["message"] in {
        f"操作过于频繁，请在 {n} 秒后再试。" for n in (wait, wait + 1)}
    # someone else logging in from the same address is not locked out
    api.login(make_user())


# --- me --------------------------------------------------------------------------------------

def test_update_profile(api, make_user, make_node):
    user = make_user()
    home = make_node(name="魏善庄村", kind="village")
    api.login(user)
    resp = api.patch("/api/v1/me", json={"name": "李梅", "skills": ["medical", "it"],
                                         "home_node_id": home.id, "care_mode": True})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["home_node_name"] == "魏善庄村"
    db.session.refresh(user)
    assert (user.name, user.skills, user.care_mode) == ("李梅", ["medical", "it"], True)


def test_update_profile_refuses_bad_values(api, make_user):
    user = make_user()
    api.login(user)
    body = _envelope(api.patch("/api/v1/me", json={"skills": ["juggling"], "phone": "1"}),
                     422, "validation_error")
    assert {"skills.0", "phone"} <= set(body["errors"])
    _envelope(api.patch("/api/v1/me", json={"name": "12345"}), 422, "invalid_name")
    _envelope(api.patch("/api/v1/me", json={"home_node_id": 999999}), 422, "unknown_node")
    db.session.refresh(user)
    assert user.name == "李小梅"


def test_my_activities_show_waitlist_position(api, make_user, make_activity, now):
    me = make_user()
    full = make_activity(title="满员的讲堂", capacity=1)
    open_ = make_activity(title="有空位的活动", starts_in=timedelta(days=5))
    signups.sign_up(full.id, user=make_user(), now=now)
    signups.sign_up(full.id, user=make_user(), now=now)
    signups.sign_up(full.id, user=me, now=now)
    signups.sign_up(open_.id, user=me, now=now)
    api.login(me)
    resp = api.get("/api/v1/me/activities")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [(s["activity_title"], s["status"], s["position"]) for s in body["upcoming"]] == [
        ("有空位的活动", "confirmed", None)]
    assert [(s["activity_title"], s["status"], s["position"]) for s in body["waitlisted"]] == [
        ("满员的讲堂", "waitlisted", 2)]
    assert body["past"] == []


def test_me_needs_login(client):
    for path in ("/api/v1/me", "/api/v1/me/activities", "/api/v1/me/notifications"):
        _envelope(client.get(path), 401, "login_required")


# --- people and roles ------------------------------------------------------------------------

def test_people_shows_masked_phones_to_a_coordinator(api, make_user, make_node, grant):
    community = make_node(name="运河园社区")
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", community.parent)
    make_user(name="赵大妈", phone="13812341234", home_node=community)
    make_user(name="别处的人", home_node=make_node(name="别处社区"))
    api.login(coordinator)
    resp = api.get("/api/v1/people")
    assert resp.status_code == 200
    assert [(p["name"], p["phone"]) for p in resp.get_json()] == [("赵大妈", "138****1234")]
    assert "13812341234" not in resp.get_data(as_text=True)
    assert api.get("/api/v1/people?q=赵").get_json()[0]["name"] == "赵大妈"
    assert api.get("/api/v1/people?q=王").get_json() == []


def test_people_is_forbidden_to_residents(api, make_user):
    api.login(make_user())
    _envelope(api.get("/api/v1/people"), 403, "forbidden")


def test_admin_grants_lists_and_revokes_a_role(api, make_user, make_node, grant):
    community = make_node(name="运河园社区")
    admin = make_user(name="管理员")
    grant(admin, "admin", community.parent)
    newcomer = make_user(name="新社工", phone="13512345678")
    api.login(admin)

    resp = api.post("/api/v1/roles", json={"user_phone": "13512345678", "role": "coordinator",
                                           "node_id": community.id})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["user_name"], body["user_phone"], body["node_name"]) == (
        "新社工", "135****5678", "运河园社区")
    _envelope(api.post("/api/v1/roles", json={"user_phone": "13512345678",
                                              "role": "coordinator", "node_id": community.id}),
              409, "role_exists")

    listed = api.get("/api/v1/roles").get_json()
    assert {(g["user_name"], g["role"]) for g in listed} == {
        ("管理员", "admin"), ("新社工", "coordinator")}

    assert api.delete(f"/api/v1/roles/{body['id']}").status_code == 204
    db.session.expire_all()
    assert db.session.get(RoleAssignment, body["id"]) is None
    assert newcomer.roles == []


def test_granting_to_an_unknown_phone(api, make_user, make_node, grant):
    community = make_node()
    admin = make_user()
    grant(admin, "admin", community)
    api.login(admin)
    _envelope(api.post("/api/v1/roles", json={"user_phone": "13900000000", "role": "admin",
                                              "node_id": community.id}),
              404, "user_not_found")
    _envelope(api.post("/api/v1/roles", json={"user_phone": "13512345678", "role": "mayor",
                                              "node_id": community.id}),
              422, "validation_error")


def test_an_organiser_role_needs_an_organisation(api, make_user, make_org, grant):
    org = make_org()
    admin = make_user()
    grant(admin, "admin", org.node)
    target = make_user()
    api.login(admin)
    _envelope(api.post("/api/v1/roles", json={"user_phone": target.phone, "role": "organiser",
                                              "node_id": org.node.id}), 422, "bad_role")
    resp = api.post("/api/v1/roles", json={"user_phone": target.phone, "role": "organiser",
                                           "node_id": org.node.id, "organisation_id": org.id})
    assert resp.status_code == 201 and resp.get_json()["organisation_name"] == org.name


def test_nobody_removes_their_own_admin_role(api, make_user, make_node, grant):
    admin = make_user()
    own = grant(admin, "admin", make_node())
    api.login(admin)
    _envelope(api.delete(f"/api/v1/roles/{own.id}"), 403, "own_admin_role")
    _envelope(api.delete("/api/v1/roles/999999"), 404, "grant_not_found")


def test_birth_date_in_register_is_a_date(api, now):
    body = _envelope(api.post("/api/v1/auth/register", json=_registration(
        birth_date="yesterday")), 422, "validation_error")
    assert "birth_date" in body["errors"]
    future = (now.date() + timedelta(days=30)).isoformat()
    _envelope(api.post("/api/v1/auth/register", json=_registration(birth_date=future)),
              422, "birth_date_in_future")
