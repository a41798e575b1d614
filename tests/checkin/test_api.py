"""The check-in API: answers, offline batches, roster privacy, codes and images."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.activities import signups
from server.checkin import codes
from server.checkin.models import RESULTS, Scan
from server.core import clock
from server.extensions import db


@pytest.fixture
def venue(make_activity, make_user, grant):
    now = clock.now()
    activity = make_activity(starts_in=timedelta(minutes=5), hours=2, capacity=5)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="志愿者小李", phone="13912345678")
    signups.sign_up(activity.id, user=volunteer, now=now)
    payload = codes.personal_payload(codes.active_code(volunteer, now=now))
    return activity, organiser, volunteer, payload


def test_scan_answers_with_result_and_masked_person(api, venue):
    activity, organiser, _, payload = venue
    api.login(organiser)
    resp = api.post(f"/api/v1/activities/{activity.id}/scans",
                    json={"code": payload, "nonce": "nonce-00000001"})
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["result"], body["ok"], body["person"]["name"]) == ("ok", True, "志愿者小李")
    assert body["person"]["phone"] == "139****5678"
    assert "13912345678" not in resp.get_data(as_text=True)
    again = api.post(f"/api/v1/activities/{activity.id}/scans",
                     json={"code": payload, "nonce": "nonce-00000002"}).get_json()
    assert (again["result"], again["ok"]) == ("already_checked_in", False)
    replay = api.post(f"/api/v1/activities/{activity.id}/scans",
                      json={"code": payload, "nonce": "nonce-00000001"}).get_json()
    assert replay == body
    assert db.session.query(Scan).count() == 2


def test_the_scan_log_filters_by_a_result_code_and_refuses_any_other(api, venue, client):
    activity, organiser, _, payload = venue
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    for nonce in ("nonce-00000011", "nonce-00000012"):
        api.post(url, json={"code": payload, "nonce": nonce})
    assert [s["nonce"] for s in api.get(f"{url}?result=ok").get_json()] == ["nonce-00000011"]
    assert [s["result"] for s in api.get(f"{url}?result=already_checked_in").get_json()] == [
        "already_checked_in"]
    assert api.get(f"{url}?result=activity_full").get_json() == []
    for bogus in ("bogus", "nonce_reused", "OK", ""):
        resp = api.get(f"{url}?result={bogus}")
        assert resp.status_code == 422, bogus
        body = resp.get_json()
        assert (body["code"], set(body["errors"])) == ("validation_error", {"result"}), body
    spec = client.get("/api/v1/openapi.json").get_json()
    params = spec["paths"]["/api/v1/activities/{activity_id}/scans"]["get"]["parameters"]
    result = next(p for p in params if p["name"] == "result")
    assert [code for code in result["schema"]["enum"] if code] == list(RESULTS)


def test_a_resident_scanning_is_refused_and_writes_nothing(api, venue, make_user):
    """Found by an outside test: any account could add rows to any activity's scan log
    (200, result not_allowed, stored), five a second, while the log itself answered 403."""
    activity, _, _, payload = venue
    api.login(make_user(name="好奇的居民"))
    for body in ({"code": payload}, {"code": "x0"}, {"code": payload, "walk_in": True}):
        resp = api.post(f"/api/v1/activities/{activity.id}/scans", json=body)
        assert resp.status_code == 403, resp.get_json()
        assert resp.get_json()["code"] == "scan_not_allowed"
        assert resp.get_json()["message"] == "您无权为该活动扫码。"
    # a phone's queue is answered scan by scan (it files them with its conflicts and goes
    # on with the rest of the queue), and nothing is written either
    batch = api.post(f"/api/v1/activities/{activity.id}/scans/batch", json={"scans": [
        {"code": payload, "nonce": f"resident-batch-000{n}", "client_time": "2026-01-01T09:00"}
        for n in range(3)]})
    assert batch.status_code == 200, batch.get_json()
    assert [r["result"] for r in batch.get_json()["results"]] == ["not_allowed"] * 3
    assert db.session.query(Scan).count() == 0
    assert api.get(f"/api/v1/activities/{activity.id}/scanner").status_code == 403


def test_bad_input_is_refused_and_records_nothing(api, venue):
    activity, organiser, volunteer, payload = venue
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    cases = [({"code": payload, "direction": "sideways"}, "validation_error"),
             ({"code": payload, "nonce": "短"}, "validation_error"),
             ({"code": payload, "user_id": volunteer.id}, "code_or_person_required"),
             ({}, "code_or_person_required")]
    for body, code in cases:
        resp = api.post(url, json=body)
        assert resp.status_code == 422 and resp.get_json()["code"] == code
    assert api.post("/api/v1/activities/999999/scans", json={"code": payload}).status_code == (
        404)
    assert db.session.query(Scan).count() == 0


def test_offline_batch_upload_is_idempotent(api, venue):
    activity, organiser, _, payload = venue
    api.login(organiser)
    start = activity.starts_at
    batch = {"scans": [
        {"code": payload, "nonce": "offline-0000001", "client_time": start.isoformat()},
        {"code": payload, "nonce": "offline-0000002", "direction": "exit",
         "client_time": (start + timedelta(minutes=1)).isoformat()},
    ]}
    url = f"/api/v1/activities/{activity.id}/scans/batch"
    first = api.post(url, json=batch)
    assert first.status_code == 200
    results = [r["result"] for r in first.get_json()["results"]]
    # the exit's phone time lies before the server's "now": it still counts
    assert results[0] == "ok" and results[1] in ("ok", "too_late")
    for _ in range(2):
        assert api.post(url, json=batch).get_json() == first.get_json()
    assert db.session.query(Scan).count() == 2
    log = api.get(f"/api/v1/activities/{activity.id}/scans").get_json()
    assert [(r["nonce"], r["source"], r["device"]) for r in log] == [
        ("offline-0000002", "offline_upload", None), ("offline-0000001", "offline_upload", None)]
    missing_time = api.post(url, json={"scans": [{"code": payload, "nonce": "offline-0000003"}]})
    assert missing_time.status_code == 422


def test_scanner_roster_carries_hashes_not_codes(api, venue):
    activity, organiser, volunteer, payload = venue
    api.login(organiser)
    resp = api.get(f"/api/v1/activities/{activity.id}/scanner")
    body = resp.get_json()
    assert body["counts"] == {"signed_up": 1, "present": 0, "left": 0}
    row = body["roster"][0]
    assert row["code_hash"] == codes.payload_hash(payload)
    assert payload.split(":")[1] not in resp.get_data(as_text=True)
    assert row["phone"] == "139****5678"
    counts = api.get(f"/api/v1/activities/{activity.id}/scanner/counts")
    assert counts.get_json() == {"signed_up": 1, "present": 0, "left": 0}


def test_search_by_name_or_last_four_digits(api, venue):
    activity, organiser, volunteer, _ = venue
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scanner/search"
    assert [r["name"] for r in api.get(url, query_string={"q": "5678"}).get_json()] == [
        "志愿者小李"]
    # full-width digits from a Chinese keyboard are the same digits
    assert [r["name"] for r in api.get(url, query_string={"q": "５６７８"}).get_json()] == [
        "志愿者小李"]
    assert [r["name"] for r in api.get(url, query_string={"q": "小李"}).get_json()] == [
        "志愿者小李"]
    assert api.get(url, query_string={"q": "0000"}).get_json() == []
    picked = api.post(f"/api/v1/activities/{activity.id}/scans",
                      json={"user_id": volunteer.id}).get_json()
    assert (picked["result"], picked["source"]) == ("ok", "manual_search")


def test_venue_code_and_self_check_in(api, venue, app):
    activity, organiser, volunteer, _ = venue
    api.login(organiser)
    link = api.get(f"/api/v1/activities/{activity.id}/venue-code").get_json()
    assert f"/c/{activity.id}/" in link["url"] and 0 < link["seconds_left"] <= 30
    step, mac = link["url"].rsplit("/", 2)[-2:]
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(volunteer)
    url = f"/api/v1/activities/{activity.id}/self-checkin"
    stale = str(int(step) - app.config["ROTATING_CODE_GRACE_STEPS"] - 1)
    expired = api.post(url, json={"step": stale, "direction": "entry",
                                  "mac": codes.venue_mac(activity.id, int(stale))})
    assert expired.get_json()["result"] == "code_expired"
    forged = api.post(url, json={"step": step, "mac": "A" * 16, "direction": "entry"})
    assert forged.get_json()["result"] == "invalid_code"
    done = api.post(url, json={"step": step, "mac": mac, "latitude": 39.9, "longitude": 116.4,
                               "direction": "entry"})
    assert (done.get_json()["result"], done.get_json()["direction"]) == ("ok", "entry")
    leaving = api.post(url, json={"step": step, "mac": mac, "direction": "exit"}).get_json()
    assert (leaving["result"], leaving["direction"]) == ("ok", "exit")
    assert api.get(f"/api/v1/activities/{activity.id}/venue-code").status_code == 403


def test_my_code_regenerate_and_images(api, venue):
    activity, organiser, volunteer, payload = venue
    api.login(volunteer)
    assert api.get("/api/v1/me/code").get_json()["payload"] == payload
    new = api.post("/api/v1/me/code")
    assert new.status_code == 201 and new.get_json()["payload"] != payload
    svg = api.get("/api/v1/me/code/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = api.get("/api/v1/me/code/qr.png")
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(organiser)
    old = api.post(f"/api/v1/activities/{activity.id}/scans", json={"code": payload})
    assert old.get_json()["result"] == "revoked"


@pytest.mark.parametrize("direction", ["entry", "exit"])
def test_a_scan_uploaded_late_behind_the_same_step_from_another_phone_is_flagged(
        api, venue, direction):
    """Phone A scans someone offline; phone B, a few minutes later, scans the same step and
    its answer reaches the server first. A's scan counts at its own time (the first entry
    and the first exit are the ones that count), and the hours to review carry the flag
    that two phones scanned the step."""
    from server.hours import compute
    activity, organiser, volunteer, payload = venue
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans/batch"
    start = clock.now() - timedelta(minutes=25)  # in the past: phones' times count as sent

    def upload(nonce, minutes, way=direction):
        body = {"scans": [{"code": payload, "nonce": nonce, "direction": way,
                           "client_time": (start + timedelta(minutes=minutes)).isoformat()}]}
        resp = api.post(url, json=body)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["results"][0]["result"]

    signup = db.session.query(signups.Signup).filter_by(user_id=volunteer.id).one()
    if direction == "exit":
        assert upload("offline-in-00001", 0, "entry") == "ok"
    assert upload("offline-phone-b1", 22) == "ok"  # phone B's, sent first
    close = clock.now()
    assert "duplicate_scans" not in compute.attendance(signup, activity, close=close)["flags"]
    assert upload("offline-phone-a1", 17) == "ok"  # phone A's, five minutes before, sent after
    assert "duplicate_scans" in compute.attendance(signup, activity, close=close)["flags"]
