"""SMS codes (accounts.phone_codes): what the service allows and refuses, with the clock
in the test's hand. Codes are read where a developer reads them: the logging SMS adapter's
`wushe.outgoing` log, after the outbox has run (what the request does after it commits)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from server.accounts import errors, phone_codes, sessions
from server.accounts.models import PhoneCode, User
from server.accounts.passwords import verify_password
from server.core import outbox
from server.core.errors import WusheError
from server.extensions import db
from server.notifications import channels
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "newpass2026"
CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")


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
def ask(now, sms):
    """ask(phone, ...): request a code, let the outbox send it; the code sent, or None."""
    def do(phone, purpose="reset", *, at=None, ip="10.9.0.1"):
        phone_codes.request_code(phone=phone, purpose=purpose, ip=ip, now=at or now)
        outbox.run()
        texts = sms()
        assert len(texts) <= 1, texts
        return CODE.search(texts[0]).group(0) if texts else None
    return do


def refusal(call) -> WusheError:
    with pytest.raises(WusheError) as excinfo:
        call()
    return excinfo.value


def _rows(phone):
    return db.session.scalars(select(PhoneCode).where(PhoneCode.phone == phone)
                              .order_by(PhoneCode.id)).all()


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --- asking --------------------------------------------------------------------------------

def test_a_code_goes_by_sms_and_only_its_keyed_hash_is_kept(make_user, now, sms, app):
    user = make_user(phone="13800000001")
    asked = phone_codes.request_code(phone="138 0000 0001", purpose="reset", ip="10.9.0.1",
                                     now=now)
    assert sms() == []  # nothing leaves before the unit of work commits
    outbox.run()
    (text,) = sms()
    code = CODE.search(text).group(0)
    assert "138****0001" in text and "13800000001" not in text
    assert f"{app.config['PHONE_CODE_MINUTES']}" in text
    (row,) = _rows(user.phone)
    assert row.user_id == user.id and row.purpose == "reset" and row.ip == "10.9.0.1"
    assert len(row.code_hash) == 64 and code not in row.code_hash
    assert row.expires_at == now + timedelta(minutes=10)
    assert row.sent_at is not None and row.send_error is None and row.attempts == 0
    assert (asked.resend_after, asked.expires_in) == (60, 600)


def test_the_sms_speaks_chinese_unless_the_person_chose_english(make_user, now, sms):
    make_user(phone="13800000001")
    make_user(phone="13800000002", locale="en")
    for phone in ("13800000001", "13800000002"):
        phone_codes.request_code(phone=phone, purpose="login", ip=None, now=now)
    outbox.run()
    zh, en = sms()
    assert "五社通" in zh and "登录验证码" in zh and CODE.search(zh)
    assert "to log in" in en and CODE.search(en)


def test_a_rolled_back_request_sends_nothing(make_user, now, sms):
    make_user(phone="13800000001")
    phone_codes.request_code(phone="13800000001", purpose="reset", ip=None, now=now)
    assert outbox.waiting()
    db.session.rollback()  # the row is gone; a stale entry finds nothing to send
    outbox.run()
    assert sms() == []


def test_an_unregistered_number_gets_the_same_answer_and_no_sms(make_user, now, sms):
    make_user(phone="13800000001")
    registered = phone_codes.request_code(phone="13800000001", purpose="reset", ip=None,
                                          now=now)
    unknown = phone_codes.request_code(phone="13700000009", purpose="reset", ip=None, now=now)
    outbox.run()
    assert len(sms()) == 1
    assert (registered.resend_after, registered.expires_in) == (
        unknown.resend_after, unknown.expires_in)
    (row,) = _rows("13700000009")
    assert row.user_id is None and row.sent_at is None and len(row.code_hash) == 64
    later = now + timedelta(seconds=20)
    too_soon = [refusal(lambda p=p: phone_codes.request_code(
        phone=p, purpose="reset", ip=None, now=later)) for p in ("13800000001", "13700000009")]
    assert [(e.code, e.seconds, e.headers) for e in too_soon] == [
        ("code_too_soon", 40, {"Retry-After": "40"})] * 2


def test_a_disabled_account_is_sent_nothing(make_user, ask):
    make_user(phone="13800000001").active = False
    assert ask("13800000001") is None
    (row,) = _rows("13800000001")
    assert row.sent_at is None


def test_a_bad_number_or_purpose_is_refused_before_anything_is_written(now):
    assert refusal(lambda: phone_codes.request_code(
        phone="12345", purpose="reset", ip=None, now=now)).code == "invalid_phone"
    assert refusal(lambda: phone_codes.request_code(
        phone="13800000001", purpose="admin", ip=None, now=now)).code == "validation_error"
    assert db.session.scalars(select(PhoneCode)).all() == []


# --- limits --------------------------------------------------------------------------------

def test_one_code_a_minute_per_number_whatever_the_purpose(make_user, ask, now):
    make_user(phone="13800000001")
    assert ask("13800000001", at=now)
    for purpose in ("reset", "login"):
        exc = refusal(lambda p=purpose: ask("13800000001", p, at=now + timedelta(seconds=59)))
        assert exc.code == "code_too_soon" and exc.seconds == 1 and exc.status == 429
    assert ask("13800000001", "login", at=now + timedelta(seconds=60))


def test_five_codes_an_hour_per_number(make_user, ask, now):
    make_user(phone="13800000001")
    for k in range(5):
        assert ask("13800000001", at=now + timedelta(minutes=2 * k))
    exc = refusal(lambda: ask("13800000001", at=now + timedelta(minutes=10)))
    assert exc.code == "code_too_soon" and exc.seconds == 50 * 60
    assert ask("13800000001", at=now + timedelta(hours=1))


def test_ten_codes_a_day_per_number(make_user, ask, now):
    make_user(phone="13800000001")
    for k in range(10):
        assert ask("13800000001", at=now + timedelta(hours=2 * k))
    exc = refusal(lambda: ask("13800000001", at=now + timedelta(hours=20)))
    assert exc.code == "code_too_soon" and exc.seconds == 4 * 3600
    assert exc.headers == {"Retry-After": str(4 * 3600)}
    assert ask("13800000001", at=now + timedelta(hours=24))


def test_twenty_codes_an_hour_per_address(ask, now):
    for k in range(20):  # numbers nobody registered count as much as any
        ask(f"137000000{k:02d}", ip="10.9.9.9", at=now + timedelta(minutes=k))
    exc = refusal(lambda: ask("13700000099", ip="10.9.9.9", at=now + timedelta(minutes=30)))
    assert exc.code == "code_too_soon" and exc.seconds == 30 * 60
    ask("13700000099", ip="10.9.9.10", at=now + timedelta(minutes=30))  # another address
    ask("13700000098", ip="10.9.9.9", at=now + timedelta(hours=1))


def test_a_refusal_writes_nothing(make_user, ask, now):
    make_user(phone="13800000001")
    ask("13800000001")
    refusal(lambda: ask("13800000001", at=now + timedelta(seconds=5)))
    assert len(_rows("13800000001")) == 1


def test_the_wait_is_said_in_seconds_minutes_or_hours(app):
    with app.test_request_context(), force_locale("en"):
        assert errors.CodeTooSoon(seconds=40).text() == (
            "Codes were asked for too often. Try again in 40 seconds.")
        assert "in 50 minutes" in errors.CodeTooSoon(seconds=50 * 60 - 5).text()
        assert "in 4 hours" in errors.CodeTooSoon(seconds=4 * 3600 - 30).text()
    with app.test_request_context(), force_locale("zh_CN"):
        assert errors.CodeTooSoon(seconds=40).text() == "获取验证码过于频繁，请在 40 秒后再试。"


# --- resetting and logging in --------------------------------------------------------------

def test_a_reset_code_sets_the_password_once_and_ends_every_login(make_user, ask, now):
    user = make_user(phone="13800000001")
    for _ in range(2):
        sessions.start(user, remember=True, now=now)
    code = ask("13800000001", at=now)
    later = now + timedelta(minutes=3)
    found = phone_codes.reset_password(phone="13800000001", code=code,
                                       password=NEW_PASSWORD, now=later)
    assert found.id == user.id
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD)
    assert sessions.live(user, now=later) == []
    (row,) = _rows(user.phone)
    assert row.used_at == later
    again = refusal(lambda: phone_codes.reset_password(
        phone="13800000001", code=code, password="another2026", now=later))
    assert again.code == "code_used"


def test_a_login_code_logs_in_once_and_cannot_reset(make_user, ask, now):
    user = make_user(phone="13800000001")
    code = ask("13800000001", "login")
    assert refusal(lambda: phone_codes.reset_password(
        phone="13800000001", code=code, password=NEW_PASSWORD, now=now)).code == "code_expired"
    assert phone_codes.log_in_with_code(phone="+86 138-0000-0001", code=code, now=now).id == user.id
    assert refusal(lambda: phone_codes.log_in_with_code(
        phone="13800000001", code=code, now=now)).code == "code_used"


def test_a_code_typed_in_full_width_digits_works(make_user, ask, now):
    user = make_user(phone="13800000001")
    code = ask("13800000001", "login")
    wide = "".join(chr(0xFF10 + int(d)) for d in code)
    found = phone_codes.log_in_with_code(phone="13800000001", code=f" {wide} ", now=now)
    assert found.id == user.id


def test_a_code_expires_after_ten_minutes(make_user, ask, now):
    make_user(phone="13800000001")
    code = ask("13800000001", "login")
    exc = refusal(lambda: phone_codes.log_in_with_code(
        phone="13800000001", code=code, now=now + timedelta(minutes=10)))
    assert exc.code == "code_expired" and exc.status == 422 and "code" in exc.errors
    assert phone_codes.log_in_with_code(phone="13800000001", code=code,
                                        now=now + timedelta(minutes=9, seconds=59))


def test_five_wrong_tries_kill_the_code(make_user, ask, now):
    make_user(phone="13800000001")
    code = ask("13800000001", "login")
    for k in range(1, 6):
        exc = refusal(lambda: phone_codes.log_in_with_code(
            phone="13800000001", code=_other(code), now=now))
        assert exc.code == "wrong_code" and exc.keeps_work
        assert _rows("13800000001")[0].attempts == k
    exc = refusal(lambda: phone_codes.log_in_with_code(phone="13800000001", code=code,
                                                       now=now))
    assert exc.code == "code_tries_used_up"
    assert _rows("13800000001")[0].used_at is None


def test_four_wrong_tries_leave_the_right_code_working(make_user, ask, now):
    user = make_user(phone="13800000001")
    code = ask("13800000001", "login")
    for _ in range(4):
        refusal(lambda: phone_codes.log_in_with_code(phone="13800000001", code=_other(code),
                                                     now=now))
    assert phone_codes.log_in_with_code(phone="13800000001", code=code, now=now).id == user.id


def test_a_malformed_code_or_a_weak_password_costs_no_try(make_user, ask, now):
    make_user(phone="13800000001")
    code = ask("13800000001")
    for typed in ("12345", "1234567", "abcdef", ""):
        assert refusal(lambda t=typed: phone_codes.reset_password(
            phone="13800000001", code=t, password=NEW_PASSWORD, now=now)).code == "invalid_code"
    assert refusal(lambda: phone_codes.reset_password(
        phone="13800000001", code=code, password="short", now=now)).code == "weak_password"
    assert _rows("13800000001")[0].attempts == 0


def test_a_new_code_kills_the_one_before(make_user, ask, now):
    user = make_user(phone="13800000001")
    first = ask("13800000001", "login", at=now)
    second = ask("13800000001", "login", at=now + timedelta(minutes=2))
    later = now + timedelta(minutes=3)
    if first != second:  # one in a million, the new code is the same six digits
        assert refusal(lambda: phone_codes.log_in_with_code(
            phone="13800000001", code=first, now=later)).code == "wrong_code"
    assert phone_codes.log_in_with_code(phone="13800000001", code=second, now=later).id == user.id


def test_a_code_for_an_unregistered_number_answers_as_a_wrong_code(make_user, ask, now):
    make_user(phone="13800000001")
    code = ask("13800000001", "login")
    assert ask("13700000009", "login") is None
    answers = {}
    for phone in ("13800000001", "13700000009"):
        answers[phone] = [refusal(lambda p=phone: phone_codes.log_in_with_code(
            phone=p, code=_other(code), now=now)).code for _ in range(6)]
    assert answers["13800000001"] == answers["13700000009"] == (
        ["wrong_code"] * 5 + ["code_tries_used_up"])
    # and a number nobody asked a code for is told what an expired code is told
    assert refusal(lambda: phone_codes.log_in_with_code(
        phone="13700000007", code="123456", now=now)).code == "code_expired"


def test_a_disabled_account_cannot_use_a_code_it_got_before(make_user, ask, now):
    user = make_user(phone="13800000001")
    code = ask("13800000001")
    user.active = False
    db.session.flush()
    exc = refusal(lambda: phone_codes.reset_password(
        phone="13800000001", code=code, password=NEW_PASSWORD, now=now))
    assert exc.code == "account_disabled"


# --- sending -------------------------------------------------------------------------------

class RefusingSms:
    """An SMS adapter (NOTIFY_SMS = "module:Class") whose provider refuses every message."""

    def __init__(self, config, channel):
        pass

    def send(self, message):
        raise channels.SendFailed("provider refused the template", permanent=True)


def test_a_send_the_provider_refused_is_recorded(make_user, app, monkeypatch, now, sms):
    make_user(phone="13800000001")
    monkeypatch.setitem(app.config, "NOTIFY_SMS", f"{__name__}:RefusingSms")
    monkeypatch.setitem(app.extensions, "wushe_channels", {})
    phone_codes.request_code(phone="13800000001", purpose="reset", ip=None, now=now)
    outbox.run()
    (row,) = _rows("13800000001")
    assert row.sent_at is None and row.send_error == "provider refused the template"
    assert sms() == []


def test_old_codes_are_pruned_after_a_month(ask, now):
    ask("13700000009", at=now - timedelta(days=31))
    ask("13700000009", at=now - timedelta(days=29))
    assert phone_codes.prune(now=now) == 1
    assert len(_rows("13700000009")) == 1


def test_nobody_else_gets_a_user_from_a_code(make_user, ask, now):
    """A code opens the account of the number it was sent to, nobody else's."""
    make_user(phone="13800000001")
    other = make_user(phone="13800000002")
    code = ask("13800000001", "login")
    assert refusal(lambda: phone_codes.log_in_with_code(
        phone="13800000002", code=code, now=now)).code == "code_expired"
    assert db.session.scalar(select(User.id).where(User.phone == "13800000002")) == other.id


def test_in_development_the_sms_shows_in_the_console():
    """`flask run` sets up no logging: the logging adapter's messages still reach stderr."""
    script = ("from server.app import create_app\n"
              "from server.notifications import channels\n"
              "app = create_app({'DATABASE_URL': 'sqlite://'})\n"
              "with app.app_context():\n"
              "    channels.get('sms').send(channels.Outgoing(\n"
              "        channel='sms', to='13800000001', text='code 123456', kind='phone_code'))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUSHE_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=True)
    assert "[sms] to 138****0001: code 123456" in done.stderr
    assert "13800000001" not in done.stderr
