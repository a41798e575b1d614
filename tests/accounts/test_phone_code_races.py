"""SMS codes raced: the same code brought twice at once works once; two requests for a code
at once for one number do not both pass the one-a-minute limit; wrong tries at once stop at
five. From threads with their own connections (tests.racing), then from the separate
worker processes of a real gunicorn (tests.live), on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections import Counter

import pytest
from sqlalchemy import select

from bench.loadgen import Client
from server.accounts import phone_codes
from server.accounts.models import PhoneCode, User
from server.core import outbox
from server.extensions import db
from tests.live import at_once
from tests.racing import race

pytestmark = pytest.mark.concurrency
CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")


@pytest.fixture
def code_for(caplog, now):
    """code_for(phone, purpose): a committed code, sent, read from the SMS log."""
    caplog.set_level(logging.INFO, logger="wushe.outgoing")

    def make(phone: str, purpose: str = "login") -> str:
        caplog.clear()
        phone_codes.request_code(phone=phone, purpose=purpose, ip=None, now=now)
        db.session.commit()
        outbox.run()
        (text,) = [r.getMessage() for r in caplog.records if r.name == "wushe.outgoing"]
        db.session.rollback()  # end the transaction: on SQLite it holds the write lock
        return CODE.search(text).group(0)
    return make


def _rows(phone: str) -> list[tuple[int, bool]]:
    """(attempts, used) of the number's codes. Read in a transaction that ends at once (on
    SQLite an open one holds the write lock the servers wait for), as plain values: an ORM
    row read after it would begin another."""
    db.session.rollback()
    try:
        return [(attempts, used_at is not None) for attempts, used_at in db.session.execute(
            select(PhoneCode.attempts, PhoneCode.used_at).where(PhoneCode.phone == phone)
            .order_by(PhoneCode.id))]
    finally:
        db.session.rollback()


def _outcomes(results) -> Counter:
    return Counter("ok" if isinstance(r, User | phone_codes.Asked) else r for r in results)


# --- threads -------------------------------------------------------------------------------

def test_one_login_code_brought_four_times_at_once_logs_in_once(app, make_user, code_for,
                                                               now):
    make_user(phone="13800000001")
    db.session.commit()
    code = code_for("13800000001")
    results = race(app, [lambda: phone_codes.log_in_with_code(
        phone="13800000001", code=code, now=now)] * 4)
    assert _outcomes(results) == {"ok": 1, "code_used": 3}, results
    assert _rows("13800000001") == [(0, True)]


def test_one_reset_code_brought_twice_at_once_resets_once(app, make_user, code_for, now):
    make_user(phone="13800000001")
    db.session.commit()
    code = code_for("13800000001", "reset")
    results = race(app, [lambda p=p: phone_codes.reset_password(
        phone="13800000001", code=code, password=p, now=now)
        for p in ("first2026", "second2026")])
    assert _outcomes(results) == {"ok": 1, "code_used": 1}, results


def test_four_requests_for_a_code_at_once_pass_the_minute_limit_once(app, make_user, now):
    make_user(phone="13800000001")
    db.session.commit()
    for phone in ("13800000001", "13700000007"):  # registered or not, the same
        results = race(app, [lambda i=i, p=phone: phone_codes.request_code(
            phone=p, purpose="reset", ip=f"10.7.0.{i}", now=now) for i in range(4)])
        assert _outcomes(results) == {"ok": 1, "code_too_soon": 3}, results
        assert len(_rows(phone)) == 1


# --- processes -----------------------------------------------------------------------------

def _visitor(server) -> Client:
    """Someone not logged in, with the CSRF token the site's JavaScript sends."""
    c = Client(server.port, timeout=60)
    status, data, headers = c.call("GET", "/api/v1/auth/csrf")
    assert status == 200, data
    c._keep_cookies(headers)
    c.csrf = data["csrf_token"]
    return c


def test_processes_asking_at_once_send_one_code(gunicorn, make_user):
    make_user(phone="13800000001")
    db.session.commit()
    phones = [_visitor(gunicorn) for _ in range(4)]
    for number in ("13800000001", "13700000007", "13700000008"):
        results = at_once([lambda v=v, n=number: v.call(
            "POST", "/api/v1/auth/codes", {"phone": n, "purpose": "login"}) for v in phones])
        assert sorted(status for status, _, _ in results) == [202, 429, 429, 429], results
        assert {body["code"] for status, body, _ in results if status == 429} == {
            "code_too_soon"}
        assert all(int(headers["Retry-After"]) > 0
                   for status, _, headers in results if status == 429)
        assert len(_rows(number)) == 1
    for v in phones:
        v.close_all()


def test_processes_bringing_one_code_at_once_log_in_once(gunicorn, make_user, code_for):
    make_user(phone="13800000001")
    db.session.commit()
    code = code_for("13800000001")
    phones = [_visitor(gunicorn) for _ in range(3)]
    results = at_once([lambda v=v: v.call("POST", "/api/v1/auth/login-code", {
        "phone": "13800000001", "code": code}) for v in phones])
    assert sorted(status for status, _, _ in results) == [200, 422, 422], results
    assert {body["code"] for status, body, _ in results if status == 422} == {"code_used"}
    for v in phones:
        v.close_all()


def test_processes_guessing_at_once_get_five_tries_in_all(gunicorn, make_user, code_for):
    make_user(phone="13800000001")
    db.session.commit()
    code = code_for("13800000001")
    wrong = [f"{(int(code) + k) % 10**6:06d}" for k in range(1, 9)]
    guessers = [_visitor(gunicorn) for _ in wrong]
    results = at_once([lambda v=v, w=w: v.call("POST", "/api/v1/auth/login-code", {
        "phone": "13800000001", "code": w}) for v, w in zip(guessers, wrong, strict=True)])
    assert Counter(body["code"] for _, body, _ in results) == {
        "wrong_code": 5, "code_tries_used_up": 3}, results
    assert _rows("13800000001") == [(5, False)]
    status, body, _ = guessers[0].call("POST", "/api/v1/auth/login-code", {
        "phone": "13800000001", "code": code})
    assert (status, body["code"]) == (422, "code_tries_used_up")
    for v in guessers:
        v.close_all()
