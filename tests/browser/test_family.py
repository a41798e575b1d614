"""A guardian on a phone adds a child without a phone, signs them up and opens the child's
own code on 我的码, in Chinese at 390×844."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.accounts.models import User
from server.activities.models import Signup
from server.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_guardian_adds_a_child_signs_them_up_and_shows_their_code(
        live_server, phone, make_node, make_org, make_user, make_activity, now):
    community = make_node(name="运河园社区", kind="community")
    org = make_org(name="运河园社区社工站", node=community)
    activity = make_activity(org=org, title="亲子阅读会", capacity=5)
    guardian = make_user(name="王芳", phone="13911112222", home_node=community)
    db.session.commit()
    activity_id, guardian_id = activity.id, guardian.id
    db.session.close()
    page = phone

    page.goto(f"{live_server}/login")
    page.fill("input[name=phone]", "13911112222")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server}/me")
    page.locator("a.me-family").click()
    page.wait_for_url(re.compile(r"/me/family$"))
    page.get_by_role("link", name="添加家庭成员").click()
    page.fill("input[name=name]", "王小明")
    page.select_option("select[name=relation]", "child")
    page.fill("input[name=birth_date]", date(now.year - 8, 3, 1).isoformat())
    page.locator("label[for=consent] .weui-icon-checked").click()
    page.shot("add-child")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/me/family/\d+$"))
    expect(page.locator(".family-member__by")).to_contain_text("由王芳代为注册")
    page.shot("child-added")

    page.goto(f"{live_server}/activities/{activity_id}")
    row = page.locator(".family-signup", has_text="王小明")
    expect(row).to_be_visible()
    page.shot("family-in-signup-box")
    row.locator("button.family-signup__go").click()
    page.wait_for_url(re.compile(r"/signups/\d+/next$"))
    expect(page.locator(".weui-msg")).to_contain_text("王小明")
    page.shot("child-signed-up")
    expect(page.locator(".next-steps__code")).to_contain_text("出示王小明的签到码")
    page.get_by_role("link", name="打开王小明的签到码").click()
    page.wait_for_url(re.compile(r"/code\?member=\d+$"))
    expect(page.locator(".qr-svg")).to_be_visible()
    expect(page.locator(".qr-card__name")).to_have_text("王小明")
    expect(page.locator(".code-tabs__tab[aria-current=page]")).to_have_text("王小明")
    expect(page.locator(".code-tabs__tab", has_text="自己")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("child-code")

    db.session.expire_all()
    child = db.session.scalar(select(User).where(User.managed_by_id == guardian_id))
    signup = db.session.scalar(select(Signup).where(Signup.activity_id == activity_id))
    assert (signup.user_id, signup.acted_by_id, child.phone) == (child.id, guardian_id, None)
    db.session.close()
