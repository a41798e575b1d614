"""Logging out logs out: the old session cookie and the remember-me cookie stop working;
staying logged in is the person's choice; the CSRF token from before login does not work
after it; one address cannot try many phones or register without limit."""

from __future__ import annotations

from http.cookies import SimpleCookie

from sqlalchemy import func, select

from server.accounts.models import LoginSession
from server.extensions import db
from tests.conftest import PASSWORD, ApiClient
from tests.pages import EN, csrf, login, text


def _cookies(resp) -> dict[str, str]:
    found = {}
    for line in resp.headers.getlist("Set-Cookie"):
        for name, morsel in SimpleCookie(line).items():
            found[name] = morsel.value
    return found


def _replay(app, cookies: dict[str, str]) -> int:
    """GET /api/v1/me from a fresh client that carries only these copied cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/api/v1/me").status_code


def test_logout_ends_the_session_and_the_remember_me_cookie(app, make_user):
    user = make_user()
    api = ApiClient(app.test_client())
    resp = api.post("/api/v1/auth/login", json={"phone": user.phone, "password": PASSWORD,
                                                "remember": True})
    copied = _cookies(resp)
    assert {"session", "remember_token"} <= set(copied)
    assert _replay(app, {"session": copied["session"]}) == 200
    assert _replay(app, {"remember_token": copied["remember_token"]}) == 200
    api.refresh_token()
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert _replay(app, {"session": copied["session"]}) == 401
    assert _replay(app, {"remember_token": copied["remember_token"]}) == 401
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.ended_at.is_(None))) == 0


def test_staying_logged_in_is_a_choice_off_by_default(app, make_user, client):
    user = make_user()
    plain = ApiClient(app.test_client()).post("/api/v1/auth/login", json={
        "phone": user.phone, "password": PASSWORD})
    assert plain.status_code == 200 and "remember_token" not in _cookies(plain)
    page = text(client.get("/login", headers=EN))
    assert 'name="remember"' in page and 'name="remember" checked' not in page
    assert 'name="remember"' in text(client.get("/register", headers=EN))


def test_log_out_of_all_devices(app, make_user):
    user = make_user()
    phones = [ApiClient(app.test_client()) for _ in range(3)]
    for phone in phones:
        phone.login(user)
    listed = phones[0].get("/api/v1/me/sessions").get_json()
    assert len(listed) == 3 and sum(s["current"] for s in listed) == 1
    done = phones[0].post("/api/v1/auth/logout-everywhere")
    assert done.status_code == 200 and done.get_json() == {"ended": 3}
    assert [p.get("/api/v1/me").status_code for p in phones] == [401, 401, 401]


def test_log_out_of_all_devices_from_the_profile(app, make_user):
    user = make_user()
    other = ApiClient(app.test_client())
    other.login(user)
    client = app.test_client()
    token = login(client, user)
    page = text(client.get("/me/devices", headers=EN))
    assert "This device" in page and page.count("data-session-id=") == 2
    resp = client.post("/me/devices/logout", data={"csrf_token": token}, headers=EN)
    assert resp.status_code == 302
    assert other.get("/api/v1/me").status_code == 401
    assert client.get("/me").status_code == 302  # this one too


def test_the_csrf_token_from_before_login_does_not_work_after_it(app, make_user):
    user = make_user()
    client = app.test_client()
    before = csrf(client)
    client.post("/login", data={"phone": user.phone, "password": PASSWORD,
                                "csrf_token": before})
    stale = client.post("/logout", data={"csrf_token": before},
                        headers={"Accept": "application/json"})
    assert stale.status_code == 400 and stale.get_json()["code"] == "csrf_failed"
    assert client.get("/api/v1/me").status_code == 200


def test_one_address_cannot_try_many_phones(api):
    answers = [api.post("/api/v1/auth/login", json={
        "phone": f"1390000{i:04d}", "password": "wrong-password1"}).status_code
        for i in range(30)]
    assert answers[:20] == [401] * 20 and 429 in answers[20:]
    resp = api.post("/api/v1/auth/login", json={"phone": "13900009999", "password": "x"})
    assert resp.status_code == 429 and resp.get_json()["code"] == "rate_limited"


def test_registration_is_limited_per_address(app):
    # a fresh browser each time (registering logs in), all from one address
    answers = [ApiClient(app.test_client()).post("/api/v1/auth/register", json={
        "phone": f"1370000{i:04d}", "password": "secret123", "name": "注册者",
        "accept_privacy": True}).status_code for i in range(12)]
    assert answers.count(201) == 10 and answers[-1] == 429


def test_a_refused_login_says_when_to_try_again(api):
    for i in range(21):
        resp = api.post("/api/v1/auth/login", json={"phone": f"1390000{i:04d}",
                                                    "password": "wrong-password1"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


def test_logout_tells_the_browser_to_drop_the_remember_me_cookie(app, make_user):
    user = make_user()
    api = ApiClient(app.test_client())
    api.post("/api/v1/auth/login", json={"phone": user.phone, "password": PASSWORD,
                                         "remember": True})
    api.refresh_token()
    resp = api.post("/api/v1/auth/logout")
    dropped = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert dropped and "Expires=Thu, 01 Jan 1970" in dropped[0]
