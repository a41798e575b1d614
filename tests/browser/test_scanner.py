"""The organiser's scanner reads a volunteer's personal QR through a (fake) camera.

Chromium's fake webcam plays a Y4M frame this test draws from the volunteer's real
code; Linux Chromium has no native BarcodeDetector, so this goes through the
self-hosted ZXing WebAssembly decoder, and nothing may be fetched from elsewhere.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.activities import signups
from server.activities.models import Signup
from server.checkin import codes
from server.checkin.models import Scan
from server.extensions import db
from tests.browser.conftest import ARTIFACTS, CHROMIUM_FLAGS, chromium_path
from tests.browser.qrframe import write_y4m
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def camera(browser, tmp_path_factory):
    """A second Chromium whose camera sees whatever the test writes into the Y4M file
    (Chromium opens the file when a page starts the camera)."""
    frame = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(frame, "no code yet")
    with_camera = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=[*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={frame}"])
    yield with_camera, frame
    with_camera.close()


def log_in(page, base: str, phone: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_the_camera_reads_a_personal_code_and_shows_green(live_server, camera, make_activity,
                                                          make_user, grant, now, request):
    browser, frame = camera
    activity = make_activity(starts_in=timedelta(minutes=30), hours=2,
                             title="法律问题进社区公益讲堂")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="王秀兰", phone="13912345678")
    signups.sign_up(activity.id, user=volunteer, now=now)
    payload = codes.personal_payload(codes.active_code(volunteer, now=now))
    db.session.commit()
    activity_id, organiser_id, organiser_phone = activity.id, organiser.id, organiser.phone
    # release the test's own transaction: on SQLite it would hold the write lock
    db.session.close()
    write_y4m(frame, payload)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  timezone_id="Asia/Shanghai", permissions=["camera"])
    page = context.new_page()
    elsewhere = []
    page.on("request", lambda r: None if r.url.startswith((live_server, "data:", "blob:"))
            else elsewhere.append(r.url))
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        log_in(page, live_server, organiser_phone)
        page.goto(f"{live_server}/manage/{activity_id}/scanner")
        expect(page.locator("#scanner")).to_have_attribute("data-camera", "on")
        green = page.locator("#scanner-overlay.is-ok")
        expect(green).to_be_visible(timeout=15_000)
        expect(green).to_contain_text("王秀兰")
        expect(green).to_contain_text("139****5678")
        expect(green).to_have_attribute("data-result", "ok")
        assert page.locator("#scanner").get_attribute("data-decoder") in ("zxing-wasm",
                                                                           "native")
        box = green.bounding_box()
        assert box["width"] >= 390 and box["height"] >= 844  # the whole screen
        page.screenshot(path=str(folder / "01-scanner-green.png"))
        expect(page.locator("#count-present")).to_have_text("1")
    finally:
        context.close()

    assert elsewhere == []  # the decoder and its .wasm came from this site
    ok = db.session.query(Scan).filter_by(activity_id=activity_id, result="ok").all()
    assert len(ok) == 1
    assert (ok[0].source, ok[0].operator_id, ok[0].direction) == (
        "organiser_scan", organiser_id, "entry")
    assert ok[0].device.startswith("web-") and ok[0].nonce
    db.session.close()


def test_a_walk_in_is_admitted_then_checked_out(live_server, camera, make_activity, make_user,
                                                grant, now, request):
    browser, frame = camera
    activity = make_activity(starts_in=timedelta(minutes=10), hours=2, title="慈善公益节")
    organiser = make_user(name="社工小李")
    grant(organiser, "organiser", activity.node, activity.organisation)
    walker = make_user(name="路过的居民", phone="13700001234")
    payload = codes.personal_payload(codes.active_code(walker, now=now))
    db.session.commit()
    activity_id, organiser_phone, walker_id = activity.id, organiser.phone, walker.id
    db.session.close()
    write_y4m(frame, payload)

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  permissions=["camera"], timezone_id="Asia/Shanghai")
    page = context.new_page()
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        log_in(page, live_server, organiser_phone)
        page.goto(f"{live_server}/manage/{activity_id}/scanner")
        red = page.locator("#scanner-overlay.is-fail")
        expect(red).to_have_attribute("data-result", "not_signed_up", timeout=15_000)
        expect(red).to_contain_text("路过的居民")
        page.screenshot(path=str(folder / "01-not-signed-up.png"))
        page.locator("#scanner-walkin").click()
        green = page.locator("#scanner-overlay.is-ok")
        expect(green).to_have_attribute("data-result", "ok")
        expect(green).to_contain_text("路过的居民")
        expect(green).to_have_attribute("data-direction", "entry")
        green.click()  # dismiss; the same code is then ignored for a few seconds
        expect(green).to_be_hidden()
        page.locator(".scanner__dir[data-direction=exit]").click()
        expect(page.locator(".scanner__dir[data-direction=exit]")).to_have_attribute(
            "aria-pressed", "true")
        expect(green).to_be_visible(timeout=10_000)
        expect(green).to_have_attribute("data-direction", "exit")
        expect(green).to_have_attribute("data-result", "ok")
        page.screenshot(path=str(folder / "02-checked-out.png"))
    finally:
        context.close()

    rows = db.session.query(Scan).filter_by(activity_id=activity_id, user_id=walker_id) \
        .order_by(Scan.id).all()
    assert [(s.result, s.direction, s.walk_in) for s in rows[:3]] == [
        ("not_signed_up", "entry", False), ("ok", "entry", True), ("ok", "exit", False)]
    assert len({s.nonce for s in rows}) == len(rows)  # the walk-in went with a new nonce
    db.session.close()


def _scanning_for(live_server, phone, make_activity, make_user, grant, person):
    """An activity about to start, its organiser at the scanner page, and someone not on
    its list (`person(activity)` makes them): (activity id, their id)."""
    activity = make_activity(starts_in=timedelta(minutes=10), hours=2, title="助老服务日")
    organiser = make_user(name="社工小周")
    grant(organiser, "organiser", activity.node, activity.organisation)
    someone = person(activity)
    db.session.commit()
    ids, organiser_phone = (activity.id, someone.id), organiser.phone
    db.session.close()
    log_in(phone, live_server, organiser_phone)
    phone.goto(f"{live_server}/manage/{ids[0]}/scanner")
    return ids


def test_a_walk_in_without_their_code_is_found_by_full_phone(live_server, phone, make_activity,
                                                             make_user, grant, now):
    activity_id, walker_id = _scanning_for(
        live_server, phone, make_activity, make_user, grant,
        lambda activity: make_user(name="手机没带码的", phone="13700005678",
                                   home_node=activity.node))
    phone.fill("#scanner-q", "137 0000 5678")
    offer = phone.locator(".scanner__by-phone")
    expect(offer).to_contain_text("137****5678")
    offer.click()
    red = phone.locator("#scanner-overlay.is-fail")
    expect(red).to_have_attribute("data-result", "not_signed_up")
    expect(red).not_to_contain_text("手机没带码的")  # not told whose number it is yet
    phone.locator("#scanner-walkin").click()
    green = phone.locator("#scanner-overlay.is-ok")
    expect(green).to_have_attribute("data-result", "ok")
    expect(green).to_contain_text("手机没带码的")
    phone.shot("walk-in-by-phone")

    rows = db.session.query(Scan).filter_by(activity_id=activity_id, user_id=walker_id).all()
    assert [(s.result, s.walk_in, s.assisted, s.source) for s in rows] == [
        ("ok", True, True, "phone_lookup")]
    db.session.close()


def test_a_number_from_elsewhere_is_not_admitted_and_not_offered_again(
        live_server, phone, make_activity, make_user, make_node, grant):
    _activity_id, far_id = _scanning_for(
        live_server, phone, make_activity, make_user, grant,
        lambda activity: make_user(name="外区居民", phone="13700006789",
                                   home_node=make_node(name="北苑社区")))
    phone.fill("#scanner-q", "137 0000 6789")
    phone.locator(".scanner__by-phone").click()
    expect(phone.locator("#scanner-overlay.is-fail")).to_have_attribute(
        "data-result", "not_signed_up")
    phone.locator("#scanner-walkin").click()
    red = phone.locator("#scanner-overlay.is-fail")
    expect(red).to_contain_text("请对方出示本人的签到码")
    expect(red).not_to_contain_text("外区居民")
    expect(phone.locator("#scanner-walkin")).to_be_hidden()
    phone.shot("walk-in-refused")
    assert not db.session.query(Signup).filter_by(user_id=far_id).count()
    db.session.close()


def test_a_family_members_code_shows_who_signed_them_up(live_server, camera, make_activity,
                                                        make_user, grant, now):
    from datetime import date

    from server.accounts import family
    browser, frame = camera
    activity = make_activity(starts_in=timedelta(minutes=30), hours=2, title="少儿书法课")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    guardian = make_user(name="李红", phone="13911113333")
    child = family.add_member(guardian, name="李乐乐", relation="child",
                              birth_date=date(now.year - 9, 3, 1), now=now, consent=True)
    signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    payload = codes.personal_payload(codes.active_code(child, now=now))
    db.session.commit()
    activity_id, organiser_phone = activity.id, organiser.phone
    db.session.close()
    write_y4m(frame, payload)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", permissions=["camera"])
    page = context.new_page()
    try:
        log_in(page, live_server, organiser_phone)
        page.goto(f"{live_server}/manage/{activity_id}/scanner")
        green = page.locator("#scanner-overlay.is-ok")
        expect(green).to_be_visible(timeout=15_000)
        expect(page.locator("#scanner-name")).to_have_text("李乐乐")
        expect(page.locator("#scanner-phone")).to_have_text("家属，由李红代报名")
    finally:
        context.close()
