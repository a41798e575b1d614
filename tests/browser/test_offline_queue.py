"""The scanner without network: decide from the cached roster, queue in IndexedDB,
survive a reload while the upload keeps failing, then upload once, show conflicts,
and a replay of the same batch changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.accounts.models import User
from server.activities import signups
from server.checkin.models import Scan
from server.checkin.services import ScanRequest, redeem
from server.core import clock
from server.extensions import db
from tests.browser.test_scanner import log_in

pytestmark = pytest.mark.browser
BATCH = "**/scans/batch"


def search_and_tap(page, query: str, name: str) -> None:
    page.fill("#scanner-q", query)
    page.locator("#scanner-results .scanner__person", has_text=name).click()


def dismiss(page) -> None:
    page.locator("#scanner-overlay").click()
    expect(page.locator("#scanner-overlay")).to_be_hidden()


def test_offline_scans_survive_a_reload_and_upload_once(live_server, phone, make_activity,
                                                        make_user, grant, now):
    activity = make_activity(starts_in=timedelta(minutes=20), hours=2, title="入户走访")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = {}
    for n, name in enumerate(("王秀兰", "李建国", "赵大妈"), start=1):
        people[name] = make_user(name=name, phone=f"1391234{n:04d}")
        signups.sign_up(activity.id, user=people[name], now=now)
    db.session.commit()
    activity_id, organiser_id, organiser_phone = activity.id, organiser.id, organiser.phone
    ids = {name: user.id for name, user in people.items()}
    db.session.close()
    page, context = phone, phone.context
    started = clock.now()

    log_in(page, live_server, organiser_phone)
    page.goto(f"{live_server}/manage/{activity_id}/scanner")
    scanner, banner = page.locator("#scanner"), page.locator("#scanner-banner")
    expect(scanner).to_have_attribute("data-roster", "server")  # roster cached
    expect(scanner).to_have_attribute("data-camera", "off")  # no camera here: search instead
    expect(page.locator("#count-signed-up")).to_have_text("3")

    # the network drops: decisions come from the cached roster and go into the queue
    context.set_offline(True)
    expect(scanner).to_have_attribute("data-offline", "1")
    search_and_tap(page, "王秀兰", "王秀兰")
    overlay = page.locator("#scanner-overlay")
    expect(overlay).to_have_attribute("data-result", "queued")
    expect(page.locator("#scanner-overlay.is-ok")).to_contain_text("王秀兰")
    page.shot("offline-queued")
    dismiss(page)
    search_and_tap(page, "0002", "李建国")  # last four digits of the phone
    expect(overlay).to_have_attribute("data-result", "queued")
    dismiss(page)
    # the phone remembers who it let in
    search_and_tap(page, "王秀兰", "王秀兰")
    expect(page.locator("#scanner-overlay.is-fail")).to_have_attribute(
        "data-result", "already_checked_in")
    dismiss(page)
    # meanwhile another phone, online, checks 赵大妈 in; this one cannot know
    redeem(ScanRequest(activity_id=activity_id, direction="entry", source="organiser_scan",
                       operator=db.session.get(User, organiser_id), user_id=ids["赵大妈"],
                       nonce="other-phone-0001", device="web-other-phone"), now=clock.now())
    db.session.commit()
    db.session.close()
    page.wait_for_timeout(50)  # the phone's clock moves on past the other phone's scan
    search_and_tap(page, "赵大妈", "赵大妈")
    expect(overlay).to_have_attribute("data-result", "queued")
    dismiss(page)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-waiting", "4")
    expect(banner).to_contain_text("4")
    expect(page.locator("#count-present")).to_have_text("3")
    page.shot("offline-four-waiting")

    # back online, but the upload is lost on the way, even after a reload
    attempts = []
    page.route(BATCH, lambda route: (attempts.append(1), route.abort()))
    context.set_offline(False)
    _wait_for(lambda: len(attempts) >= 1, page)
    expect(banner).to_have_attribute("data-waiting", "4")
    page.reload()
    expect(scanner).to_have_attribute("data-ready", "1")
    _wait_for(lambda: len(attempts) >= 2, page)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-waiting", "4")
    expect(page.locator("#scanner-retry")).to_be_visible()
    page.shot("reloaded-still-waiting")
    assert db.session.query(Scan).filter_by(source="offline_upload").count() == 0
    db.session.close()

    # the upload goes through: the queue empties, and what the server saw otherwise shows
    page.unroute(BATCH)
    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.url.endswith(
        "/scans/batch") else None)
    page.locator("#scanner-retry").click()
    expect(banner).to_be_hidden()
    conflicts = page.locator("#scanner-conflicts")
    expect(conflicts).to_be_visible()
    expect(conflicts).to_contain_text("赵大妈")
    expect(page.locator("#scanner-conflict-list li")).to_have_count(1)
    expect(page.locator("#scanner-conflict-list li")).to_have_attribute(
        "data-result", "already_checked_in")
    expect(page.locator("#count-present")).to_have_text("3")
    page.shot("uploaded-with-conflict")

    uploaded = db.session.query(Scan).filter_by(source="offline_upload").order_by(Scan.id).all()
    assert [(s.user_id, s.result) for s in uploaded] == [
        (ids["王秀兰"], "ok"), (ids["李建国"], "ok"), (ids["王秀兰"], "already_checked_in"),
        (ids["赵大妈"], "already_checked_in")]
    for s in uploaded:
        assert s.client_time is not None and s.operator_id == organiser_id
        assert started - timedelta(seconds=5) <= clock.as_utc(s.client_time) <= clock.as_utc(
            s.server_time)
        assert s.device.startswith("web-")
    assert uploaded[0].effective_time == uploaded[0].client_time  # counted at the phone's time
    other = db.session.query(Scan).filter_by(nonce="other-phone-0001").one()
    assert uploaded[3].duplicate_of_id == other.id  # visible to the reviewer
    total = db.session.query(Scan).count()
    db.session.close()

    # the same batch again (a lost answer, a second tab): nothing new
    assert len(sent) == 1
    batch = json.loads(sent[0])
    assert len(batch["scans"]) == 4 and all(s["client_time"] for s in batch["scans"])
    replay = page.evaluate("""async ([url, body]) => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const resp = await fetch(url, {method: "POST", body,
            headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
        return {status: resp.status, body: await resp.json()};
    }""", [f"{live_server}/api/v1/activities/{activity_id}/scans/batch", sent[0]])
    assert replay["status"] == 200
    assert [r["id"] for r in replay["body"]["results"]] == [s.id for s in uploaded]
    assert db.session.query(Scan).count() == total
    queued = page.evaluate("""() => window.WusheOfflineQueue.list().then(items => items.length)""")
    assert queued == 0
    db.session.close()

    # online again, the search box asks the server; 王秀兰 leaves
    searched = []
    page.on("request", lambda r: searched.append(r.url) if "/scanner/search" in r.url else None)
    page.locator(".scanner__dir[data-direction=exit]").click()
    search_and_tap(page, "0001", "王秀兰")
    assert searched and searched[-1].endswith("/scanner/search?q=0001")
    expect(overlay).to_have_attribute("data-result", "ok")
    expect(overlay).to_have_attribute("data-direction", "exit")
    dismiss(page)
    expect(page.locator("#count-left")).to_have_text("1")
    out = db.session.query(Scan).order_by(Scan.id.desc()).first()
    assert (out.user_id, out.direction, out.result, out.source) == (
        ids["王秀兰"], "exit", "ok", "manual_search")
    db.session.close()


def _wait_for(condition, page, timeout_ms: int = 10_000) -> None:
    """Let the page run until `condition` (checked on the test's side) holds."""
    waited = 0
    while not condition():
        if waited >= timeout_ms:
            raise AssertionError("timed out waiting for the page")
        page.wait_for_timeout(100)
        waited += 100
