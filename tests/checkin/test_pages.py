"""Check-in pages, as a person sees them: my code, the organiser's pages, self check-in."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import current_app

from server.activities import signups
from server.checkin import codes, geo, qr
from server.checkin.models import PersonalCode, Scan
from server.core import clock
from server.extensions import db
from tests.pages import EN, csrf, login, text


@pytest.fixture
def venue(make_activity, make_user, grant, now):
    """An activity starting in 30 minutes, its organiser and one signed-up volunteer."""
    activity = make_activity(starts_in=timedelta(minutes=30), hours=2, capacity=5,
                             title="社区图书漂流", place="运河园社区活动室")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="志愿者小王", phone="13912340001")
    signups.sign_up(activity.id, user=volunteer, now=now)
    return activity, organiser, volunteer


@pytest.fixture
def frozen(monkeypatch, now):
    """Pin the clock the views read; returns a setter to move it."""
    moment = {"now": now}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])

    def move(to):
        moment["now"] = to
    return move


def _venue_link(activity, at) -> str:
    return codes.venue_path(activity.id, now=at)[0]


def _svg_path(payload: str) -> str:
    """The modules of a QR (its <path d=...>), to find the very code on a page."""
    return re.search(r' d="([^"]+)"', qr.svg(payload)).group(1)


# my code -----------------------------------------------------------------------------

def test_my_code_shows_a_qr_and_never_the_code_as_text(client, venue, now):
    _, _, volunteer = venue
    login(client, volunteer)
    resp = client.get("/code", headers=EN)
    page = text(resp)
    assert resp.status_code == 200
    payload = codes.personal_payload(codes.active_code(volunteer, now=now))
    assert "<svg" in page and _svg_path(payload) in page
    assert payload not in page and payload.split(":")[1] not in page
    assert "Show this to the organiser at the venue" in page
    assert "/api/v1/me/code/qr.png" in page
    assert 'href="/code"' in page and 'aria-current="page"' in page


def test_my_code_needs_a_login(client):
    resp = client.get("/code")
    assert resp.status_code == 302 and "/login?next=/code" in resp.headers["Location"]


def test_regenerate_replaces_the_code_and_the_old_one_answers_revoked(client, venue, scan,
                                                                      now):
    activity, organiser, volunteer = venue
    token = login(client, volunteer)
    client.get("/code")
    old = codes.personal_payload(codes.active_code(volunteer, now=now))
    page = text(client.get("/code", headers=EN))
    assert "Your current code will stop working" in page  # the confirm dialog says so

    resp = client.post("/code/regenerate", data={"csrf_token": token}, headers=EN)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/code")
    after = text(client.get("/code", headers=EN))
    assert "Your old code no longer works" in after
    new = codes.personal_payload(codes.active_code(volunteer, now=now))
    assert new != old
    assert _svg_path(new) in after and _svg_path(old) not in after
    assert db.session.query(PersonalCode).filter_by(user_id=volunteer.id).count() == 2
    assert scan(activity, organiser, code=old).result == "revoked"
    assert scan(activity, organiser, code=new).result == "ok"


def test_regenerate_without_the_form_token_is_refused(client, venue, now):
    _, _, volunteer = venue
    login(client, volunteer)
    before = codes.active_code(volunteer, now=now).token
    assert client.post("/code/regenerate").status_code == 400
    assert codes.active_code(volunteer, now=now).token == before


# organiser pages ----------------------------------------------------------------------

def test_scanner_is_for_the_organiser_and_coordinators_above(app, client, venue, make_user,
                                                             grant):
    activity, organiser, volunteer = venue
    login(client, volunteer)
    for path in ("scanner", "venue-code", "venue-code/qr", "poster", "poster.png"):
        assert client.get(f"/manage/{activity.id}/{path}").status_code == 403, path

    staff = app.test_client()
    login(staff, organiser)
    resp = staff.get(f"/manage/{activity.id}/scanner", headers=EN)
    page = text(resp)
    assert resp.status_code == 200
    assert "<video" in page and "Walk-in: admit" in page and "社区图书漂流" in page
    config = json.loads(re.search(r'<script type="application/json" id="scanner-config">'
                                  r"(.*?)</script>", page, re.S).group(1))
    assert config["activityId"] == activity.id
    assert config["urls"]["scan"] == f"/api/v1/activities/{activity.id}/scans"
    # the decoder from this site, under its content-hashed name (cached for a year)
    assert re.fullmatch(r"/static/vendor/zxing/zxing_reader\.[0-9a-f]{10}\.wasm",
                        config["urls"]["wasm"])
    assert config["text"]["already_checked_in"] == "Already checked in"
    assert config["text"]["waiting"] == "{n} waiting"

    coordinator = make_user(name="街道协调员")
    grant(coordinator, "coordinator", activity.node.parent)
    above = app.test_client()
    login(above, coordinator)
    assert above.get(f"/manage/{activity.id}/scanner").status_code == 200


def test_scanner_page_needs_a_login(client, venue):
    activity, _, _ = venue
    resp = client.get(f"/manage/{activity.id}/scanner")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_activity_page_links_the_check_in_pages_for_staff_only(app, client, venue):
    activity, organiser, volunteer = venue
    login(client, organiser)
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    for path in ("scanner", "venue-code", "poster"):
        assert f'href="/manage/{activity.id}/{path}"' in page
    assert "0 present · 0 left" in page
    resident = app.test_client()
    login(resident, volunteer)
    assert f"/manage/{activity.id}/scanner" not in text(
        resident.get(f"/activities/{activity.id}"))


def test_venue_code_page_shows_the_current_rotating_code(client, venue, frozen, now):
    activity, organiser, _ = venue
    login(client, organiser)
    expected = "http://localhost" + _venue_link(activity, now)
    page = text(client.get(f"/manage/{activity.id}/venue-code", headers=EN))
    assert "<svg" in page and _svg_path(expected) in page
    assert "Scan with WeChat or any QR app to check in / check out" in page
    left = codes.venue_path(activity.id, now=now)[1]
    assert f'hx-trigger="load delay:{left}s, every 10s"' in page

    step = current_app.config["ROTATING_CODE_STEP_SECONDS"]
    frozen(now + timedelta(seconds=step))
    fragment = text(client.get(f"/manage/{activity.id}/venue-code/qr"))
    assert "<html" not in fragment and 'id="venue-qr"' in fragment
    following = "http://localhost" + _venue_link(activity, now + timedelta(seconds=step))
    assert following != expected and _svg_path(following) in fragment


def test_poster_page_and_png(client, venue):
    activity, organiser, _ = venue
    login(client, organiser)
    url = "http://localhost" + codes.poster_path(activity.id)
    page = text(client.get(f"/manage/{activity.id}/poster", headers=EN))
    assert _svg_path(url) in page
    assert "社区图书漂流" in page and "运河园社区活动室" in page
    assert "Scan with WeChat or any QR app to check in / check out" in page
    assert "@page" not in page  # print rules live in the stylesheet
    png = client.get(f"/manage/{activity.id}/poster.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG")
    assert "attachment" in png.headers["Content-Disposition"]


# self check-in ------------------------------------------------------------------------

def test_self_check_in_confirm_then_checked_in_with_ip_and_gcj02(client, venue, frozen, now):
    activity, _, volunteer = venue
    login(client, volunteer)
    link = _venue_link(activity, now)
    page = text(client.get(link, headers=EN))
    assert "This will check you in" in page
    assert "社区图书漂流" in page and "运河园社区活动室" in page
    assert db.session.query(Scan).count() == 0  # opening the link records nothing

    token = csrf(client, link)
    resp = client.post(link, headers=EN, data={
        "csrf_token": token, "direction": "entry", "latitude": "39.915", "longitude": "116.404"})
    assert resp.status_code == 200
    assert f"Checked in at {clock.local(now):%H:%M}" in text(resp)
    row = db.session.query(Scan).one()
    assert (row.result, row.source, row.user_id, row.direction) == (
        "ok", "self", volunteer.id, "entry")
    assert row.ip and row.ip.startswith("10.1.")
    lat, lng = geo.wgs84_to_gcj02(39.915, 116.404)
    assert (row.latitude, row.longitude) == pytest.approx((lat, lng))
    assert (round(lat, 5), round(lng, 5)) == (39.9164, 116.41024)  # not the WGS-84 input

    # a second tap on the same confirmation does not turn it into a check-out
    again = client.post(link, headers=EN, data={"csrf_token": token, "direction": "entry"})
    assert "Already checked in" in text(again)
    assert db.session.query(Scan).filter_by(result="ok").count() == 1
    # scanning the venue code again, later, offers the check-out
    later = now + timedelta(minutes=40)
    frozen(later)
    out_link = _venue_link(activity, later)
    assert "This will check you out" in text(client.get(out_link, headers=EN))
    done = client.post(out_link, headers=EN, data={"csrf_token": csrf(client, out_link),
                                                   "direction": "exit"})
    assert f"Checked out at {clock.local(later):%H:%M}" in text(done)
    assert db.session.query(Scan).filter_by(result="ok").count() == 2


def test_self_check_in_without_location_still_works(client, venue, now):
    activity, _, _ = venue
    login(client, venue[2])
    link = _venue_link(activity, clock.now())
    resp = client.post(link, data={"csrf_token": csrf(client, link), "latitude": "",
                                   "direction": "entry", "longitude": "not a number"},
                       headers=EN)
    assert "Checked in at" in text(resp)
    row = db.session.query(Scan).one()
    assert (row.latitude, row.longitude) == (None, None)


def test_an_expired_step_shows_code_expired_and_records_nothing(client, venue, now):
    activity, _, volunteer = venue
    login(client, volunteer)
    size = current_app.config["ROTATING_CODE_STEP_SECONDS"]
    grace = current_app.config["ROTATING_CODE_GRACE_STEPS"]
    old = _venue_link(activity, clock.now() - timedelta(seconds=size * (grace + 1)))
    resp = client.get(old, headers=EN)
    assert resp.status_code == 200
    assert "This code has expired: scan the new one" in text(resp)
    assert "weui-icon-warn" in text(resp) and "This will check you in" not in text(resp)
    assert db.session.query(Scan).count() == 0


@pytest.mark.parametrize("mac", ["AAAAAAAAAAAAAAAA", "%C3%A9t%C3%A9", "x" * 41])
def test_a_tampered_link_is_an_invalid_code(client, venue, mac):
    activity, _, volunteer = venue
    login(client, volunteer)
    step = codes.step_of(clock.now())
    for path in (f"/c/{activity.id}/{step}/{mac}", f"/c/{activity.id}/poster/{mac}",
                 f"/c/{activity.id}/%C2%B2/{codes.venue_mac(activity.id, step)}"):
        resp = client.get(path, headers=EN)
        assert resp.status_code == 200, path
        assert "Not a valid Wushe code" in text(resp)
    assert db.session.query(Scan).count() == 0


def test_not_logged_in_the_link_is_held_through_login(app, client, venue, frozen, now):
    activity, _, volunteer = venue
    link = _venue_link(activity, now)
    resp = client.get(link)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/login?next={link}")

    # logging in takes a few minutes: the link itself has expired by now...
    later = now + timedelta(minutes=3)
    frozen(later)
    stranger = app.test_client()
    login(stranger, volunteer)
    assert "This code has expired" in text(stranger.get(link, headers=EN))
    # ...but this browser opened it in time, and holds it
    client.environ_base["REMOTE_ADDR"] = "10.9.0.1"
    token = csrf(client, f"/login?next={link}")
    back = client.post("/login", data={"phone": volunteer.phone, "password": "secret123",
                                       "csrf_token": token, "next": link})
    assert back.status_code == 302 and back.headers["Location"].endswith(link)
    assert "This will check you in" in text(client.get(link, headers=EN))
    done = client.post(link, headers=EN, data={"csrf_token": csrf(client, link),
                                               "direction": "entry"})
    assert f"Checked in at {clock.local(later):%H:%M}" in text(done)
    row = db.session.query(Scan).filter_by(result="ok").one()
    assert (row.source, row.ip) == ("self", "10.9.0.1")


def test_the_hold_lasts_only_so_long(client, venue, frozen, now):
    activity, _, volunteer = venue
    link = _venue_link(activity, now)
    client.get(link)
    hold = current_app.config["SELF_CHECKIN_HOLD_MINUTES"]
    frozen(now + timedelta(minutes=hold + 1))
    login(client, volunteer)
    assert "This code has expired" in text(client.get(link, headers=EN))


def test_the_poster_link_checks_in_marked_as_poster(client, venue, now):
    activity, _, volunteer = venue
    login(client, volunteer)
    link = codes.poster_path(activity.id)
    assert "This will check you in" in text(client.get(link, headers=EN))
    client.post(link, data={"csrf_token": csrf(client, link), "direction": "entry"})
    row = db.session.query(Scan).one()
    assert (row.result, row.source) == ("ok", "self_poster")


def test_a_volunteer_who_did_not_sign_up_is_told_and_the_try_is_recorded(client, venue,
                                                                         make_user):
    activity, _, _ = venue
    walker = make_user(name="路过的居民")
    login(client, walker)
    link = _venue_link(activity, clock.now())
    assert "You have not signed up for this activity" in text(client.get(link, headers=EN))
    resp = client.post(link, headers=EN, data={"csrf_token": csrf(client, link),
                                               "direction": "entry"})
    assert "Not signed up for this activity" in text(resp)
    assert db.session.query(Scan).one().result == "not_signed_up"


def test_wgs84_to_gcj02_is_the_published_transform():
    # reference values of the widely used transform (Beijing; Shanghai area)
    assert geo.wgs84_to_gcj02(39.915, 116.404) == pytest.approx(
        (39.91640428150164, 116.41024449916938), abs=1e-9)
    assert geo.wgs84_to_gcj02(30.6107779, 121.0917077) == pytest.approx(
        (30.6086043, 121.0962693), abs=1e-6)
    assert geo.wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)  # outside China: as is
