"""Confirmations are WeUI dialogs (web/src/confirm.js), never the browser's own: withdrawing
a sign-up asks first; "no", Escape and the mask keep the place; "yes" withdraws."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.activities import signups
from server.activities.models import Signup
from server.extensions import db
from tests.browser.axe import audit
from tests.browser.test_hours_review import log_in

pytestmark = pytest.mark.browser

QUESTION = "确定取消报名吗？您的名额可能由候补人员递补。"


def test_withdrawing_asks_in_a_weui_dialog(live_server, phone, make_activity, make_user, now):
    activity = make_activity(title="社区长者助餐志愿服务", capacity=5)
    volunteer = make_user(name="赵丽华")
    signup_id = signups.sign_up(activity.id, user=volunteer, now=now).id
    db.session.commit()
    activity_id, volunteer_phone = activity.id, volunteer.phone
    db.session.close()
    page = phone
    native = []
    page.on("dialog", lambda d: native.append(d.message))

    log_in(page, live_server, volunteer_phone)
    page.goto(f"{live_server}/activities/{activity_id}")
    withdraw = page.locator("#signup-box form[action$='/withdraw'] button[type=submit]")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_have_count(0)

    # "no": the dialog goes, the focus is back on the button, the place is kept
    withdraw.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_have_class(re.compile(r"\bwushe-dialog\b"))
    expect(dialog.locator(".weui-dialog")).to_be_visible()
    expect(dialog.locator(".weui-mask")).to_be_attached()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_have_accessible_name(QUESTION)
    expect(dialog.get_by_role("button", name="暂不")).to_be_focused()
    page.shot("withdraw-dialog")
    assert audit(page) == []
    dialog.get_by_role("button", name="暂不").click()
    expect(dialog).to_have_count(0)
    expect(withdraw).to_be_focused()
    assert db.session.get(Signup, signup_id).status == "confirmed"
    db.session.close()

    # Escape closes it, Tab stays inside it
    withdraw.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="取消报名")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="暂不")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    # the mask closes it too
    withdraw.click()
    page.locator(".wushe-confirm .weui-mask").click(position={"x": 8, "y": 8})
    expect(dialog).to_have_count(0)
    expect(page.locator(".signed-up__badge")).to_contain_text("已报名")
    assert db.session.get(Signup, signup_id).status == "confirmed"
    db.session.close()

    # "yes": withdrawn, the box swapped by htmx
    withdraw.click()
    dialog.get_by_role("button", name="取消报名").click()
    expect(page.locator("#signup-box form[action$='/signup']")).to_be_visible()
    expect(dialog).to_have_count(0)
    page.shot("withdrawn")
    assert db.session.get(Signup, signup_id).status == "withdrawn"
    db.session.close()
    assert native == []  # the browser's own confirm() never opened
