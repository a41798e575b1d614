"""On a phone: a waitlisted volunteer is promoted, sees the unread count on 我的 change,
opens the message and taps 我去不了 (confirmed in a WeUI dialog); the next in line moves up."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.accounts.models import User
from server.activities import signups
from server.activities.models import Signup
from server.core import clock
from server.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_promoted_sees_the_count_and_gives_the_place_back(live_server, phone, make_activity,
                                                         make_user):
    now = clock.now()
    activity = make_activity(capacity=1, title="藏区捐赠图书：儿童绘本整理打包")
    holder = make_user(name="占位者")
    volunteer = make_user(name="李秀英", phone="13800000001")
    next_in_line = make_user(name="王芳")
    taken = signups.sign_up(activity.id, user=holder, now=now)
    signups.sign_up(activity.id, user=volunteer, now=now)
    signups.sign_up(activity.id, user=next_in_line, now=now)
    db.session.commit()
    activity_id, taken_id = activity.id, taken.id
    holder_id, volunteer_id, next_id = holder.id, volunteer.id, next_in_line.id
    db.session.close()
    page = phone

    page.goto(f"{live_server}/login")
    page.fill("input[name=phone]", "13800000001")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    me_tab = page.locator(".wushe-tabbar a[href='/me']")
    expect(me_tab.locator(".weui-badge")).to_have_count(0)
    page.shot("waitlisted-no-messages")

    # the person holding the place gives it up: the volunteer is promoted
    signups.withdraw(db.session.get(Signup, taken_id), actor=db.session.get(User, holder_id),
                     now=clock.now())
    db.session.commit()
    db.session.close()

    page.reload()
    expect(me_tab.locator(".weui-badge")).to_have_text("1")
    expect(me_tab).to_contain_text("1条未读消息")
    page.shot("unread-count-on-me")

    me_tab.click()
    page.get_by_role("link", name=re.compile("^消息")).click()
    page.wait_for_url(re.compile(r"/me/notifications$"))
    message = page.locator("li.notice[data-kind=promoted]")
    expect(message).to_contain_text("藏区捐赠图书")
    expect(message).to_have_class(re.compile("notice--unread"))
    page.shot("the-message")

    message.get_by_role("button", name="我去不了").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("把名额让给候补名单上的下一位")
    page.shot("confirm-dialog")
    dialog.get_by_role("button", name="暂不").click()
    expect(dialog).to_be_hidden()
    message.get_by_role("button", name="我去不了").click()
    dialog.get_by_role("button", name="我去不了").click()
    page.wait_for_url(re.compile(rf"/activities/{activity_id}$"))
    expect(page.locator("body")).to_contain_text("已取消报名")
    page.shot("place-given-back")

    db.session.expire_all()
    assert signups.live_signup(activity_id, volunteer_id) is None
    assert signups.live_signup(activity_id, next_id).status == "confirmed"
    db.session.close()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
