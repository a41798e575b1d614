"""A resident on a phone: register → browse → sign up → withdraw, in Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.activities.models import Signup
from server.extensions import db

pytestmark = pytest.mark.browser


def test_register_browse_sign_up_withdraw(live_server, phone, make_node, make_org,
                                          make_activity):
    community = make_node(name="运河园社区", kind="community")
    org = make_org(name="运河园社区 BQteam-贤妈智囊团", node=community, kind="volunteer_team")
    activity = make_activity(org=org, title="成都全职妈妈经验分享会", capacity=2)
    make_activity(org=org, title="筹备中的草稿活动", status="draft")
    db.session.commit()
    community_id, activity_id = community.id, activity.id
    # release the test's own transaction: on SQLite it would hold the write lock
    db.session.close()
    page = phone

    page.goto(f"{live_server}/register")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=password]", "mama2026ok")
    page.fill("input[name=name]", "王小红")
    page.select_option("select[name=home_node_id]", str(community_id))
    page.locator("label[for=accept_privacy] .weui-icon-checked").click()
    expect(page.locator("input[name=accept_privacy]")).to_be_checked()
    page.shot("register-filled")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert "/register" not in page.url
    page.shot("registered")

    page.goto(f"{live_server}/")
    expect(page.get_by_text("成都全职妈妈经验分享会")).to_be_visible()
    expect(page.get_by_text("筹备中的草稿活动")).to_have_count(0)
    expect(page.locator(".weui-tabbar")).to_be_visible()
    expect(page.locator(".weui-tabbar")).to_contain_text("活动")
    page.shot("activity-list")

    page.get_by_text("成都全职妈妈经验分享会").first.click()
    page.wait_for_url(re.compile(rf"/activities/{activity_id}$"))
    page.shot("activity-detail")

    page.locator("#signup-box form button[type=submit]").click()
    # the answer is a page of its own: the result and what to do next
    page.wait_for_url(re.compile(r"/signups/\d+/next$"))
    expect(page.locator(".weui-msg__title")).to_have_text("报名成功")
    expect(page.locator(".next-steps")).to_contain_text("我的码")
    expect(page.locator(".weui-msg a[href='/code']")).to_be_visible()
    page.shot("next-steps")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".next-steps__back a").click()
    page.wait_for_url(re.compile(rf"/activities/{activity_id}$"))
    expect(page.locator(".signed-up__badge")).to_contain_text("已报名")
    withdraw = page.locator("#signup-box form[action$='/withdraw']")
    expect(withdraw).to_be_visible()
    expect(page.locator("#signup-box")).to_contain_text("1")
    page.shot("signed-up")

    db.session.expire_all()
    signup = db.session.scalar(select(Signup).where(Signup.activity_id == activity_id))
    assert signup.status == "confirmed" and signup.user.name == "王小红"
    signup_id = signup.id
    db.session.close()

    withdraw.locator("button[type=submit]").click()
    page.get_by_role("alertdialog").locator(".weui-dialog__btn_warn").click()  # confirm.js asks
    expect(page.locator("#signup-box form[action$='/signup']")).to_be_visible()
    page.shot("withdrawn")
    assert db.session.get(Signup, signup_id).status == "withdrawn"
    db.session.close()

    page.goto(f"{live_server}/me/activities")
    page.shot("my-activities")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
