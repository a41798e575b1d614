"""Finding an activity on a 390×844 phone in Chinese: tap a chip, search, the empty
state, each measured by axe-core (light mode)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.browser.axe import audit

pytestmark = pytest.mark.browser


def test_tap_a_chip_search_and_find_nothing(live_server, phone, make_activity):
    make_activity(title="法律问题进社区公益讲堂", kind="lecture")
    full = make_activity(title="已经满员的入户走访", kind="home_visit", capacity=1)
    full.confirmed_count = 1
    db.session.commit()
    db.session.close()
    page = phone

    page.goto(f"{live_server}/")
    chips = page.locator(".search-chips").first
    expect(chips).to_be_visible()
    open_chip = page.locator("a.search-chip", has_text="有空位")
    box = open_chip.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert audit(page) == []
    page.shot("list")

    open_chip.tap()
    page.wait_for_url("**/?open=1")
    expect(page.locator("a.search-chip", has_text="有空位")).to_have_attribute(
        "aria-current", "true")
    expect(page.get_by_text("法律问题进社区公益讲堂")).to_be_visible()
    expect(page.get_by_text("已经满员的入户走访")).to_have_count(0)
    expect(page.locator(".search-summary__clear")).to_have_text("清除筛选")
    assert audit(page) == []
    page.shot("open-places")

    page.fill("#search-q", "法律　讲堂")
    page.locator(".search-bar__go").tap()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("找到 1 个活动")).to_be_visible()

    page.fill("#search-q", "不存在的活动")
    page.locator(".search-bar__go").tap()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".weui-msg__title")).to_have_text("没有符合条件的活动")
    expect(page.locator(".search-empty__tries a")).to_have_count(3)
    assert audit(page) == []
    page.shot("nothing-found")

    page.locator(".search-empty__tries a", has_text="去掉有空位").tap()
    page.wait_for_load_state("networkidle")
    expect(page.locator("a.search-chip", has_text="有空位")).not_to_have_attribute(
        "aria-current", "true")
