"""A coordinator approves an activity's hours on a phone; the volunteer then sees the
new total and their star level on 时长."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.activities import services as activity_services
from server.activities import signups
from server.extensions import db
from server.hours.models import HourEntry
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, base: str, phone: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_a_coordinator_approves_all_and_the_volunteer_sees_total_and_star(
        app, live_server, phone, browser, make_node, make_org, make_user, make_activity,
        grant, scan, monkeypatch, request):
    # one star at 2 hours, so a single morning's work shows the star appear
    monkeypatch.setitem(app.config, "STAR_THRESHOLDS_HOURS", [2, 6, 12, 20, 30])
    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", parent=street)
    org = make_org(name="运河园 BQteam-贤妈智囊团", node=community, kind="volunteer_team")
    activity = make_activity(org=org, starts_in=timedelta(days=-1), hours=2,
                             title="绘本共读：送书到白玉县")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", community, org)
    coordinator = make_user(name="街道协调员老周", phone="13700001111")
    grant(coordinator, "coordinator", street)
    mama = make_user(name="王小红", phone="13912340001")
    late = make_user(name="李大伟", phone="13912340002")
    start = activity.starts_at
    for person in (mama, late):
        signups.sign_up(activity.id, user=person, now=start - timedelta(hours=3))
    scan(activity, organiser, user_id=mama.id, at=start - timedelta(minutes=10))
    scan(activity, organiser, user_id=mama.id, at=activity.ends_at, direction="exit")
    scan(activity, organiser, user_id=late.id, at=start + timedelta(minutes=30))  # no exit
    activity_services.finish(activity, actor=organiser, now=activity.ends_at +
                             timedelta(minutes=20))
    db.session.commit()
    activity_id, mama_phone, coordinator_phone = activity.id, mama.phone, coordinator.phone
    # release the test's own transaction: on SQLite it would hold the write lock
    db.session.close()

    page = phone
    log_in(page, live_server, coordinator_phone)
    page.goto(f"{live_server}/review/hours")
    group = page.locator(f"#group-{activity_id}")
    expect(group).to_be_visible()
    expect(group).to_contain_text("绘本共读：送书到白玉县")
    expect(group).to_contain_text("王小红")
    expect(group).to_contain_text("139****0001")
    expect(group.locator(".review-entry__minutes").first).to_have_text("2小时")
    expect(group.locator('[data-flag="auto_checkout"]')).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("review-queue")

    group.locator("button.review-approve-all").click()  # confirm.js asks first
    page.get_by_role("alertdialog").get_by_role("button", name="全部通过").click()
    expect(page.locator(f"#group-{activity_id} .review-group__done")).to_be_visible()
    expect(page.locator(f'#group-{activity_id} [data-status="approved"]')).to_have_count(2)
    expect(page.locator(f"#group-{activity_id} .review-entry__actions")).to_have_count(0)
    page.shot("all-approved")

    statuses = {e.user.name: (e.status, e.minutes) for e in db.session.query(HourEntry)}
    assert statuses == {"王小红": ("approved", 120), "李大伟": ("approved", 90)}
    db.session.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  timezone_id="Asia/Shanghai")
    volunteer = context.new_page()
    try:
        log_in(volunteer, live_server, mama_phone)
        volunteer.locator(".wushe-tabbar a[href='/hours']").click()
        volunteer.wait_for_url(f"{live_server}/hours")
        expect(volunteer.locator(".wushe-tabbar a[href='/hours']")).to_have_attribute(
            "aria-current", "page")
        expect(volunteer.locator('[data-testid="hours-total"] .hours-num')).to_have_text("2.0")
        stars = volunteer.locator('[data-testid="star-level"]')
        expect(stars).to_have_attribute("data-stars", "1")
        expect(stars.locator(".star-level__stars .on")).to_have_count(1)
        expect(stars.locator(".star-level__text")).to_contain_text("1")
        expect(stars.locator(".star-level__next")).to_contain_text("4.0")
        expect(volunteer.locator(".hours-by-activity")).to_contain_text("绘本共读：送书到白玉县")
        assert volunteer.evaluate("document.documentElement.scrollWidth") <= 390
        folder = ARTIFACTS / request.node.name
        folder.mkdir(parents=True, exist_ok=True)
        volunteer.screenshot(path=str(folder / "03-volunteer-hours.png"), full_page=True)
    finally:
        context.close()
