"""The same code on three phones at once; the same offline batch uploaded three times."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.activities import signups
from server.checkin import codes
from server.checkin.models import Scan
from server.checkin.services import ScanRequest, redeem
from server.extensions import db
from tests.racing import race

pytestmark = pytest.mark.concurrency




@pytest.fixture
def venue(make_activity, make_user, grant, now):
    activity = make_activity(starts_in=timedelta(minutes=10), hours=2)
    organisers = [make_user(name=f"组织者{i}") for i in range(3)]
    for o in organisers:
        grant(o, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="排队的志愿者")
    signups.sign_up(activity.id, user=volunteer, now=now)
    payload = codes.personal_payload(codes.active_code(volunteer, now=now))
    db.session.commit()
    return activity.id, [o.id for o in organisers], volunteer.id, payload


def test_one_code_on_three_phones_at_once(app, venue, now):
    activity_id, organiser_ids, _, payload = venue

    def phone(i):
        def call():
            req = ScanRequest(activity_id=activity_id, direction="entry",
                              source="organiser_scan",
                              operator=db.session.get(User, organiser_ids[i]),
                              code=payload, nonce=f"phone-{i}-000001", device=f"phone-{i}")
            return redeem(req, now=now).result
        return call

    results = race(app, [phone(i) for i in range(3)])
    assert Counter(results) == {"ok": 1, "already_checked_in": 2}
    ok = db.session.scalar(select(func.count()).select_from(Scan).where(Scan.result == "ok"))
    assert ok == 1


def test_same_offline_batch_uploaded_three_times_at_once(app, venue, now):
    activity_id, organiser_ids, _, payload = venue
    start = now + timedelta(minutes=10)
    batch = [("entry", start, "offline-A-0001"), ("exit", start + timedelta(hours=1),
                                                   "offline-A-0002")]

    def upload():
        operator = db.session.get(User, organiser_ids[0])
        return [redeem(ScanRequest(activity_id=activity_id, direction=d, code=payload,
                                   source="offline_upload", operator=operator,
                                   client_time=t, nonce=n, device="phone-A"),
                       now=now + timedelta(hours=2)).result for d, t, n in batch]

    results = race(app, [upload] * 3)
    assert results == [["ok", "ok"]] * 3  # every upload gets the original answers
    rows = db.session.scalars(select(Scan).order_by(Scan.id)).all()
    assert [(r.direction, r.result, r.nonce) for r in rows] == [
        ("entry", "ok", "offline-A-0001"), ("exit", "ok", "offline-A-0002")]
