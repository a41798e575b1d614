"""Without network, the scanner and 我的码 still open: the service worker keeps them. The
scanner is reloaded offline, admits someone by manual search from the roster it kept, and
once the network is back the scan is uploaded, once. Logging out forgets the kept pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.activities import signups
from server.checkin.models import Scan
from server.extensions import db
from tests.browser.test_offline_queue import _wait_for, dismiss, search_and_tap
from tests.browser.test_scanner import log_in

pytestmark = pytest.mark.browser
KEPT = """async (path) => {
  const cache = await caches.open("wushe-pages");
  return !!(await cache.match(new URL(path, location.href).href));
}"""


def _kept(page, path: str) -> bool:
    return page.evaluate(KEPT, path)


def test_the_scanner_reloads_offline_and_uploads_once(live_server, phone, make_activity,
                                                      make_user, grant, now):
    activity = make_activity(starts_in=timedelta(minutes=20), hours=2, title="高龄老人助餐")
    organiser = make_user(name="社工小周")
    grant(organiser, "organiser", activity.node, activity.organisation)
    elder = make_user(name="王秀兰", phone="13912340001")
    signups.sign_up(activity.id, user=elder, now=now)
    db.session.commit()
    activity_id, organiser_phone, elder_id = activity.id, organiser.phone, elder.id
    db.session.close()
    page, context = phone, phone.context
    scanner_path = f"/manage/{activity_id}/scanner"

    log_in(page, live_server, organiser_phone)
    page.goto(f"{live_server}{scanner_path}")
    scanner = page.locator("#scanner")
    expect(scanner).to_have_attribute("data-roster", "server")
    # the worker is running and has kept this page (and its scripts)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    _wait_for(lambda: _kept(page, scanner_path), page)

    context.set_offline(True)
    page.reload()
    expect(scanner).to_have_attribute("data-ready", "1")
    expect(scanner).to_have_attribute("data-offline", "1")
    expect(scanner).to_have_attribute("data-roster", "saved")  # from IndexedDB
    page.shot("scanner-reloaded-offline")
    search_and_tap(page, "王秀兰", "王秀兰")
    overlay = page.locator("#scanner-overlay")
    expect(overlay).to_have_attribute("data-result", "queued")
    dismiss(page)
    banner = page.locator("#scanner-banner")
    expect(banner).to_have_attribute("data-waiting", "1")
    assert db.session.query(Scan).count() == 0
    db.session.close()

    context.set_offline(False)
    expect(banner).to_be_hidden(timeout=15_000)
    page.shot("uploaded")
    scans = db.session.query(Scan).all()
    assert [(s.user_id, s.result, s.source) for s in scans] == [
        (elder_id, "ok", "offline_upload")]
    db.session.close()
    # nothing is sent twice: another reload, online, uploads nothing more
    page.reload()
    expect(scanner).to_have_attribute("data-ready", "1")
    page.wait_for_timeout(500)
    assert db.session.query(Scan).count() == 1
    db.session.close()


def test_my_code_opens_offline_and_is_forgotten_after_logging_out(live_server, phone,
                                                                  make_user):
    make_user(name="李秀英", phone="13800000001")
    db.session.commit()
    db.session.close()
    page, context = phone, phone.context

    log_in(page, live_server, "13800000001")
    page.goto(f"{live_server}/code")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    _wait_for(lambda: _kept(page, "/code"), page)
    qr = page.locator(".qr-card svg")
    expect(qr).to_be_visible()
    context.set_offline(True)
    page.reload()
    expect(qr).to_be_visible()
    expect(page.locator(".qr-card__name")).to_have_text("李秀英")
    page.shot("my-code-offline")
    context.set_offline(False)

    page.goto(f"{live_server}/me")
    page.locator("form[action='/logout'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    _wait_for(lambda: not _kept(page, "/code"), page)
    context.set_offline(True)
    response = None
    try:
        response = page.goto(f"{live_server}/code")
    except Exception:  # noqa: BLE001 - offline and not kept: the browser's own error
        pass
    assert response is None or "李秀英" not in page.content()
    context.set_offline(False)
