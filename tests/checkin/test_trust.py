"""What the check-in API promises beyond the happy path: scans after the activity was
finished end as hours or are refused with their own code; a person is reached by id only
if signed up, admitted by their code or full phone (recorded as assisted); a nonce is
its scanner's; self check-in keeps what the person pressed and converts the position."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.activities import services as activity_services
from server.activities import signups
from server.activities.models import Signup
from server.checkin import codes, geo
from server.checkin.models import Scan
from server.core import clock
from server.core.clock import local
from server.extensions import db
from server.hours.models import HourEntry


@pytest.fixture
def run(make_activity, make_user, grant, give_place, now):
    """An activity that ran 3 h ago to 1 h ago, its organiser and two volunteers."""
    activity = make_activity(starts_in=timedelta(hours=-3), hours=2)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = [make_user(name=n) for n in ("王芳", "刘洋")]
    for person in people:
        give_place(activity, person)
    payloads = [codes.personal_payload(codes.active_code(p, now=now)) for p in people]
    return activity, organiser, people, payloads


def _upload(api, activity, items):
    resp = api.post(f"/api/v1/activities/{activity.id}/scans/batch", json={"scans": items})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["results"]


def _offline(payload, direction, at, nonce):
    return {"code": payload, "direction": direction, "client_time": local(at).isoformat(),
            "nonce": nonce}


def test_an_upload_after_finish_becomes_pending_hours_marked_late(api, run, now):
    activity, organiser, people, payloads = run
    activity_services.finish(activity, actor=organiser, now=now)
    assert db.session.scalars(select(HourEntry)).all() == []  # nobody was scanned online
    api.login(organiser)
    s = activity.starts_at
    results = _upload(api, activity, [
        _offline(payloads[0], "entry", s + timedelta(minutes=10), "late-0001"),
        _offline(payloads[0], "exit", s + timedelta(minutes=100), "late-0002")])
    assert [(r["result"], r["late"]) for r in results] == [("ok", True), ("ok", True)]
    newest = db.session.scalars(select(HourEntry).where(HourEntry.user_id == people[0].id)
                                .order_by(HourEntry.id.desc())).first()
    assert (newest.minutes, newest.status) == (90, "pending")
    assert "late_scan" in newest.flags
    # the batch's entry and exit make one entry, heard once when the batch is done
    assert [e.status for e in db.session.scalars(select(HourEntry).where(
        HourEntry.user_id == people[0].id).order_by(HourEntry.id))] == ["pending"]
    # an exit arriving in a later upload sets the half-made entry aside for a full one
    results = _upload(api, activity, [
        _offline(payloads[1], "entry", s + timedelta(minutes=20), "late-0011")])
    assert results[0]["late"]
    _upload(api, activity, [_offline(payloads[1], "exit", s + timedelta(minutes=80), "late-0012")])
    assert [(e.status, e.minutes) for e in db.session.scalars(select(HourEntry).where(
        HourEntry.user_id == people[1].id).order_by(HourEntry.id))] == [
        ("superseded", 100), ("pending", 60)]
    queue = api.get("/api/v1/hours/review").get_json()["groups"]
    assert sorted(e["minutes"] for g in queue for e in g["entries"]) == [60, 90]


def test_late_scans_replace_an_approved_entry_only_once_approved(api, run, now, make_user,
                                                                 grant):
    activity, organiser, people, payloads = run
    s = activity.starts_at
    from server.checkin.services import ScanRequest, redeem
    for direction, minutes, nonce in (("entry", 30, "live-0001"), ("exit", 60, "live-0002")):
        redeem(ScanRequest(activity_id=activity.id, direction=direction,
                           source="offline_upload", operator=organiser, code=payloads[0],
                           client_time=s + timedelta(minutes=minutes), nonce=nonce),
               now=s + timedelta(minutes=minutes))
    activity_services.finish(activity, actor=organiser, now=now)
    from server.hours import review
    [first] = db.session.scalars(select(HourEntry)).all()
    review.approve(first.id, reviewer=organiser, now=now)
    # a second phone that was offline all along says she came at the start
    api.login(organiser)
    _upload(api, activity, [_offline(payloads[0], "entry", s + timedelta(minutes=1), "late-0003")])
    db.session.expire_all()
    replacement = db.session.scalars(select(HourEntry).where(
        HourEntry.replaces_id == first.id)).one()
    assert (replacement.minutes, replacement.status) == (59, "pending")
    assert db.session.get(HourEntry, first.id).status == "approved"  # still counts
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", activity.node)
    review.approve(replacement.id, reviewer=coordinator, now=now)
    total = sum(e.minutes for e in db.session.scalars(select(HourEntry).where(
        HourEntry.user_id == people[0].id)) if e.status == "approved")
    assert total == 59  # the old 30 were reversed when the new 59 were approved


def test_a_live_scan_after_finish_is_refused_with_what_to_do(api, make_activity, make_user,
                                                             grant, give_place, now):
    # under way, and its organiser pressed "finish" half-way through
    activity = make_activity(starts_in=timedelta(hours=-1), hours=2)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    person = make_user(name="刘洋")
    give_place(activity, person)
    payloads = [None, codes.personal_payload(codes.active_code(person, now=now))]
    activity_services.finish(activity, actor=organiser, now=now - timedelta(minutes=1))
    api.login(organiser)
    resp = api.post(f"/api/v1/activities/{activity.id}/scans?lang=en", json={
        "code": payloads[1], "direction": "exit", "nonce": "after-0001"})
    body = resp.get_json()
    assert (body["result"], body["ok"]) == ("attendance_closed", False)
    assert "补录" in body["message"]
    # an offline scan made after the finish is refused the same way
    [late] = _upload(api, activity, [_offline(payloads[1], "exit", now, "after-0002")])
    assert late["result"] == "attendance_closed"
    assert db.session.scalars(select(HourEntry)).all() == []


@pytest.fixture
def door(make_activity, make_user, grant, now):
    activity = make_activity(starts_in=timedelta(minutes=5), hours=2, capacity=5)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    member = make_user(name="报了名的", phone="13911110000")
    signups.sign_up(activity.id, user=member, now=now)
    stranger = make_user(name="陌生人", phone="13922220000", home_node=activity.node)
    return activity, organiser, member, stranger


def test_by_id_only_people_signed_up_are_reached(api, door):
    activity, organiser, member, stranger = door
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    found = api.post(url, json={"user_id": member.id, "nonce": "by-id-0001"}).get_json()
    assert (found["result"], found["person"]["name"], found["assisted"]) == ("ok", "报了名的",
                                                                          True)
    other = api.post(url, json={"user_id": stranger.id, "nonce": "by-id-0002"}).get_json()
    assert (other["result"], other["person"]) == ("not_signed_up", None)
    enrol = api.post(url, json={"user_id": stranger.id, "walk_in": True,
                                "nonce": "by-id-0003"}).get_json()
    assert (enrol["result"], enrol["person"]) == ("not_signed_up", None)
    assert "陌生人" not in api.get(f"{url}?limit=50").get_data(as_text=True)


def test_a_walk_in_is_admitted_by_full_phone_recorded_as_assisted(api, door):
    activity, organiser, _, stranger = door
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    unknown = api.post(url, json={"phone": "13922220000", "nonce": "phone-0001"}).get_json()
    assert (unknown["result"], unknown["person"]) == ("not_signed_up", None)
    admitted = api.post(url, json={"phone": "139 2222 0000", "walk_in": True,
                                   "nonce": "phone-0002"}).get_json()
    assert (admitted["result"], admitted["walk_in"], admitted["assisted"]) == ("ok", True, True)
    assert admitted["person"]["phone"] == "139****0000"
    row = db.session.get(Scan, admitted["id"])
    assert (row.source, row.operator_id, row.assisted) == ("phone_lookup", organiser.id, True)
    bad = api.post(url, json={"phone": "12345", "walk_in": True, "nonce": "phone-0003"})
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_phone"


def test_a_number_from_beyond_the_operator_s_places_admits_and_names_nobody(
        api, door, make_user, make_node):
    """A typed number admits a resident of a place the organiser serves; anyone else's is
    answered as an unknown one (as a sign-up on their behalf is), so typing numbers never
    tells an organiser who lives elsewhere, nor puts them on the list without their code."""
    activity, organiser, _, _ = door
    far = make_user(name="外区居民", phone="13933330000",
                    home_node=make_node(name="北苑社区"))
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    refused = api.post(url, json={"phone": "13933330000", "walk_in": True,
                                  "nonce": "far-0001"}).get_json()
    unknown = api.post(url, json={"phone": "13944440000", "walk_in": True,
                                  "nonce": "far-0002"}).get_json()
    assert (refused["result"], refused["person"]) == ("not_signed_up", None)
    assert (unknown["result"], unknown["person"]) == ("not_signed_up", None)
    assert db.session.scalar(select(func.count(Signup.id)).where(
        Signup.user_id == far.id)) == 0
    assert "外区居民" not in api.get(f"{url}?limit=50").get_data(as_text=True)
    # their own code is their consent: shown at the door, it admits them
    payload = codes.personal_payload(codes.active_code(far, now=clock.now()))
    shown = api.post(url, json={"code": payload, "walk_in": True,
                                "nonce": "far-0003"}).get_json()
    assert (shown["result"], shown["person"]["name"]) == ("ok", "外区居民")


def test_a_nonce_belongs_to_its_scanner(api, door, make_user):
    activity, organiser, member, _ = door
    payload = codes.personal_payload(codes.active_code(member, now=clock.now()))
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    first = api.post(url, json={"code": payload, "nonce": "mine-00000001"}).get_json()
    assert first["result"] == "ok"
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(member)  # a resident replays the organiser's nonce
    stolen = api.post(url, json={"code": "x", "nonce": "mine-00000001"}).get_json()
    assert (stolen["result"], stolen["person"], stolen["id"]) == ("nonce_reused", None, None)
    assert "报了名的" not in str(stolen)


def test_self_check_in_through_the_api_keeps_what_was_pressed(api, door, now):
    activity, _, member, _ = door
    step = codes.step_of(now)
    body = {"step": str(step), "mac": codes.venue_mac(activity.id, step)}
    api.login(member)
    url = f"/api/v1/activities/{activity.id}/self-checkin"
    first = api.post(url, json={**body, "direction": "entry", "nonce": "self-0000001",
                                "latitude": 39.915, "longitude": 116.404}).get_json()
    assert (first["result"], first["direction"]) == ("ok", "entry")
    # the answer was lost and the phone sends the same request again
    replay = api.post(url, json={**body, "direction": "entry", "nonce": "self-0000001"})
    assert replay.get_json() == first
    # or taps again without a nonce: still not a check-out
    again = api.post(url, json={**body, "direction": "entry"}).get_json()
    assert (again["result"], again["direction"]) == ("already_checked_in", "entry")
    row = db.session.get(Scan, first["id"])
    assert (row.latitude, row.longitude) == pytest.approx(geo.wgs84_to_gcj02(39.915, 116.404))
    missing = api.post(url, json=body)
    assert missing.status_code == 422 and "direction" in missing.get_json()["errors"]


def test_staff_read_roughly_where_a_self_check_in_was_not_the_address_or_the_spot(
        api, door, now):
    activity, organiser, member, _ = door
    step = codes.step_of(now)
    api.login(member)
    done = api.post(f"/api/v1/activities/{activity.id}/self-checkin", json={
        "step": str(step), "mac": codes.venue_mac(activity.id, step), "direction": "entry",
        "nonce": "self-0000009", "latitude": 39.915123, "longitude": 116.404567}).get_json()
    row = db.session.get(Scan, done["id"])
    assert row.ip  # kept for the record (and in the person's own data download)
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(organiser)
    [logged] = [s for s in api.get(f"/api/v1/activities/{activity.id}/scans").get_json()
                if s["id"] == done["id"]]
    assert "ip" not in logged
    assert (logged["latitude"], logged["longitude"]) == (round(row.latitude, 3),
                                                        round(row.longitude, 3))
    assert logged["latitude"] != row.latitude


def test_an_id_that_names_nobody_is_an_answer_not_a_failed_batch(api, door, now):
    activity, organiser, member, _ = door
    payload = codes.personal_payload(codes.active_code(member, now=now))
    api.login(organiser)
    one = api.post(f"/api/v1/activities/{activity.id}/scans",
                   json={"user_id": 999999, "nonce": "nobody-0001"}).get_json()
    assert (one["result"], one["person"]) == ("not_signed_up", None)
    at = local(now).isoformat()
    results = _upload(api, activity, [
        {"user_id": 2147483647, "nonce": "nobody-0002", "client_time": at},
        {"code": payload, "nonce": "nobody-0003", "client_time": at}])
    assert [r["result"] for r in results] == ["not_signed_up", "ok"]


@pytest.mark.parametrize("when", ["too_early", "too_late", "activity_cancelled"])
def test_a_search_outside_the_list_names_nobody_whatever_the_answer(api, make_activity,
                                                                     make_user, grant,
                                                                     give_place, now, when):
    """Found by id or phone, a person not on the list stays unnamed in every answer (not only
    `not_signed_up`), in the scan log too; one on the list is named."""
    starts = {"too_early": timedelta(hours=3), "too_late": timedelta(hours=-8),
              "activity_cancelled": timedelta(minutes=5)}[when]
    activity = make_activity(starts_in=starts, hours=2, capacity=5)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    member = make_user(name="报了名的", phone="13911110000")
    give_place(activity, member)
    stranger = make_user(name="陌生人", phone="13922220000")
    if when == "activity_cancelled":  # as an organiser cancels: every sign-up ends too
        activity_services.cancel(activity, actor=organiser, now=now, reason="下雨")
    db.session.commit()
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}/scans"
    asked = [api.post(url, json=body).get_json() for body in (
        {"user_id": stranger.id, "nonce": f"{when}-01"},
        {"phone": "13922220000", "nonce": f"{when}-02"},
        {"phone": "13922220000", "walk_in": True, "nonce": f"{when}-03"})]
    assert [(a["result"], a["person"]) for a in asked] == [(when, None)] * 3
    [offline] = _upload(api, activity, [{"user_id": stranger.id, "nonce": f"{when}-04",
                                         "client_time": local(now).isoformat()}])
    assert offline["person"] is None
    rows = db.session.scalars(select(Scan).where(Scan.activity_id == activity.id)).all()
    assert len(rows) == 4 and {row.user_id for row in rows} == {None}
    assert "陌生人" not in api.get(f"{url}?limit=50").get_data(as_text=True)
    listed = api.post(url, json={"user_id": member.id, "nonce": f"{when}-05"}).get_json()
    if when == "activity_cancelled":  # their sign-up ended with it: off the list now
        assert (listed["result"], listed["person"]) == (when, None)
    else:
        assert (listed["result"], listed["person"]["name"]) == (when, "报了名的")



def test_a_nonce_belongs_to_its_activity(api, door, make_activity, give_place, now):
    activity, organiser, member, _ = door
    other = make_activity(org=activity.organisation, starts_in=timedelta(minutes=5))
    give_place(other, member)
    db.session.commit()
    payload = codes.personal_payload(codes.active_code(member, now=now))
    api.login(organiser)
    first = api.post(f"/api/v1/activities/{activity.id}/scans",
                     json={"code": payload, "nonce": "one-activity-01"}).get_json()
    assert first["result"] == "ok"
    again = api.post(f"/api/v1/activities/{other.id}/scans",
                     json={"code": payload, "nonce": "one-activity-01"}).get_json()
    assert (again["result"], again["id"], again["person"]) == ("nonce_reused", None, None)
    [offline] = _upload(api, other, [{"code": payload, "nonce": "one-activity-01",
                                      "client_time": local(now).isoformat()}])
    assert offline["result"] == "nonce_reused"
    assert db.session.scalars(select(Scan).where(Scan.activity_id == other.id)).all() == []
