"""A scanner phone handed over: scans queued offline by one organiser are sent only by that
organiser, never as whoever logs in next, and logging out leaves no list of people behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.activities import signups
from server.checkin import codes
from server.checkin.models import Scan
from server.extensions import db
from tests.browser.test_offline_queue import _wait_for, dismiss, search_and_tap
from tests.browser.test_scanner import log_in

pytestmark = pytest.mark.browser

STORES = """async () => {
  const db = await new Promise((ok, no) => {
    const req = indexedDB.open("wushe-scanner");
    req.onsuccess = () => ok(req.result);
    req.onerror = () => no(req.error);
  });
  const count = (name) => new Promise((ok) => {
    const req = db.transaction(name).objectStore(name).count();
    req.onsuccess = () => ok(req.result);
  });
  const out = {rosters: await count("rosters"), queue: await count("queue")};
  db.close();
  return out;
}"""


ORGANISER = "13800000002"


def organiser_of(activity, make_user, grant, name="张丽娜", phone=ORGANISER):
    person = make_user(name=name, phone=phone)
    grant(person, "organiser", activity.node, activity.organisation)
    return person


def open_scanner(page, base: str, activity_id: int, phone: str = ORGANISER) -> None:
    """Logged in as the organiser, their scanner open, the roster saved for offline."""
    log_in(page, base, phone)
    page.goto(f"{base}/manage/{activity_id}/scanner")
    expect(page.locator("#scanner")).to_have_attribute("data-roster", "server")


def log_out(page, base: str) -> None:
    page.goto(f"{base}/me")
    page.locator("form[action='/logout'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_queued_scans_wait_for_the_organiser_who_made_them(live_server, phone, make_activity,
                                                            make_user, make_org, grant, now):
    mine = make_activity(starts_in=timedelta(minutes=20), hours=2, title="入户走访")
    zhang = organiser_of(mine, make_user, grant)
    other_org = make_org(name="北苑志愿队")
    theirs = make_activity(org=other_org, starts_in=timedelta(minutes=20), hours=2)
    zhou = make_user(name="周伟静", phone="13800000003")
    grant(zhou, "organiser", other_org.node, other_org)
    volunteer = make_user(name="吴婷", phone="13912340001")
    signups.sign_up(mine.id, user=volunteer, now=now)
    db.session.commit()
    mine_id, theirs_id, zhang_id = mine.id, theirs.id, zhang.id
    db.session.close()
    page, context = phone, phone.context
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/scans/batch") else None)

    # 张丽娜 scans 吴婷 in without network, then logs out before it is sent
    open_scanner(page, live_server, mine_id)
    context.set_offline(True)
    search_and_tap(page, "吴婷", "吴婷")
    expect(page.locator("#scanner-overlay")).to_have_attribute("data-result", "queued")
    dismiss(page)
    page.route("**/scans/batch", lambda route: route.abort())  # back online, not yet sent
    context.set_offline(False)
    log_out(page, live_server)
    page.unroute("**/scans/batch")
    # logged out: the phone keeps no list of people, only the scan waiting to be sent
    _wait_for(lambda: page.evaluate(STORES)["rosters"] == 0, page)
    assert page.evaluate(STORES)["queue"] == 1
    sent.clear()

    # 周伟静, of another organisation, scans on the same phone: 吴婷's scan is not sent
    log_in(page, live_server, "13800000003")
    page.goto(f"{live_server}/manage/{theirs_id}/scanner")
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "1")
    expect(page.locator("#scanner-banner")).to_be_hidden()  # nothing of hers is waiting
    page.wait_for_timeout(500)
    assert sent == [] and page.evaluate(STORES)["queue"] == 1
    assert db.session.query(Scan).filter_by(source="offline_upload").count() == 0
    db.session.close()
    log_out(page, live_server)

    # 张丽娜 again: her scan goes, as hers
    log_in(page, live_server, ORGANISER)
    page.goto(f"{live_server}/manage/{mine_id}/scanner")
    _wait_for(lambda: page.evaluate(STORES)["queue"] == 0, page)
    [scan] = db.session.query(Scan).filter_by(source="offline_upload").all()
    assert (scan.operator_id, scan.result) == (zhang_id, "ok")


def test_a_batch_that_is_never_answered_is_given_up_and_tried_again(
        live_server, phone, make_activity, make_user, grant, now):
    activity = make_activity(starts_in=timedelta(minutes=20), hours=2, title="入户走访")
    organiser_of(activity, make_user, grant)
    signups.sign_up(activity.id, user=make_user(name="袁媛"), now=now)
    db.session.commit()
    activity_id = activity.id
    db.session.close()
    page, context = phone, phone.context
    page.clock.install()  # time flows, and can be moved on
    open_scanner(page, live_server, activity_id)
    context.set_offline(True)
    search_and_tap(page, "袁媛", "袁媛")
    dismiss(page)
    held = []
    page.route("**/scans/batch", lambda route: held.append(route))  # never answered
    context.set_offline(False)
    _wait_for(lambda: len(held) == 1, page)
    banner = page.locator("#scanner-banner")
    expect(banner).to_have_attribute("data-waiting", "1")
    expect(page.locator("#scanner-retry")).to_be_hidden()  # uploading
    page.clock.fast_forward(31_000)
    expect(page.locator("#scanner-retry")).to_be_visible()  # given up: the retry is offered
    page.unroute("**/scans/batch")
    page.clock.fast_forward(31_000)  # tried again on its own a while later: sent now
    expect(banner).to_be_hidden()
    assert db.session.query(Scan).filter_by(source="offline_upload").count() == 1


# the decoder's callback, as the camera would call it with what it read
CATCH_DECODER = """
Object.defineProperty(window, "WusheCamera", {
  configurable: true,
  set(camera) {
    const start = camera.start;
    camera.start = (opts) => { window.__decoded = opts.onText; return start(opts); };
    Object.defineProperty(window, "WusheCamera", {value: camera, writable: true});
  },
});
"""


def test_a_text_too_long_to_be_a_code_is_refused_at_once_and_never_queued(
        live_server, phone, make_activity, make_user, grant, now):
    """Offline, it used to be queued, and the server refused the whole batch it went in,
    holding every good scan behind it."""
    activity = make_activity(starts_in=timedelta(minutes=20), hours=2, title="入户走访")
    organiser_of(activity, make_user, grant)
    db.session.commit()
    activity_id = activity.id
    db.session.close()
    page, context = phone, phone.context
    page.add_init_script(CATCH_DECODER)
    open_scanner(page, live_server, activity_id)
    overlay = page.locator("#scanner-overlay")
    for online in (False, True):
        context.set_offline(not online)
        page.evaluate("text => window.__decoded(text)", "WSP1:" + "A" * 600 + str(online))
        expect(overlay).to_have_attribute("data-result", "invalid_code")
        expect(overlay).to_contain_text("不是有效的五社通二维码")
        dismiss(page)
    assert page.evaluate(STORES)["queue"] == 0
    assert db.session.query(Scan).count() == 0


def test_scans_queued_before_operators_were_named_are_sent_by_the_activity_s_organiser(
        live_server, phone, make_activity, make_user, grant, now):
    """A phone updated with scans still queued from the build before (no operator on them):
    the organiser who opens that activity's scanner sends them, instead of nobody ever."""
    activity = make_activity(starts_in=timedelta(minutes=20), hours=2, title="入户走访")
    organiser_of(activity, make_user, grant)
    volunteer = make_user(name="吴婷", phone="13912340001")
    signups.sign_up(activity.id, user=volunteer, now=now)
    code = codes.personal_payload(codes.active_code(volunteer, now=now))
    db.session.commit()
    activity_id = activity.id
    db.session.close()
    page, context = phone, phone.context
    open_scanner(page, live_server, activity_id)
    context.set_offline(True)
    page.evaluate("""([activityId, code]) => WusheOfflineQueue.add({
        activity_id: activityId, nonce: "old-build-000001", direction: "entry",
        client_time: new Date().toISOString(), local_result: "queued", code: code})""",
                  [activity_id, code])
    context.set_offline(False)
    page.reload()
    _wait_for(lambda: page.evaluate(STORES)["queue"] == 0, page)
    [scan] = db.session.query(Scan).filter_by(nonce="old-build-000001").all()
    assert scan.result == "ok"
