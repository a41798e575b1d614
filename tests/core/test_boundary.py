"""Hostile input is refused at the boundary with its own code, and nothing is written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from server.accounts.models import User
from server.extensions import db
from tests.pages import csrf

EN = {"Accept-Language": "en"}


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status and body["message"], body
    assert "\u4e00" <= body["message"][0] <= "\u9fff" or body["message"][0].isascii()
    return body


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("url", [
    "/?q=%00", "/api/v1/activities?q=%00", "/verify/%00abc", "/api/v1/certificates/verify/%00",
    "/funds?x=%01", "/api/v1/activities?q=%EF%BF%BF"])
def test_control_characters_in_a_url_are_refused_for_anyone(client, url):
    resp = client.get(url, headers={"Accept": "application/json"})
    _envelope(resp, 400, "invalid_characters")


def test_a_page_says_it_in_words_without_the_code(client):
    resp = client.get("/?q=%00", headers=EN)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "characters that cannot be stored" in page
    assert "invalid_characters" not in page.replace('data-error-code="invalid_characters"', "")


@pytest.mark.parametrize("body", [
    '{"phone": "13800000001\\u0000", "password": "x"}',
    '{"phone": "13800000001", "password": "\\ud800"}',
    '{"phone": "138", "password": "a\\u001bb"}',
    '{"phone\\u0000": "138", "password": "x"}',
])
def test_nul_and_lone_surrogates_in_json_are_refused(api, body):
    resp = api.post("/api/v1/auth/login", data=body, content_type="application/json")
    _envelope(resp, 400, "invalid_characters")


def test_nul_in_a_form_field_is_refused_and_nothing_is_written(client):
    before = _users()
    resp = client.post("/register", data={"phone": "13912345678", "name": "李\x00梅",
                                          "password": "secret123", "accept_privacy": "on",
                                          "csrf_token": csrf(client, "/register")},
                       headers={"Accept": "application/json"})
    body = _envelope(resp, 400, "invalid_characters")
    assert list(body["errors"]) == ["name"]
    assert _users() == before


def test_json_refusals_name_the_fields(api):
    body = _envelope(api.post("/api/v1/auth/login", json={
        "phone": "138\x0b00000001", "password": "x", "extra": {"notes": ["ok", "a\x01"]}}),
        400, "invalid_characters")
    assert set(body["errors"]) == {"phone", "extra.notes.1"}
    assert body["errors"]["phone"] == ["此项含有无法保存的字符（控制字符或损坏的字符），请删除。"]


def test_a_page_form_comes_back_with_what_was_typed_and_the_field_named(client):
    before = _users()
    token = csrf(client, "/register")
    resp = client.post("/register", data={"phone": "13912345678", "name": "李\x00梅",
                                          "password": "secret123", "accept_privacy": "on",
                                          "csrf_token": token})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and _users() == before
    assert "已从此项中删除无法保存的字符" in page and 'value="李梅"' in page
    assert 'value="13912345678"' in page and 'data-error-code' not in page


def test_the_profile_form_too(client, make_user):
    from tests.pages import login
    user = make_user(name="旧名字")
    token = login(client, user)
    resp = client.post("/me/edit", data={"csrf_token": token, "name": "新\x0c名字"},
                       headers=EN)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'value="新名字"' in page
    assert "Characters that cannot be stored were removed from this" in page
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "旧名字"


def test_a_field_the_view_never_reads_is_refused_after_it_and_its_work_undone(
        client, make_user):
    """A view that does not read its form through a schema still never acts on it: what
    it did is rolled back, and the session (here, a logout) is as it was."""
    from tests.pages import login
    token = login(client, make_user())
    resp = client.post("/logout", data={"csrf_token": token, "note": "好\x00评"}, headers=EN)
    assert resp.status_code == 400 and "characters that cannot be stored" in (
        resp.get_data(as_text=True))
    assert client.get("/me").status_code == 200  # still logged in


def test_deep_json_is_refused_not_a_crash(api):
    for depth in (33, 5000, 100_000):
        body = "[" * depth + "]" * depth
        resp = api.post("/api/v1/auth/login", data=body, content_type="application/json")
        _envelope(resp, 400, "too_deep")
    shallow = '{"phone": "13800000001", "password": "x", "remember": false}'
    assert api.post("/api/v1/auth/login", data=shallow,
                    content_type="application/json").status_code == 401


def test_duplicate_keys_are_refused_not_the_last_one_taken(api, make_user):
    user = make_user()
    body = json.dumps({"phone": user.phone})[:-1] + ', "password": "wrong", ' \
        '"password": "secret123"}'
    resp = api.post("/api/v1/auth/login", data=body, content_type="application/json")
    body = _envelope(resp, 400, "duplicate_key")
    assert "password" in body["errors"]


def test_a_huge_body_is_refused_with_413_before_it_is_read(api):
    resp = api.post("/api/v1/auth/login", data=b"x" * (50 * 1024 * 1024),
                    content_type="application/json")
    _envelope(resp, 413, "too_large")
    big_json = json.dumps({"phone": "1" * 1_200_000, "password": "x"})  # over MAX_JSON_BYTES
    resp = api.post("/api/v1/auth/login", data=big_json, content_type="application/json")
    _envelope(resp, 413, "too_large")


@pytest.mark.parametrize("body", [b'{"phone": ', b'\xff\xfe{}', b'{"a": NaN}',
                                  b'{"a": 1e999999}', b'{"a": ' + b"9" * 60 + b"}"])
def test_broken_or_absurd_json_is_invalid_json(api, body):
    _envelope(api.post("/api/v1/auth/login", data=body, content_type="application/json"),
              400, "invalid_json")


def test_a_form_field_sent_twice_is_refused(client, make_user):
    user = make_user()
    form = MultiDict([("phone", "13800000009"), ("phone", user.phone),
                      ("password", "secret123"), ("csrf_token", csrf(client))])
    resp = client.post("/login", data=form, headers=EN)
    assert resp.status_code == 422
    assert "sent twice" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/activities/١", "/api/v1/activities/١٢", "/activities/１",
                                  "/api/v1/activities/99999999999"])
def test_ids_in_urls_are_ascii_digits_within_range(client, path):
    resp = client.get(path, headers={"Accept": "application/json"})
    assert resp.status_code == 404


@pytest.mark.parametrize(("method", "url"), [
    ("POST", "/api/v1/roles"), ("POST", "/api/v1/nodes"), ("PATCH", "/api/v1/organisations/1"),
    ("POST", "/api/v1/desk/funds"), ("POST", "/api/v1/hours/entries/1/reject"),
    ("POST", "/api/v1/hours/activities/1/retroactive"), ("GET", "/api/v1/people?q=%E6%9D%8E")])
def test_who_asks_is_settled_before_the_body_is_read(api, make_user, method, url):
    """A resident sending a staff endpoint a broken body hears "not permitted", not what
    the schema thinks of the body (that would describe the endpoint to anyone)."""
    api.login(make_user())
    resp = api.open(url, method=method, data='{"role": 1, "x": [', content_type="application/json")
    assert resp.status_code == 403, resp.get_json()
    assert "errors" not in resp.get_json() or resp.get_json()["errors"] == {}
    anonymous = api.application.test_client().open(url, method=method, data="{")
    assert anonymous.status_code in (400, 401)  # CSRF first for a write, login for a read


def test_a_body_that_is_not_json_is_refused_not_ignored(api, make_user):
    user = make_user(name="原名")
    api.login(user)
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        resp = api.patch("/api/v1/me", data='{"name": "新名"}', content_type=kind)
        assert resp.status_code == 415 and resp.get_json()["code"] == "unsupported_media_type"
    assert db.session.get(User, user.id).name == "原名"


def test_a_form_that_cannot_be_decoded_is_named_as_such(client):
    body = (b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nx\r\n'
            b'--B\r\nContent-Disposition: form-data; name="pdf"; filename="caf\xe9.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n")
    resp = client.post("/verify", data=body, content_type="multipart/form-data; boundary=B",
                       headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["code"] == "unreadable_form"
