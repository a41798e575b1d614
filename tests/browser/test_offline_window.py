"""Offline, the scanner refuses what the server would refuse for the time: a check-in after
the activity ended is red at the door, not green and a conflict later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.extensions import db
from tests.browser.test_offline_handover import open_scanner, organiser_of
from tests.browser.test_offline_queue import dismiss, search_and_tap

pytestmark = pytest.mark.browser


def test_a_check_in_after_the_end_is_refused_offline(live_server, phone, make_activity,
                                                     make_user, grant, give_place):
    ended = make_activity(starts_in=timedelta(hours=-3), hours=2, title="已结束的讲座")
    organiser_of(ended, make_user, grant)
    give_place(ended, make_user(name="郭燕"))
    db.session.commit()
    ended_id = ended.id
    db.session.close()
    page, context = phone, phone.context
    open_scanner(page, live_server, ended_id)
    context.set_offline(True)
    search_and_tap(page, "郭燕", "郭燕")
    overlay = page.locator("#scanner-overlay")
    expect(overlay).to_have_attribute("data-result", "too_late")
    expect(page.locator("#scanner-overlay.is-fail")).to_contain_text("为时已晚")
    dismiss(page)
