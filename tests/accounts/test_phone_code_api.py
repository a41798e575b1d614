"""/api/v1/auth/codes, /password-reset and /login-code: status codes and the error envelope."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from server.accounts.models import PhoneCode
from server.extensions import db
from tests.conftest import PASSWORD, ApiClient

CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
NEW_PASSWORD = "newpass2026"


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


@pytest.fixture
def sms(caplog):
    """sms(): the texts the logging SMS adapter wrote since the last call."""
    caplog.set_level(logging.INFO, logger="wushe.outgoing")
    seen = 0

    def read() -> list[str]:
        nonlocal seen
        texts = [r.getMessage() for r in caplog.records if r.name == "wushe.outgoing"]
        fresh, seen = texts[seen:], len(texts)
        return fresh
    return read


@pytest.fixture
def code_by_sms(api, sms):
    """code_by_sms(phone, purpose): ask through the API; the code the SMS carried."""
    def ask(phone, purpose="reset"):
        resp = api.post("/api/v1/auth/codes", json={"phone": phone, "purpose": purpose})
        assert resp.status_code == 202, resp.get_json()
        (text,) = sms()
        return CODE.search(text).group(0)
    return ask


def _attempts(phone):
    return db.session.scalar(select(PhoneCode.attempts).where(PhoneCode.phone == phone)
                             .order_by(PhoneCode.id.desc()).limit(1))


def test_asking_answers_the_same_for_any_number(api, make_user, sms):
    make_user(phone="13800000001")
    answers = [api.post("/api/v1/auth/codes", json={"phone": phone, "purpose": "reset"})
               for phone in ("13800000001", "13700000007")]
    assert [r.status_code for r in answers] == [202, 202]
    assert answers[0].get_json() == answers[1].get_json() == {
        "sent": True, "resend_after": 60, "expires_in": 600}
    assert len(sms()) == 1  # to the registered number only
    again = [api.post("/api/v1/auth/codes", json={"phone": phone, "purpose": "login"})
             for phone in ("13800000001", "13700000007")]
    bodies = [_envelope(r, 429, "code_too_soon") for r in again]
    assert bodies[0] == bodies[1]
    assert [r.headers["Retry-After"] for r in again] == ["60", "60"]
    assert sms() == []


def test_asking_needs_the_csrf_header_and_a_real_number(client, api):
    _envelope(client.post("/api/v1/auth/codes", json={"phone": "13800000001",
                                                       "purpose": "reset"}),
              400, "csrf_failed")
    _envelope(api.post("/api/v1/auth/codes", json={"phone": "12345", "purpose": "reset"}),
              422, "invalid_phone")
    body = _envelope(api.post("/api/v1/auth/codes", json={"phone": "13800000001",
                                                          "purpose": "admin"}),
                     422, "validation_error")
    assert set(body["errors"]) == {"purpose"}
    assert db.session.scalars(select(PhoneCode)).all() == []


def test_resetting_ends_every_login_and_logs_in_here(app, api, make_user, code_by_sms):
    user = make_user(phone="13800000001")
    elsewhere = ApiClient(app.test_client())
    elsewhere.login(user)
    assert elsewhere.get("/api/v1/me").status_code == 200
    code = code_by_sms("13800000001")
    resp = api.post("/api/v1/auth/password-reset", json={
        "phone": "138 0000 0001", "code": code, "password": NEW_PASSWORD, "remember": True})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["id"] == user.id
    assert "remember_token" in "".join(resp.headers.getlist("Set-Cookie"))
    assert api.get("/api/v1/me").get_json()["id"] == user.id
    _envelope(elsewhere.get("/api/v1/me"), 401, "login_required")
    fresh = ApiClient(app.test_client())
    _envelope(fresh.post("/api/v1/auth/login", json={"phone": user.phone,
                                                     "password": PASSWORD}),
              401, "bad_credentials")
    fresh.login(user, password=NEW_PASSWORD)
    api.refresh_token()  # the login started a fresh session
    _envelope(api.post("/api/v1/auth/password-reset", json={
        "phone": "13800000001", "code": code, "password": "again2026"}), 422, "code_used")


def test_a_wrong_code_counts_although_refused(api, make_user, code_by_sms):
    make_user(phone="13800000001")
    code = code_by_sms("13800000001", "login")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for k in range(1, 6):
        body = _envelope(api.post("/api/v1/auth/login-code", json={
            "phone": "13800000001", "code": wrong}), 422, "wrong_code")
        assert set(body["errors"]) == {"code"}
        assert _attempts("13800000001") == k  # the refusal committed the try
    _envelope(api.post("/api/v1/auth/login-code", json={"phone": "13800000001",
                                                         "code": code}),
              422, "code_tries_used_up")
    _envelope(api.get("/api/v1/me"), 401, "login_required")


def test_logging_in_by_code(api, make_user, code_by_sms):
    user = make_user(phone="13800000001")
    code = code_by_sms("13800000001", "login")
    resp = api.post("/api/v1/auth/login-code", json={"phone": "13800000001", "code": code})
    assert resp.status_code == 200 and resp.get_json()["id"] == user.id
    assert "remember_token" not in "".join(resp.headers.getlist("Set-Cookie"))
    assert api.get("/api/v1/me").status_code == 200


def test_an_unregistered_number_answers_as_a_wrong_code(api, make_user, code_by_sms, sms):
    make_user(phone="13800000001")
    code = code_by_sms("13800000001", "login")
    api.post("/api/v1/auth/codes", json={"phone": "13700000007", "purpose": "login"})
    assert sms() == []
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [api.post("/api/v1/auth/login-code", json={"phone": phone, "code": wrong})
               for phone in ("13800000001", "13700000007")]
    assert answers[0].get_json() == answers[1].get_json()
    _envelope(answers[1], 422, "wrong_code")


def test_refusals_have_their_codes(api, make_user, code_by_sms):
    user = make_user(phone="13800000001")
    code = code_by_sms("13800000001")
    _envelope(api.post("/api/v1/auth/password-reset", json={
        "phone": "13800000001", "code": code, "password": "short"}), 422, "weak_password")
    _envelope(api.post("/api/v1/auth/password-reset", json={
        "phone": "13800000001", "code": "12 34", "password": NEW_PASSWORD}),
        422, "invalid_code")
    _envelope(api.post("/api/v1/auth/login-code", json={"phone": "13800000001",
                                                         "code": code}),
              422, "code_expired")  # a reset code does not log in
    assert _attempts("13800000001") == 0
    user.active = False
    db.session.flush()
    _envelope(api.post("/api/v1/auth/password-reset", json={
        "phone": "13800000001", "code": code, "password": NEW_PASSWORD}),
        403, "account_disabled")
    body = _envelope(api.post("/api/v1/auth/login-code", json={"phone": "13800000001"}),
                     422, "validation_error")
    assert set(body["errors"]) == {"code"}


def test_the_refusals_speak_chinese(api, make_user):
    resp = api.post("/api/v1/auth/login-code", json={"phone": "13800000001",
                                                      "code": "123456"},
                    headers={"Accept-Language": "zh-CN"})
    assert _envelope(resp, 422, "code_expired")["message"] == "验证码已过期，请重新获取。"
    api.post("/api/v1/auth/codes", json={"phone": "13800000001", "purpose": "login"})
    resp = api.post("/api/v1/auth/codes", json={"phone": "13800000001", "purpose": "login"},
                    headers={"Accept-Language": "zh-CN"})
    assert _envelope(resp, 429, "code_too_soon")["message"] == (
        "获取验证码过于频繁，请在 60 秒后再试。")


def test_the_endpoints_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, schema in (("/api/v1/auth/codes", "CodeRequestIn"),
                         ("/api/v1/auth/password-reset", "PasswordResetIn"),
                         ("/api/v1/auth/login-code", "CodeLoginIn")):
        op = spec["paths"][path]["post"]
        assert op["summary"]
        assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
            schema)
    assert "202" in spec["paths"]["/api/v1/auth/codes"]["post"]["responses"]
    for code in ("code_too_soon", "wrong_code", "code_expired", "code_used",
                 "code_tries_used_up", "invalid_code"):
        assert f"| `{code}` |" in spec["info"]["description"]
    assert "code" not in spec["components"]["schemas"]["MeOut"]["properties"]
