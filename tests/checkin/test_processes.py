"""Races between separate server processes (a real gunicorn, several workers): three
phones scanning one code, two organisers admitting one walk-in, two offline batches of
the same people in opposite orders, and scans uploaded while the activity is finished."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.activities import signups
from server.activities.models import Activity, Signup
from server.checkin import codes, services
from server.checkin.models import Scan
from server.core.clock import local
from server.extensions import db
from server.hours.models import HourEntry
from tests.live import at_once, retried_deadlocks

pytestmark = pytest.mark.concurrency
TRIALS = 12


def _nonce() -> str:
    return "n-" + secrets.token_hex(8)


@pytest.fixture
def venue(make_activity, make_user, grant, now):
    """Under way in ten minutes (the doors are open), three organisers, volunteers."""
    def make(volunteers=TRIALS, **kw):
        activity = make_activity(starts_in=timedelta(minutes=10), hours=2, capacity=100, **kw)
        organisers = [make_user(name=f"组织者{i}") for i in range(3)]
        for o in organisers:
            grant(o, "organiser", activity.node, activity.organisation)
        people = [make_user(name=f"志愿者{i}") for i in range(volunteers)]
        for person in people:
            signups.sign_up(activity.id, user=person, now=now)
        payloads = [codes.personal_payload(codes.active_code(p, now=now)) for p in people]
        db.session.commit()
        return activity.id, organisers, people, payloads
    return make


def _scan(c, activity_id, **body):
    def call():
        status, data, _ = c.call("POST", f"/api/v1/activities/{activity_id}/scans",
                                 {"nonce": _nonce(), **body})
        return data["result"] if status == 200 else (status, data)
    return call


def test_three_phones_one_code_at_once_make_one_check_in_and_one_check_out(connect, venue):
    activity_id, organisers, _, payloads = venue()
    phones = [connect(o) for o in organisers]
    for payload in payloads:
        for direction, duplicate in (("entry", "already_checked_in"),
                                     ("exit", "already_checked_out")):
            results = at_once([_scan(p, activity_id, code=payload, direction=direction)
                               for p in phones])
            assert Counter(results) == {"ok": 1, duplicate: 2}, results
    db.session.expire_all()
    per_signup = dict(db.session.execute(
        select(Scan.signup_id, func.count()).where(Scan.result == "ok")
        .group_by(Scan.signup_id)).all())
    assert sorted(per_signup.values()) == [2] * len(payloads)  # one in, one out each
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 6 * len(payloads)


def test_two_organisers_admitting_one_walk_in_are_both_told_the_truth(connect, venue,
                                                                     make_user, now):
    activity_id, organisers, _, _ = venue(volunteers=0)
    walkers = [make_user(name=f"路过{i}") for i in range(TRIALS)]
    payloads = [codes.personal_payload(codes.active_code(w, now=now)) for w in walkers]
    db.session.commit()
    desks = [connect(o) for o in organisers[:2]]
    for payload in payloads:
        results = at_once([_scan(d, activity_id, code=payload, walk_in=True) for d in desks])
        assert Counter(results) == {"ok": 1, "already_checked_in": 1}, results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity_id, Signup.walk_in.is_(True))) == len(walkers)


def _batch(c, activity_id, scans):
    def call():
        status, data, _ = c.call("POST", f"/api/v1/activities/{activity_id}/scans/batch",
                                 {"scans": scans})
        return [r["result"] for r in data["results"]] if status == 200 else (status, data)
    return call


def test_two_batches_in_opposite_orders_neither_deadlock_nor_fail(connect, venue, now,
                                                                 gunicorn):
    before = len(retried_deadlocks(gunicorn))
    activity_id, organisers, people, payloads = venue(volunteers=20)
    a, b = connect(organisers[0]), connect(organisers[1])
    for round_, direction in enumerate(("entry", "exit", "entry", "exit")):
        # the doors opened 50 minutes ago; the phones were offline since
        at = local(now - timedelta(minutes=40 - 10 * round_)).isoformat()
        items = [{"code": p, "direction": direction, "client_time": at, "nonce": _nonce()}
                 for p in payloads]
        twins = [{**item, "nonce": _nonce()} for item in reversed(items)]
        first, second = at_once([_batch(a, activity_id, items), _batch(b, activity_id, twins)])
        assert isinstance(first, list) and isinstance(second, list), (first, second)
        # each person once: ok from one phone, a duplicate from the other
        for i in range(len(payloads)):
            pair = sorted([first[i], second[len(payloads) - 1 - i]])
            assert pair[1] == "ok" and pair[0].startswith("already_checked_"), pair
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Scan).where(
        Scan.result == "ok")) == 4 * len(people)
    # not merely answered: no deadlock happened and was retried behind the answer
    assert retried_deadlocks(gunicorn)[before:] == []


@pytest.fixture
def past_venue(make_activity, make_user, grant, give_place, now):
    """A two-hour activity that started `starts_in` ago (negative), two organisers, and
    that many volunteers holding places (signing up is closed by then), with their codes."""
    def make(starts_in, title, volunteers):
        activity = make_activity(starts_in=starts_in, hours=2, title=title)
        organisers = [make_user(name=f"组织者{title}{i}") for i in range(2)]
        for o in organisers:
            grant(o, "organiser", activity.node, activity.organisation)
        people = [make_user(name=f"志愿者{title}{i}") for i in range(volunteers)]
        for person in people:
            give_place(activity, person)
        return activity, organisers, [codes.personal_payload(codes.active_code(p, now=now))
                                      for p in people]
    return make


def test_scans_uploaded_while_the_activity_is_finished_all_end_as_hours(
        connect, past_venue, gunicorn):
    before = len(retried_deadlocks(gunicorn))
    for trial in range(6):
        activity, organisers, payloads = past_venue(timedelta(hours=-3), f"活动{trial}", 40)
        db.session.commit()
        start, end = activity.starts_at, activity.ends_at
        scans = [{"code": p, "direction": d, "client_time": local(t).isoformat(),
                  "nonce": _nonce()}
                 for p in payloads for d, t in (("entry", start + timedelta(minutes=5)),
                                                ("exit", end - timedelta(minutes=5)))]
        finisher, uploader = (connect(o) for o in organisers)

        def finish(c=finisher, activity_id=activity.id):
            return c.call("POST", f"/api/v1/activities/{activity_id}/finish", {})[0]

        finished, results = at_once([finish, _batch(uploader, activity.id, scans)])
        assert finished == 200 and isinstance(results, list), (finished, results)
        assert set(results) == {"ok"}, results  # made before the finish: accepted
        db.session.expire_all()
        for signup in db.session.scalars(select(Signup).where(
                Signup.activity_id == activity.id)):
            # the entry that counts now: newest of the chain, waiting for review
            live = db.session.scalars(select(HourEntry).where(
                HourEntry.signup_id == signup.id).order_by(HourEntry.id.desc())).first()
            assert live is not None, f"accepted scans without hours (trial {trial})"
            assert live.status == "pending" and live.minutes == 110, (live.minutes, live.flags)
    assert retried_deadlocks(gunicorn)[before:] == []  # finish and upload took turns


def test_exits_scanned_at_the_door_while_the_activity_is_finished_all_end_as_hours(
        connect, past_venue, gunicorn):
    """The door's fast path (checkin.live) reads without locks and writes only if what it
    read still holds. Here a phone scans everyone out while another organiser finishes,
    which checks out whoever is still inside: each person ends with exactly one check-in
    and one check-out (theirs or the automatic one), and hours; no scan is refused."""
    before = len(retried_deadlocks(gunicorn))
    for trial in range(4):
        # ended ten minutes ago: exits are still taken, and a finish checks the rest out
        activity, organisers, payloads = past_venue(timedelta(hours=-2, minutes=-10),
                                                    f"离场{trial}", 30)
        for payload in payloads:  # everyone came in at the start
            came = services.redeem(services.ScanRequest(
                activity_id=activity.id, direction="entry", source="organiser_scan",
                operator=organisers[0], code=payload, nonce=_nonce()),
                now=activity.starts_at + timedelta(minutes=5))
            assert came.result == "ok"
        db.session.commit()
        scanner, finisher = (connect(o) for o in organisers)

        def scan_out(c=scanner, activity_id=activity.id, payloads=payloads):
            return [_scan(c, activity_id, code=p, direction="exit")() for p in payloads]

        def finish(c=finisher, activity_id=activity.id):
            return c.call("POST", f"/api/v1/activities/{activity_id}/finish", {})[0]

        results, finished = at_once([scan_out, finish])
        assert finished == 200, finished
        assert isinstance(results, list) and set(results) <= {"ok", "attendance_closed"}, \
            results
        db.session.expire_all()
        oks = dict(db.session.execute(
            select(Scan.signup_id, func.count()).where(
                Scan.activity_id == activity.id, Scan.result == "ok")
            .group_by(Scan.signup_id)).all())
        assert sorted(oks.values()) == [2] * len(payloads), (trial, oks)
        for signup in db.session.scalars(select(Signup).where(
                Signup.activity_id == activity.id)):
            assert signup.presence == "out"
            hours = db.session.scalars(select(HourEntry).where(
                HourEntry.signup_id == signup.id).order_by(HourEntry.id.desc())).first()
            assert hours is not None and hours.status == "pending", (trial, signup.id)
    assert retried_deadlocks(gunicorn)[before:] == []


def test_a_cancel_beside_a_batch_of_scans_never_leaves_check_ins_on_a_cancelled_activity(
        connect, past_venue, gunicorn):
    """The cancel's veto (someone checked in: finish it instead) takes every sign-up's lock
    before it looks, as a finish does: a scan being decided is seen, not slipped past."""
    for trial in range(4):
        activity, organisers, payloads = past_venue(timedelta(minutes=-30), f"取消{trial}", 30)
        db.session.commit()
        at = local(activity.starts_at + timedelta(minutes=5)).isoformat()
        scans = [{"code": p, "direction": "entry", "client_time": at, "nonce": _nonce()}
                 for p in payloads]
        canceller, uploader = (connect(o) for o in organisers)

        def cancel(c=canceller, activity_id=activity.id):
            status, data, _ = c.call("POST", f"/api/v1/activities/{activity_id}/cancel",
                                     {"reason": "暴雨预警"})
            return status, data.get("code") if status >= 400 else data.get("status")

        cancelled, results = at_once([cancel, _batch(uploader, activity.id, scans)])
        db.session.expire_all()
        status = db.session.get(Activity, activity.id).status
        ok = db.session.scalar(select(func.count()).select_from(Scan).where(
            Scan.activity_id == activity.id, Scan.result == "ok"))
        assert not (status == "cancelled" and ok), (trial, cancelled, ok)
        assert cancelled in ((200, "cancelled"), (409, "people_checked_in")), cancelled
