"""A coordinator opens the 五社联动 dashboard on a phone (390×844, zh-CN): the figures,
the charts drawn by ECharts with their tables beside them, a figure's records one tap
away; axe-core finds nothing serious in the page's content in light, dark and care
mode (the tab bar around it is issue 14's)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.reports import rollups
from tests.browser.axe import audit
from tests.browser.test_hours_review import log_in
from tests.reports.conftest import OCTOBER, world  # noqa: F401 - the known world fixture

pytestmark = pytest.mark.browser


def test_the_dashboard_on_a_phone(live_server, phone, world):  # noqa: F811
    rollups.rebuild(now=OCTOBER)
    db.session.commit()
    district, reviewer_phone = world.district.id, world.reviewer.phone
    db.session.close()  # on SQLite the test's transaction would hold the write lock

    page = phone
    log_in(page, live_server, reviewer_phone)
    page.goto(f"{live_server}/stats/{district}?period=2026-09")
    cards = page.locator(".stat-card")
    expect(page.locator('[data-figure="activities"] .stat-card__value')).to_have_text("3")
    expect(page.locator('[data-figure="person_times"] .stat-card__value')).to_have_text("4")
    expect(page.locator('[data-figure="money_received"] .stat-card__value')).to_contain_text(
        "200")
    assert cards.count() >= 10
    # the charts are drawn, each with its numbers in a table beside it
    for chart, table in (("trend", "#trend-table"), ("children", "#children-table")):
        expect(page.locator(f'[data-chart="{chart}"]')).to_have_attribute("data-drawn", "1")
        assert page.locator(f'[data-chart="{chart}"] canvas').count() == 1
        expect(page.locator(table)).to_be_visible()
    expect(page.locator("#trend-table tbody tr")).to_have_count(12)
    expect(page.locator("#children-table tbody tr")).to_have_count(2)
    expect(page.locator("#children-table")).to_contain_text("魏善庄镇")
    expect(page.locator("#programmes-table")).to_contain_text("全职妈妈成长计划")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("dashboard-light")
    assert audit(page, "#main") == []

    page.emulate_media(color_scheme="dark")
    page.reload()
    expect(page.locator('[data-chart="trend"]')).to_have_attribute("data-drawn", "1")
    page.shot("dashboard-dark")
    assert audit(page, "#main") == []

    page.emulate_media(color_scheme="light")
    page.context.add_cookies([{"name": "care", "value": "1", "url": live_server}])
    page.reload()
    expect(page.locator("html.care-mode")).to_be_attached()
    page.shot("dashboard-care")
    assert audit(page, "#main") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # a figure opens the records behind it
    page.locator('[data-figure="volunteers"]').click()
    page.wait_for_url(lambda url: "/figures/volunteers" in url)
    expect(page.locator("main")).to_contain_text("甲")
    expect(page.locator("main")).to_contain_text("****")  # phones masked
