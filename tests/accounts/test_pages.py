"""Log in, register, my profile and messages, as a person sees them."""

from __future__ import annotations

from datetime import date, timedelta

from server.accounts.models import Consent, User
from server.extensions import db
from tests.pages import EN, PASSWORD, csrf, login, text


def _registration(token, **changes):
    data = {"csrf_token": token, "phone": "138 0013 8000", "password": "abc12345",
            "name": "阿依古丽·买买提", "gender": "female", "birth_date": "1985-06-01",
            "home_node_id": "", "skills": ["legal", "psychology"], "accept_privacy": "1",
            "guardian_name": "", "next": "/me"}
    data.update(changes)
    return data


def test_register_with_a_chinese_name(client, make_node):
    home = make_node(name="运河园社区")
    token = csrf(client, "/register")
    resp = client.post("/register", data=_registration(token, home_node_id=str(home.id)))
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/me"
    page = text(client.get("/me"))
    assert "阿依古丽·买买提" in page
    assert "13800138000" in page  # one's own number in full
    user = db.session.query(User).filter_by(phone="13800138000").one()
    assert user.skills == ["legal", "psychology"] and user.home_node_id == home.id
    assert db.session.query(Consent).filter_by(user_id=user.id, kind="privacy").count() == 1
    assert user.locale == "zh_CN"  # the language they registered in: what is sent follows it


def test_register_form_offers_communities_skills_and_the_notice(client, make_node):
    make_node(name="赵庄子村", kind="village")
    page = text(client.get("/register", headers=EN))
    assert "赵庄子村" in page
    assert 'name="skills" value="legal"' in page
    assert 'href="/privacy"' in page
    assert 'x-show="minor"' in page and "Guardian name" in page


def test_bad_phone_re_renders_the_form_with_the_message(client):
    token = csrf(client, "/register")
    resp = client.post("/register", data=_registration(token, phone="12345"), headers=EN)
    assert resp.status_code == 422
    page = text(resp)
    assert "Enter a mainland China mobile number of 11 digits" in page
    assert 'value="阿依古丽·买买提"' in page  # what was typed is kept
    assert db.session.query(User).count() == 0


def test_registration_needs_consent_and_a_guardian_for_children(client):
    token = csrf(client, "/register")
    resp = client.post("/register", data=_registration(token, accept_privacy=""), headers=EN)
    assert resp.status_code == 422
    assert "accept the privacy notice" in text(resp)
    child = (date.today() - timedelta(days=365 * 10)).isoformat()
    resp = client.post("/register", data=_registration(token, birth_date=child), headers=EN)
    assert resp.status_code == 422
    assert "a parent or guardian must give their name and consent" in text(resp)
    resp = client.post("/register", data=_registration(
        token, birth_date=child, guardian_name="李桂芳", guardian_consent="1"))
    assert resp.status_code == 302


def test_taken_phone_is_a_conflict(client, make_user):
    make_user(phone="13912345678")
    token = csrf(client, "/register")
    resp = client.post("/register", data=_registration(token, phone="13912345678"),
                       headers=EN)
    assert resp.status_code == 409
    assert "already registered" in text(resp)


def test_login_wrong_password_and_success(client, make_user):
    user = make_user(name="张建国")
    client.environ_base["REMOTE_ADDR"] = "10.1.250.1"
    token = csrf(client)
    resp = client.post("/login", data={"phone": user.phone, "password": "nope1234",
                                       "csrf_token": token}, headers=EN)
    assert resp.status_code == 401
    assert "The mobile number or password is wrong" in text(resp)
    resp = client.post("/login", data={"phone": user.phone, "password": PASSWORD,
                                       "csrf_token": token, "next": "/me/activities"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me/activities"


def test_login_never_redirects_off_site(client, make_user):
    user = make_user()
    client.environ_base["REMOTE_ADDR"] = "10.1.250.2"
    token = csrf(client)
    resp = client.post("/login", data={"phone": user.phone, "password": PASSWORD,
                                       "csrf_token": token, "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/"


def test_login_is_rate_limited(client, make_user, app):
    user = make_user()
    client.environ_base["REMOTE_ADDR"] = "10.1.250.3"
    token = csrf(client)
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        resp = client.post("/login", data={"phone": user.phone, "password": "wrong123",
                                           "csrf_token": token})
        assert resp.status_code == 401
    resp = client.post("/login", data={"phone": user.phone, "password": "wrong123",
                                       "csrf_token": token}, headers=EN)
    assert resp.status_code == 429
    assert "Too many attempts" in text(resp)


def test_pages_need_login_and_come_back_after(client):
    resp = client.get("/me")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=/me")


def test_me_page_links_and_logout(client, make_user):
    token = login(client, make_user(name="刘小红"))
    page = text(client.get("/me", headers=EN))
    for link in ("/me/activities", "/me/notifications", "/me/edit", "/lang/en", "/lang/zh_CN"):
        assert link in page
    assert "Manage activities" not in page  # residents see no staff links
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/me").status_code == 302


def test_staff_see_their_links(client, make_user, make_node, grant):
    user = make_user()
    grant(user, "admin", make_node(kind="district"))
    login(client, user)
    page = text(client.get("/me", headers=EN))
    for link in ("/manage", "/coordinator/people", "/admin/tree", "/admin/organisations",
                 "/admin/roles"):
        assert f'href="{link}"' in page


def test_edit_profile(client, make_user):
    user = make_user(name="旧名字", skills=["legal"], birth_date=None)
    token = login(client, user)
    assert "旧名字" in text(client.get("/me/edit"))
    resp = client.post("/me/edit", data={"csrf_token": token, "name": "新名字", "gender": "",
                                         "birth_date": "1970-01-02", "home_node_id": "",
                                         "skills": ["medical"]})
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.name, user.skills, user.birth_date) == ("新名字", ["medical"],
                                                       date(1970, 1, 2))
    resp = client.post("/me/edit", data={"csrf_token": token, "name": "1234"}, headers=EN)
    assert resp.status_code == 422
    assert "Enter a name in letters" in text(resp)
    # once recorded, the birth date (which gates ages and guardian consent) is fixed
    resp = client.post("/me/edit", data={"csrf_token": token, "name": "新名字",
                                         "birth_date": "2015-01-02"}, headers=EN)
    assert resp.status_code == 409 and "Ask your community worker" in text(resp)
    db.session.expire_all()
    assert db.session.get(User, user.id).birth_date == date(1970, 1, 2)


def test_care_mode_toggle(client, make_user):
    token = login(client, make_user())
    assert 'class="care-mode"' not in text(client.get("/me"))
    assert client.post("/me/care-mode", data={"csrf_token": token}).status_code == 302
    assert 'class="care-mode"' in text(client.get("/me"))


def test_language_switch(client):
    resp = client.get("/lang/en?next=/privacy")
    assert resp.status_code == 302 and resp.headers["Location"] == "/privacy"
    assert "lang=en" in resp.headers["Set-Cookie"]
    page = text(client.get("/privacy"))
    assert 'lang="en"' in page and "Your rights" in page
    assert client.get("/lang/xx").status_code == 404
    assert client.get("/lang/en?next=https://evil.example").headers["Location"] == "/"


def test_a_language_chosen_logged_in_is_the_one_messages_are_sent_in(client, make_user):
    """The switch on 我的 is the person's choice of language, not only the pages': the SMS
    codes, WeChat messages and e-mails sent to them read users.locale (tests/notifications).
    It is a form, with its CSRF token; a link (another site's, a prefetch) is a GET and
    changes the pages only."""
    person = make_user(name="王芳")
    token = login(client, person)
    page = client.get("/me").get_data(as_text=True)
    assert 'method="post" action="/lang/en?next=/me"' in page
    resp = client.post("/lang/en?next=/me", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me"
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "en"
    client.post("/lang/zh", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "zh_CN"
    assert client.post("/lang/en").status_code == 400  # no token: refused, nothing saved
    assert "lang=en" in client.get("/lang/en").headers["Set-Cookie"]
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "zh_CN"


def test_privacy_notice_shows_its_version(client, app):
    page = text(client.get("/privacy", headers=EN))
    assert app.config["PRIVACY_NOTICE_VERSION"] in page
    assert "138****1234" in page


def test_visitors_choose_language_and_care_mode_without_logging_in(client):
    page = text(client.get("/login"))
    assert "English" in page and "关怀模式：关" in page
    resp = client.get("/care/on", query_string={"next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    page = text(client.get("/login"))
    assert 'class="care-mode"' in page and "关怀模式：开" in page
    client.get("/lang/en", query_string={"next": "/login"})
    assert "Care mode: on" in text(client.get("/login"))
