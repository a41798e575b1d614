"""A resident who forgot her password, on a phone, in Chinese: login → 忘记密码 → her number
→ 获取验证码 → the code from the SMS (the logging adapter's log: the live server runs in
this process) → a new password → logged in → log out → log in with the new password."""

from __future__ import annotations

import logging
import re
import time

import pytest
from playwright.sync_api import expect

from server.extensions import db

pytestmark = pytest.mark.browser
CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")


def sent(caplog, count: int) -> list[str]:
    """The SMS texts once `count` have gone: a code is sent after the answer has reached
    the phone (its provider's time must not show in the answer), so it may come a moment
    after the page."""
    deadline = time.monotonic() + 10
    while True:
        texts = [r.getMessage() for r in caplog.records if r.name == "wushe.outgoing"]
        if len(texts) >= count or time.monotonic() > deadline:
            return texts
        time.sleep(0.05)


def test_forgot_password_then_log_in_with_the_new_one(live_server, phone, make_user, caplog):
    caplog.set_level(logging.INFO, logger="wushe.outgoing")
    make_user(name="李秀英", phone="13800000001")
    db.session.commit()
    # release the test's own transaction: on SQLite it would hold the write lock
    db.session.close()
    page = phone

    page.goto(f"{live_server}/login")
    page.shot("login")
    page.get_by_role("link", name="忘记密码？").click()
    page.wait_for_url(re.compile(r"/password/forgot$"))
    expect(page.locator("h1")).to_have_text("忘记密码")
    page.fill("input[name=phone]", "138 0000 0001")
    page.shot("forgot-number")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/password/reset$"))
    expect(page.get_by_text("如果 138****0001 已在五社通注册")).to_be_visible()
    # the resend button counts down from the server's own minute, and cannot be pressed
    resend = page.locator("form.code-resend button")
    expect(resend).to_be_disabled()
    expect(resend).to_have_text(re.compile(r"^\d+ 秒后可重新获取$"))
    page.shot("code-sent")

    texts = sent(caplog, 1)
    assert len(texts) == 1 and "138****0001" in texts[0] and "13800000001" not in texts[0]
    code = CODE.search(texts[0]).group(0)

    page.fill("input[name=code]", code)
    page.fill("input[name=password]", "xiuying2026")
    page.shot("code-and-new-password")
    page.get_by_role("button", name="设置新密码并登录").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_server)}/$"))
    expect(page.get_by_text("密码已修改")).to_be_visible()
    page.shot("logged-in")

    page.goto(f"{live_server}/me")
    expect(page.get_by_text("李秀英").first).to_be_visible()
    page.locator("form[action='/logout'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server}/me")
    page.wait_for_url(re.compile(r"/login\?next="))

    page.fill("input[name=phone]", "13800000001")
    page.fill("input[name=password]", "xiuying2026")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/me$"))
    expect(page.get_by_text("李秀英").first).to_be_visible()
    page.shot("logged-in-with-new-password")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_resend_button_counts_down_and_comes_back(live_server, phone, make_user, caplog,
                                                      app, monkeypatch):
    """With a five-second gap between codes, the button is pressed again and a new code goes."""
    caplog.set_level(logging.INFO, logger="wushe.outgoing")
    monkeypatch.setitem(app.config, "PHONE_CODE_GAP_SECONDS", 5)
    make_user(name="王芳", phone="13800000002")
    db.session.commit()
    db.session.close()
    page = phone

    page.goto(f"{live_server}/login/sms")
    expect(page.locator("h1")).to_have_text("短信验证码登录")
    page.fill("input[name=phone]", "13800000002")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/login/sms/code$"))
    resend = page.locator("form.code-resend button")
    # the countdown first (the page's own button is enabled until its script runs, for
    # phones without JavaScript), then the button comes back
    expect(resend).to_be_disabled()
    expect(resend).to_be_enabled(timeout=10_000)
    expect(resend).to_have_text("重新获取验证码")
    resend.click()
    page.wait_for_url(re.compile(r"/login/sms/code$"))
    texts = sent(caplog, 2)
    assert len(texts) == 2
    first, second = (CODE.search(t).group(0) for t in texts)
    page.fill("input[name=code]", second)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_server)}/$"))
    expect(page.get_by_text("欢迎回来")).to_be_visible()
    page.shot("logged-in-by-code")
