"""The session cookie's signature is checked once per cookie (server.core.cookies), and
still: each request gets its own copy, a changed cookie is refused, an old one expires."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import request, session

from server import extensions
from server.core import cookies


def _cookie(app, data: dict) -> str:
    with app.test_request_context("/"):
        for key, value in data.items():
            session[key] = value
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
    header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def _open(app, cookie: str):
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}):
        return app.session_interface.open_session(app, request)


def test_the_app_checks_each_cookie_once(app):
    assert isinstance(app.session_interface, cookies.CheckedOnceSessions)


def test_a_remembered_cookie_still_gives_each_request_its_own_session(app):
    cookie = _cookie(app, {"cart": ["a"], "who": "张三"})
    first = _open(app, cookie)
    assert dict(first) == {"cart": ["a"], "who": "张三"}
    first["cart"].append("changed by the first request")
    first["who"] = "李四"
    second = _open(app, cookie)  # from the remembered check this time
    assert dict(second) == {"cart": ["a"], "who": "张三"}
    assert (app.secret_key, cookie) in app.session_interface._checked


def test_a_cookie_changed_by_one_byte_is_not_a_session(app):
    cookie = _cookie(app, {"who": "张三"})
    assert dict(_open(app, cookie)) == {"who": "张三"}
    # a byte of the payload (the signature's last character may only carry padding bits)
    forged = cookie[:3] + ("A" if cookie[3] != "A" else "B") + cookie[4:]
    assert dict(_open(app, forged)) == {}
    assert (app.secret_key, forged) not in app.session_interface._checked


def test_a_remembered_cookie_expires_with_the_session_lifetime(app, monkeypatch):
    cookie = _cookie(app, {"who": "张三"})
    assert dict(_open(app, cookie)) == {"who": "张三"}
    lifetime = app.permanent_session_lifetime
    later = time.time() + lifetime.total_seconds() + 5
    monkeypatch.setattr(cookies, "now", lambda: later)
    assert dict(_open(app, cookie)) == {}
    monkeypatch.setattr(app, "permanent_session_lifetime", lifetime + timedelta(days=1))
    assert dict(_open(app, cookie)) == {"who": "张三"}


# the CSRF token -------------------------------------------------------------------------

def _token(client) -> str:
    return client.get("/api/v1/auth/csrf").get_json()["csrf_token"]


def _write(client, token: str | None, **headers):
    """A write that needs the token: a login with a wrong password (refused as such when
    the token passes, as csrf_failed when it does not)."""
    if token:
        headers["X-CSRFToken"] = token
    answer = client.post("/api/v1/auth/login", headers=headers,
                         json={"phone": "13800000000", "password": "not-the-password"})
    return answer.get_json()["code"]


def test_a_remembered_token_is_still_the_sessions_own(app):
    phone, other = app.test_client(), app.test_client()
    token = _token(phone)
    assert _write(phone, token) != "csrf_failed"
    assert any(key[1] == token for key in extensions.csrf._checked)
    assert _write(phone, token) != "csrf_failed"  # from memory now
    _token(other)  # another session, with its own token
    assert _write(other, token) == "csrf_failed"
    assert _write(phone, None) == "csrf_failed"


def test_a_remembered_token_expires_and_is_checked_against_the_referrer_on_https(
        app, monkeypatch):
    phone = app.test_client()
    token = _token(phone)
    assert _write(phone, token) != "csrf_failed"
    https = {"base_url": "https://wushe.example/"}
    secure = app.test_client()
    token = secure.get("/api/v1/auth/csrf", **https).get_json()["csrf_token"]

    def send(**headers):
        answer = secure.post("/api/v1/auth/login", json={"phone": "13800000000",
                                                          "password": "x" * 8},
                             headers={"X-CSRFToken": token, **headers}, **https)
        return answer.get_json()["code"]
    assert send(Referer="https://wushe.example/login") != "csrf_failed"
    assert send(Referer="https://wushe.example/login") != "csrf_failed"  # remembered
    assert send(Referer="https://elsewhere.example/") == "csrf_failed"
    assert send() == "csrf_failed"
    later = time.time() + app.config["WTF_CSRF_TIME_LIMIT"] + 5
    monkeypatch.setattr(cookies, "now", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert send(Referer="https://wushe.example/login") == "csrf_failed"


def test_a_json_body_brings_its_token_in_either_header_and_nowhere_else(app):
    """For a JSON body the token is read from the headers alone (there is no form)."""
    phone = app.test_client()
    token = _token(phone)
    assert _write(phone, None, **{"X-CSRF-Token": token}) != "csrf_failed"
    assert _write(phone, None, **{"X-CSRFToken": ""}) == "csrf_failed"
    answer = phone.post("/api/v1/auth/login", json={
        "phone": "13800000000", "password": "not-the-password", "csrf_token": token})
    assert answer.get_json()["code"] == "csrf_failed"  # a JSON field is not a form field
