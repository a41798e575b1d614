"""Entering a paper sign-in sheet by scanning its rows' codes through a (fake) camera:
each code ticks its row, and the form is sent once, as one batch."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from server.checkin import codes, paper, paper_pdf, qr
from server.checkin.models import PaperBatch, Scan
from server.extensions import db
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path
from tests.browser.qrframe import BLACK, NEUTRAL, WHITE, write_y4m
from tests.browser.test_scanner import log_in

pytestmark = pytest.mark.browser


def _pdf_picture(data: bytes) -> Image.Image:
    page = PdfReader(io.BytesIO(data)).pages[0]
    return Image.open(io.BytesIO(page.images[0].data)).convert("L")


def _same(picture: Image.Image, token: str) -> bool:
    return picture.tobytes() == Image.open(io.BytesIO(qr.png(token, box=4))).convert(
        "L").tobytes()


def _write_picture(path: Path, picture: Image.Image, width=640, height=480) -> None:
    """One Y4M frame of a picture, scaled up 3 times, centred on white."""
    big = picture.resize((picture.width * 3, picture.height * 3), Image.NEAREST)
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(big, ((width - big.width) // 2, (height - big.height) // 2))
    luma = bytes(BLACK if v < 128 else WHITE for v in canvas.tobytes())
    chroma = bytes([NEUTRAL]) * ((width // 2) * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture(scope="module")
def camera(browser, tmp_path_factory):
    frame = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(frame, "no code yet")
    with_camera = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=[*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={frame}"])
    yield with_camera, frame
    with_camera.close()


def test_scanning_a_row_ticks_it_and_the_sheet_is_entered_once(live_server, camera,
                                                               make_activity, make_user, grant,
                                                               give_place):
    browser, frame = camera
    activity = make_activity(starts_in=timedelta(hours=-3), hours=2, title="入户走访")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = [make_user(name=n) for n in ("王秀兰", "李大爷")]
    for p in people:
        give_place(activity, p)
    rows = paper.sheet(activity)
    db.session.commit()
    activity_id, organiser_id, phone = activity.id, organiser.id, organiser.phone
    # the camera sees a QR picture taken out of the printed PDF itself: the real decoder
    # reads it, so what the sheet carries is proven to be a row's code
    picture = _pdf_picture(paper_pdf.render(activity, rows))
    _write_picture(frame, picture)
    scanned = next(r for r in rows if _same(picture, r.token))
    scanned_signup, scanned_name = scanned.signup.id, scanned.user.name
    assert codes.read_sheet(rows[1].token) == (activity_id, rows[1].signup.id)
    db.session.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  permissions=["camera"], timezone_id="Asia/Shanghai")
    page = context.new_page()
    elsewhere = []
    page.on("request", lambda r: None if r.url.startswith((live_server, "data:", "blob:"))
            else elsewhere.append(r.url))
    try:
        log_in(page, live_server, phone)
        page.goto(f"{live_server}/manage/{activity_id}/paper-sheet")
        expect(page.locator("#paper-scan")).to_have_attribute("data-ready", "1")
        page.click("#paper-scan-start")
        row = page.locator(f'tr[data-signup-id="{scanned_signup}"]')
        expect(row.locator('input[name="entry"]')).to_be_checked(timeout=15_000)
        expect(page.locator("#paper-scan-status")).to_contain_text(scanned_name)
        expect(page.locator('input[name="entry"]:checked')).to_have_count(1)
        page.locator("form.paper-entry button[type=submit]").click()
        page.wait_for_url(lambda url: "/paper-sheet/" in url)
        done = page.locator("[data-testid=paper-batch]")
        expect(done).to_contain_text("纸质签到，由 社工小张 录入")
    finally:
        context.close()

    assert elsewhere == []
    scans = db.session.query(Scan).all()
    assert [(s.signup_id, s.direction, s.result, s.source, s.operator_id) for s in scans] == [
        (scanned_signup, "entry", "ok", "paper", organiser_id)]
    assert db.session.query(PaperBatch).one().entered_by_id == organiser_id
    db.session.close()
