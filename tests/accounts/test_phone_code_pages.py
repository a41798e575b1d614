"""Forgot password and log in by SMS code, as a person sees them (no JavaScript here: the
pages work without it)."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from server.accounts.models import PhoneCode
from server.extensions import db
from tests.pages import EN, PASSWORD, csrf, text

CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
NEW_PASSWORD = "newpass2026"


@pytest.fixture
def sms(caplog):
    """sms(): the codes the logging SMS adapter sent since the last call."""
    caplog.set_level(logging.INFO, logger="wushe.outgoing")
    seen = 0

    def read() -> list[str]:
        nonlocal seen
        texts = [r.getMessage() for r in caplog.records if r.name == "wushe.outgoing"]
        fresh, seen = texts[seen:], len(texts)
        return [CODE.search(t).group(0) for t in fresh]
    return read


def _ask(client, phone, start="/password/forgot", **extra):
    token = csrf(client, start)
    resp = client.post(start, data={"csrf_token": token, "phone": phone, **extra})
    assert resp.status_code == 302, text(resp)
    return token, resp


def test_the_login_page_offers_both_other_ways_in(client):
    page = text(client.get("/login"))
    assert 'href="/password/forgot"' in page and "忘记密码？" in page
    assert 'href="/login/sms"' in page and "短信验证码登录" in page
    page = text(client.get("/login", query_string={"next": "/me/activities"}))
    assert "/password/forgot?next=" in page and "/login/sms?next=" in page


def test_forgot_password_from_the_number_to_a_new_login(client, make_user, sms):
    make_user(phone="13800000001", name="张建国")
    page = text(client.get("/password/forgot"))
    assert "忘记密码" in page and 'name="phone"' in page and "获取验证码" in page
    token, resp = _ask(client, "138 0000 0001")
    assert resp.headers["Location"] == "/password/reset"
    page = text(client.get("/password/reset"))
    assert "如果 138****0001 已在五社通注册" in page and "10 分钟内有效" in page
    assert 'name="code"' in page and 'name="password"' in page
    assert 'autocomplete="one-time-code"' in page
    # the resend button: a real form (no JavaScript needed), counting down with it
    assert 'x-data="resendCode"' in page and 'data-seconds-left="60"' in page
    assert "重新获取验证码" in page
    (code,) = sms()
    resp = client.post("/password/reset", data={"csrf_token": token, "code": code,
                                                 "password": NEW_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert "密码已修改" in text(client.get("/"))
    assert "张建国" in text(client.get("/me"))
    # the new password is the one that works now
    other = client.application.test_client()
    token = csrf(other)
    for password, status in ((PASSWORD, 401), (NEW_PASSWORD, 302)):
        resp = other.post("/login", data={"csrf_token": token, "phone": "13800000001",
                                          "password": password})
        assert resp.status_code == status


def test_a_wrong_code_is_said_next_to_the_box_and_counts(client, make_user, sms):
    make_user(phone="13800000001")
    token, _ = _ask(client, "13800000001")
    (code,) = sms()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    resp = client.post("/password/reset", data={"csrf_token": token, "code": wrong,
                                                 "password": NEW_PASSWORD}, headers=EN)
    assert resp.status_code == 422
    page = text(resp)
    assert 'id="code-error"' in page and "The code is wrong" in page
    assert db.session.scalar(select(PhoneCode.attempts)) == 1  # the try counted
    resp = client.post("/password/reset", data={"csrf_token": token, "code": code,
                                                 "password": "short"}, headers=EN)
    assert resp.status_code == 422 and 'id="password-error"' in text(resp)
    assert db.session.scalar(select(PhoneCode.attempts)) == 1


def test_asking_again_too_soon_says_how_long_to_wait(client, make_user, sms):
    make_user(phone="13800000001")
    token, _ = _ask(client, "13800000001")
    assert len(sms()) == 1
    # the resend button (or a second tap) comes too early: on to the code, with the wait
    resp = client.post("/password/forgot", data={"csrf_token": token,
                                                  "phone": "13800000001"}, headers=EN)
    assert resp.status_code == 302 and resp.headers["Location"] == "/password/reset"
    page = text(client.get("/password/reset", headers=EN))
    assert re.search(r"Codes were asked for too often\. Try again in (59|60) seconds\.", page)
    assert re.search(r'data-seconds-left="(59|60)"', page)
    assert sms() == []
    assert len(db.session.scalars(select(PhoneCode)).all()) == 1


def test_a_bad_number_stays_on_the_form(client):
    token = csrf(client, "/password/forgot")
    resp = client.post("/password/forgot", data={"csrf_token": token, "phone": "12345"},
                       headers=EN)
    assert resp.status_code == 422
    page = text(resp)
    assert 'id="phone-error"' in page and "11 digits" in page and 'value="12345"' in page


def test_the_code_step_needs_the_number_step_first(client):
    assert client.get("/password/reset").headers["Location"] == "/password/forgot"
    assert client.get("/login/sms/code").headers["Location"] == "/login/sms"


def _normalised(page: str) -> str:
    page = re.sub(r'(value|content)="[^"]*"', r'\1=""', page)  # tokens, the typed number
    return re.sub(r"1[37]\d\*{4}\d{4}", "MASKED", page)


def test_an_unregistered_number_sees_the_same_pages(app, make_user, sms):
    make_user(phone="13800000001")
    seen = []
    for n, phone in enumerate(("13800000001", "13700000007")):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.4.0.{n + 1}"
        token, resp = _ask(browser, phone)
        step = text(browser.get(resp.headers["Location"]))
        wrong = browser.post("/password/reset", data={"csrf_token": token, "code": "000000",
                                                      "password": NEW_PASSWORD})
        seen.append((resp.headers["Location"], _normalised(step), wrong.status_code,
                     _normalised(text(wrong))))
    assert seen[0] == seen[1]
    assert len(sms()) == 1


def test_a_disabled_account_cannot_reset(client, make_user, sms):
    user = make_user(phone="13800000001")
    token, _ = _ask(client, "13800000001")
    (code,) = sms()
    user.active = False
    db.session.flush()
    resp = client.post("/password/reset", data={"csrf_token": token, "code": code,
                                                 "password": NEW_PASSWORD}, headers=EN)
    assert resp.status_code == 403 and "This account is disabled" in text(resp)


def test_logging_in_by_sms_code_goes_where_the_person_was_going(client, make_user, sms):
    make_user(phone="13800000001", name="王芳")
    page = text(client.get("/login/sms", query_string={"next": "/me/activities"}))
    assert "短信验证码登录" in page and 'name="next" value="/me/activities"' in page
    token, resp = _ask(client, "13800000001", start="/login/sms", next="/me/activities")
    assert resp.headers["Location"].startswith("/login/sms/code?next=")
    page = text(client.get(resp.headers["Location"]))
    assert 'name="code"' in page and 'name="password"' not in page
    assert 'name="next" value="/me/activities"' in page
    (code,) = sms()
    resp = client.post("/login/sms/code", data={"csrf_token": token, "code": code,
                                                "next": "/me/activities", "remember": "1"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me/activities"
    assert "remember_token" in "".join(resp.headers.getlist("Set-Cookie"))
    assert "王芳" in text(client.get("/me"))
    # logged in: the page to ask for a login code sends the person on
    assert client.get("/login/sms").status_code == 302


def test_the_pages_speak_english_on_request(client):
    page = text(client.get("/password/forgot", headers=EN))
    assert "Forgot password" in page and "Send code" in page
    page = text(client.get("/login/sms", headers=EN))
    assert "Log in with an SMS code" in page and "Log in with your password" in page
