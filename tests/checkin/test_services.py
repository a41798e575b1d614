"""Every result code of the one redeem service, and the rules behind them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from server.activities import signups
from server.activities.models import Signup
from server.checkin import codes
from server.checkin.closing import auto_check_out, auto_check_out_due
from server.checkin.errors import MayNotScan
from server.checkin.models import Scan
from server.checkin.services import counts
from server.extensions import db


@pytest.fixture
def venue(make_activity, make_user, grant, now):
    """An activity starting in 30 minutes, its organiser and one signed-up volunteer."""
    activity = make_activity(starts_in=timedelta(minutes=30), hours=2, capacity=3)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="志愿者小王", phone="13912340001")
    signups.sign_up(activity.id, user=volunteer, now=now)
    code = codes.personal_payload(codes.active_code(volunteer, now=now))
    return activity, organiser, volunteer, code


def test_ok_then_already_checked_in_then_exit(venue, scan, now):
    activity, organiser, volunteer, code = venue
    first = scan(activity, organiser, code=code)
    assert (first.result, first.user_id, first.operator_id) == ("ok", volunteer.id, organiser.id)
    again = scan(activity, organiser, code=code, at=now + timedelta(minutes=1))
    assert again.result == "already_checked_in" and again.duplicate_of_id == first.id
    out = scan(activity, organiser, code=code, direction="exit", at=now + timedelta(hours=2))
    assert out.result == "ok"
    twice = scan(activity, organiser, code=code, direction="exit", at=now + timedelta(hours=2))
    assert twice.result == "already_checked_out"
    signup = db.session.query(Signup).filter_by(user_id=volunteer.id).one()
    assert signup.presence == "out"
    assert db.session.query(Scan).count() == 4  # failures are recorded too


def test_exit_before_entry(venue, scan):
    activity, organiser, _, code = venue
    assert scan(activity, organiser, code=code, direction="exit").result == "not_checked_in"


def test_re_entry_after_leaving(venue, scan, now):
    activity, organiser, _, code = venue
    scan(activity, organiser, code=code, at=now + timedelta(minutes=30))
    scan(activity, organiser, code=code, direction="exit", at=now + timedelta(minutes=60))
    assert scan(activity, organiser, code=code, at=now + timedelta(minutes=70)).result == "ok"


def test_not_signed_up_and_walk_in(venue, make_user, scan):
    activity, organiser, _, _ = venue
    stranger = make_user(name="路过的居民")
    code = codes.personal_payload(codes.active_code(stranger, now=activity.created_at))
    assert scan(activity, organiser, code=code).result == "not_signed_up"
    admitted = scan(activity, organiser, code=code, walk_in=True)
    assert admitted.result == "ok" and admitted.walk_in
    signup = db.session.get(Signup, admitted.signup_id)
    assert (signup.status, signup.walk_in, signup.acted_by_id) == ("confirmed", True,
                                                                   organiser.id)


def test_walk_in_only_while_places_remain(venue, make_user, scan, now):
    activity, organiser, _, _ = venue
    for i in range(2):
        signups.sign_up(activity.id, user=make_user(name=f"满员{i}"), now=now)
    late = make_user(name="晚到者")
    code = codes.personal_payload(codes.active_code(late, now=now))
    assert scan(activity, organiser, code=code, walk_in=True).result == "activity_full"


def test_waitlisted(venue, make_user, scan, now):
    activity, organiser, _, _ = venue
    for i in range(2):
        signups.sign_up(activity.id, user=make_user(name=f"占位{i}"), now=now)
    waiting = make_user(name="候补者")
    signups.sign_up(activity.id, user=waiting, now=now)
    code = codes.personal_payload(codes.active_code(waiting, now=now))
    assert scan(activity, organiser, code=code).result == "waitlisted"


def test_too_early_too_late_and_forced(venue, scan, now):
    activity, organiser, _, code = venue
    opens = activity.starts_at - timedelta(minutes=current_app.config[
        "CHECKIN_OPENS_MINUTES_BEFORE"])
    assert scan(activity, organiser, code=code, at=opens - timedelta(seconds=1)).result == (
        "too_early")
    forced = scan(activity, organiser, code=code, at=opens - timedelta(minutes=5), forced=True)
    assert forced.result == "ok" and forced.forced
    late = activity.ends_at + timedelta(seconds=1)
    assert scan(activity, organiser, code=code, at=late, direction="entry").result == (
        "too_late")  # no entry after the end, but a late exit still counts
    assert scan(activity, organiser, code=code, at=late, direction="exit").result == "ok"


def test_entry_after_the_end_is_too_late(venue, scan):
    activity, organiser, _, code = venue
    assert scan(activity, organiser, code=code,
                at=activity.ends_at + timedelta(minutes=1)).result == "too_late"


def test_cancelled_activity(venue, scan):
    activity, organiser, _, code = venue
    activity.status = "cancelled"
    assert scan(activity, organiser, code=code).result == "activity_cancelled"


@pytest.mark.parametrize("tampered", ["WSP1:not-a-real-token-at-all-000", "hello", "",
                                      "WSP1:", "WSP2:abcdefghijklmnopqrstuvwxyz"])
def test_invalid_codes(venue, scan, tampered):
    activity, organiser, _, _ = venue
    result = scan(activity, organiser, code=tampered)
    assert result.result == "invalid_code" and result.user_id is None


def test_tampered_genuine_code(venue, scan):
    activity, organiser, _, code = venue
    flipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert scan(activity, organiser, code=flipped).result == "invalid_code"


def test_regenerated_code_revokes_the_old(venue, scan, now):
    activity, organiser, volunteer, old = venue
    new = codes.personal_payload(codes.regenerate(volunteer, now=now))
    assert scan(activity, organiser, code=old).result == "revoked"
    assert scan(activity, organiser, code=new).result == "ok"


def test_only_organisers_and_coordinators_above_may_scan(venue, make_user, make_org, grant,
                                                          scan, make_node):
    activity, _, volunteer, code = venue
    other_org = make_user(name="别的组织者")
    grant(other_org, "organiser", activity.node, make_org())
    resident = make_user(name="普通居民")
    elsewhere = make_user(name="别处协调员")
    grant(elsewhere, "coordinator", make_node(name="别处", kind="street"))
    for stranger in (other_org, resident, elsewhere):
        for how in ({"code": code}, {"code": code, "forced": True},
                    {"user_id": volunteer.id, "source": "manual_search"}):
            with pytest.raises(MayNotScan):
                scan(activity, stranger, **how)
        # a phone's queued scan: answered (the phone files it and sends the rest), unwritten
        queued = scan(activity, stranger, code=code, source="offline_upload",
                      nonce=f"queued-{stranger.id:08d}")
        assert (queued.result, queued.id) == ("not_allowed", None)
    # refused before a row is written: nobody can fill another activity's scan log
    assert db.session.scalars(select(Scan).where(Scan.activity_id == activity.id)).all() == []
    above = make_user(name="街道协调员")
    grant(above, "coordinator", activity.node.parent)
    assert scan(activity, above, code=code).result == "ok"


def test_an_upload_sent_again_after_the_right_ended_keeps_its_first_answers(
        venue, make_org, grant, scan, now):
    """A queue that reached the server, its answer lost on the way back, is sent again after
    the organiser's role ended: the scans it holds are answered as first recorded."""
    from server.accounts.models import RoleAssignment
    activity, organiser, _, code = venue
    first = scan(activity, organiser, code=code, source="offline_upload",
                 nonce="queued-again-0001", client_time=now)
    assert first.result == "ok"
    db.session.execute(RoleAssignment.__table__.delete().where(
        RoleAssignment.user_id == organiser.id))
    db.session.expire_all()
    again = scan(activity, organiser, code=code, source="offline_upload",
                 nonce="queued-again-0001", client_time=now)
    assert (again.id, again.result) == (first.id, "ok")
    new = scan(activity, organiser, code=code, source="offline_upload",
               nonce="queued-again-0002", client_time=now, direction="exit")
    assert (new.id, new.result) == (None, "not_allowed")


def test_self_check_in_only_for_oneself(venue, make_user, scan):
    activity, _, volunteer, _ = venue
    other = make_user(name="冒名者")
    assert scan(activity, other, user_id=volunteer.id, source="self").result == "not_allowed"
    ok = scan(activity, volunteer, user_id=volunteer.id, source="self", ip="10.0.0.8",
              latitude=39.9, longitude=116.4)
    assert (ok.result, ok.ip, ok.latitude) == ("ok", "10.0.0.8", 39.9)
    with pytest.raises(MayNotScan):  # forcing is for those who run the door
        scan(activity, volunteer, user_id=volunteer.id, source="self", forced=True)


def test_replayed_nonce_returns_the_original_answer(venue, scan, now):
    activity, organiser, _, code = venue
    first = scan(activity, organiser, code=code, nonce="phone-a-0001")
    replay = scan(activity, organiser, code=code, nonce="phone-a-0001",
                  at=now + timedelta(minutes=5))
    assert replay.id == first.id and replay.result == "ok"
    assert db.session.query(Scan).count() == 1


def test_offline_scans_count_at_the_phone_time_and_duplicates_are_kept(venue, scan, now):
    activity, organiser, _, code = venue
    t0 = activity.starts_at
    a_in = scan(activity, organiser, code=code, source="offline_upload", client_time=t0,
                nonce="A1", device="phone-A", at=now + timedelta(hours=3))
    a_out = scan(activity, organiser, code=code, source="offline_upload", direction="exit",
                 client_time=t0 + timedelta(hours=2), nonce="A2", device="phone-A",
                 at=now + timedelta(hours=3))
    # phone B saw the same person come in five minutes later, and uploads last
    b_in = scan(activity, organiser, code=code, source="offline_upload",
                client_time=t0 + timedelta(minutes=5), nonce="B1", device="phone-B",
                at=now + timedelta(hours=3))
    assert (a_in.result, a_out.result) == ("ok", "ok")
    assert (b_in.result, b_in.duplicate_of_id) == ("already_checked_in", a_in.id)
    assert a_in.effective_time == t0 and a_in.server_time == now + timedelta(hours=3)
    ok = db.session.query(Scan).filter_by(result="ok").count()
    assert ok == 2  # one entry, one exit: hours are counted once


def test_client_time_never_later_than_server_time(venue, scan, now):
    activity, organiser, _, code = venue
    future = scan(activity, organiser, code=code, source="offline_upload",
                  client_time=now + timedelta(days=1), nonce="F1")
    assert future.effective_time == now


def test_auto_check_out_at_the_end(venue, make_user, scan, now):
    activity, organiser, volunteer, code = venue
    scan(activity, organiser, code=code)
    assert auto_check_out(activity, now=activity.ends_at - timedelta(minutes=1)) == 0
    # within the exit grace they may still scan out themselves
    assert auto_check_out_due(now=activity.ends_at + timedelta(minutes=10)) == 0
    assert auto_check_out_due(now=activity.ends_at + timedelta(minutes=60)) == 1
    out = db.session.query(Scan).filter_by(source="automatic").one()
    assert (out.direction, out.result, out.effective_time) == ("exit", "ok", activity.ends_at)
    assert auto_check_out_due(now=activity.ends_at + timedelta(minutes=70)) == 0


def test_live_counts(venue, make_user, scan, now):
    activity, organiser, volunteer, code = venue
    other = make_user(name="第二位")
    signups.sign_up(activity.id, user=other, now=now)
    scan(activity, organiser, code=code)
    scan(activity, organiser, user_id=other.id, source="manual_search")
    scan(activity, organiser, user_id=other.id, source="manual_search", direction="exit")
    c = counts(activity)
    assert (c.signed_up, c.present, c.left) == (2, 1, 1)


def test_venue_codes_rotate_and_expire(app, now):
    step = codes.step_of(now)
    mac = codes.venue_mac(7, step)
    assert codes.check_venue(7, str(step), mac, now=now) is None
    size = app.config["ROTATING_CODE_STEP_SECONDS"]
    assert codes.check_venue(7, str(step), mac, now=now + timedelta(seconds=size)) is None
    assert codes.check_venue(7, str(step), mac,
                             now=now + timedelta(seconds=2 * size + 1)) == "code_expired"
    assert codes.check_venue(8, str(step), mac, now=now) == "invalid_code"
    assert codes.check_venue(7, str(step + 1), mac, now=now) == "invalid_code"
    assert codes.check_venue(7, "poster", codes.poster_mac(7), now=now) is None
    assert codes.check_venue(7, "poster", mac, now=now) == "invalid_code"
