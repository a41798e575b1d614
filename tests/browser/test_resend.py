"""A form sent with a stale token, in Chromium: the page that keeps what was typed
(server/core/resend.py) is accessible in each mode, and one tap saves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.accounts.models import User
from server.extensions import db
from tests.browser.axe import audit
from tests.browser.test_hours_review import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("mode", ["light", "dark", "care"])
def test_a_stale_form_comes_back_and_one_tap_saves_it(live_server, phone, make_user, mode):
    user = make_user(name="旧名字", phone="13912345678", birth_date=None)
    db.session.commit()
    user_id = user.id
    db.session.close()
    page = phone
    page.emulate_media(color_scheme="dark" if mode == "dark" else "light")
    if mode == "care":
        page.context.add_cookies([{"name": "care", "value": "1", "url": live_server}])
    log_in(page, live_server, "13912345678")
    page.goto(f"{live_server}/me/edit")
    page.fill("input[name=name]", "新名字")
    # the page stayed open past its token's life (or a login happened in another tab)
    page.evaluate("document.querySelectorAll('input[name=csrf_token]')"
                  ".forEach(i => { i.value = 'stale'; })")
    page.locator("form button[type=submit]").first.click()
    expect(page.locator("h1.weui-msg__title")).to_have_text("此页面已过期")
    assert audit(page, aaa=mode == "care") == []
    page.get_by_role("button", name="重新提交").click()
    page.wait_for_url(lambda url: "/me/edit" not in url)
    db.session.expire_all()
    assert db.session.get(User, user_id).name == "新名字"
