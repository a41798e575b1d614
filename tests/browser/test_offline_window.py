"""Offline, the scanner refuses what the server would refuse for the time: a check-in after
the activity ended is red at the door, not green and a conflict later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.browser.test_offline_queue import dismiss, search_and_tap
from tests.browser.test_scanner import log_in

pytestmark = pytest.mark.browser


def test_a_check_in_after_the_end_is_refused_offline(live_server, phone, make_activity,
                                                     make_user, grant, give_place):
    ended = make_activity(starts_in=timedelta(hours=-3), hours=2, title="已结束的讲座")
    organiser = make_user(name="张丽娜", phone="13800000002")
    grant(organiser, "organiser", ended.node, ended.organisation)
    give_place(ended, make_user(name="郭燕"))
    db.session.commit()
    ended_id = ended.id
    db.session.close()
    page, context = phone, phone.context
    log_in(page, live_server, "13800000002")
    page.goto(f"{live_server}/manage/{ended_id}/scanner")
    expect(page.locator("#scanner")).to_have_attribute("data-roster", "server")
    context.set_offline(True)
    search_and_tap(page, "郭燕", "郭燕")
    overlay = page.locator("#scanner-overlay")
    expect(overlay).to_have_attribute("data-result", "too_late")
    expect(page.locator("#scanner-overlay.is-fail")).to_contain_text("为时已晚")
    dismiss(page)
