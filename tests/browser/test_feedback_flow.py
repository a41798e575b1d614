"""A volunteer rates an activity on a phone from 我的活动; the organiser then reads the
summary on the activity page, without the volunteer's name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.browser.test_hours_review import log_in

pytestmark = pytest.mark.browser


def _attended(make_node, make_org, make_activity, make_user, give_place):
    """A finished reading afternoon 王小红 attended (scanned in and out)."""
    community = make_node(name="运河园社区")
    org = make_org(name="运河园 BQteam-贤妈智囊团", node=community, kind="volunteer_team")
    activity = make_activity(org=org, title="亲子绘本共读", status="finished",
                             starts_in=timedelta(hours=-4), hours=2)
    volunteer = make_user(name="王小红")
    signup = give_place(activity, volunteer)
    signup.scan_seq, signup.presence = 2, "out"
    return community, org, activity, volunteer


def test_a_volunteer_rates_and_the_organiser_reads_it_anonymously(
        live_server, phone, browser, make_node, make_org, make_user, make_activity, grant,
        give_place):
    community, org, activity, volunteer = _attended(make_node, make_org, make_activity,
                                                    make_user, give_place)
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", community, org)
    db.session.commit()
    activity_id, volunteer_phone, organiser_phone = activity.id, volunteer.phone, organiser.phone
    db.session.close()
    page = phone

    log_in(page, live_server, volunteer_phone)
    page.goto(f"{live_server}/me/activities?tab=past")
    prompt = page.locator(".feedback-awaiting .feedback-prompt")
    expect(prompt).to_contain_text("亲子绘本共读")
    expect(page.locator(".feedback-due")).to_have_text("待评价")
    page.shot("my-activities-prompt")
    prompt.click()
    page.wait_for_url(f"{live_server}/activities/{activity_id}/feedback")
    page.locator("label[for=rating-5]").click()
    expect(page.locator("#rating-5")).to_be_checked()
    page.fill("textarea[name=comment]", "孩子们听得很认真，希望每月都办。")
    page.shot("feedback-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("form.feedback-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/activities/{activity_id}")
    expect(page.locator(".feedback-mine")).to_contain_text("5分")
    page.shot("feedback-given")

    staff = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    desk = staff.new_page()
    log_in(desk, live_server, organiser_phone)
    desk.goto(f"{live_server}/activities/{activity_id}")
    summary = desk.locator(".feedback-summary")
    expect(summary).to_contain_text("5.0")
    expect(summary).to_contain_text("孩子们听得很认真")
    expect(summary).not_to_contain_text("王小红")
    staff.close()


def test_text_refused_at_the_boundary_comes_back_in_the_form_with_the_field_named(
        live_server, phone, make_node, make_org, make_user, make_activity, give_place):
    """A comment holding a bidirectional override is refused at the boundary, and the form
    comes back with what was typed (the override taken out), the rating still chosen and
    the message beside the comment; sent again as it is, it is kept."""
    _c, _o, activity, volunteer = _attended(make_node, make_org, make_activity, make_user,
                                            give_place)
    db.session.commit()
    activity_id, volunteer_phone = activity.id, volunteer.phone
    db.session.close()
    page = phone
    log_in(page, live_server, volunteer_phone)
    page.goto(f"{live_server}/activities/{activity_id}/feedback")
    page.locator("label[for=rating-4]").click()
    page.fill("textarea[name=comment]", "讲得很好\u202e下次再来")
    page.locator("form.feedback-form button[type=submit]").click()
    expect(page.locator("form.feedback-form")).to_contain_text("已从此项中删除无法保存的字符")
    page.shot("refused-text")
    expect(page.locator("textarea[name=comment]")).to_have_value("讲得很好下次再来")
    expect(page.locator("#rating-4")).to_be_checked()
    page.locator("form.feedback-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/activities/{activity_id}")
