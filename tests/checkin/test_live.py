"""The scanner's fast path (checkin.live) answers whom it may exactly as the rules say:
its SQL authorisation is activities.services.can_oversee, role by role; and its write
checks that what its read decided on still holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.activities import signups
from server.activities.services import can_oversee, finish, update_activity
from server.checkin import codes, live
from server.checkin.models import Scan
from server.checkin.services import ScanRequest
from server.core import clock, direct
from server.extensions import db


@pytest.fixture
def place(make_node, make_org, make_activity, make_user):
    district = make_node("测试区", "district")
    street = make_node("测试街道", "street", district)
    community = make_node("测试社区", "community", street)
    other_street = make_node("别的街道", "street", district)
    neighbour = make_node("隔壁社区", "community", street)
    org = make_org("测试志愿队", community)
    other_org = make_org("别的志愿队", community)
    activity = make_activity(org=org, node=community, starts_in=timedelta(minutes=5), hours=2)
    person = make_user(name="来签到的人")
    signups.sign_up(activity.id, user=person, now=clock.now())
    payload = codes.personal_payload(codes.active_code(person, now=clock.now()))
    nodes = {"district": district, "street": street, "community": community,
             "other_street": other_street, "neighbour": neighbour}
    return activity, payload, nodes, {"org": org, "other_org": other_org}


GRANTS = [
    ("organiser", "community", "org"), ("organiser", "neighbour", "org"),
    ("organiser", "community", "other_org"), ("coordinator", "street", None),
    ("coordinator", "district", None), ("coordinator", "neighbour", None),
    ("coordinator", "other_street", None), ("admin", "district", None),
    ("admin", "community", None), ("admin", "other_street", None), (None, None, None),
]


@pytest.mark.parametrize(("role", "at", "org"), GRANTS)
def test_the_fast_path_authorises_exactly_as_can_oversee(place, make_user, grant, role, at,
                                                          org):
    activity, payload, nodes, orgs = place
    operator = make_user(name="扫码的人")
    if role:
        grant(operator, role, nodes[at], orgs[org] if org else None)
    req = ScanRequest(activity_id=activity.id, direction="entry", source="organiser_scan",
                      operator=operator, code=payload, nonce=f"live-{role}-{at}-{org}")
    answered = live.redeem_code(req, now=clock.now())
    assert (answered is not None) == can_oversee(operator, activity)
    if answered is not None:
        assert answered.result == "ok"


def _read(activity, payload, operator, nonce):
    """The door's read, as redeem_code makes it, kept for a write later."""
    statements = live._prepared()
    on = direct.OnSession()
    row = on.fetch_one(statements.given, {"activity_id": activity.id, "nonce": nonce,
                                          "token": live._token(payload),
                                          "operator_id": operator.id})
    return on, statements, row


def _scan(activity, payload, operator, nonce, direction="entry"):
    return ScanRequest(activity_id=activity.id, direction=direction,
                       source="organiser_scan", operator=operator, code=payload, nonce=nonce)


def _scans(nonce):
    return db.session.scalar(select(func.count()).select_from(Scan).where(Scan.nonce == nonce))


@pytest.mark.parametrize("meanwhile", ["checked_in", "checked_out", "finished", "moved"])
def test_a_decision_whose_read_went_stale_writes_nothing(place, make_user, grant, now,
                                                         meanwhile):
    """The read takes no locks: what it decided on must still hold when the write runs
    (another phone's scan, a finish, a new time), or nothing is written and redeem decides
    again. Each case would have written a wrong scan without the write's check."""
    activity, payload, nodes, orgs = place
    operator = make_user(name="扫码的人")
    grant(operator, "organiser", nodes["community"], orgs["org"])
    if meanwhile == "checked_out":  # inside already: the stale read says "a repeat"
        assert live.redeem_code(_scan(activity, payload, operator, "in"), now=now).result == "ok"
    on, statements, row = _read(activity, payload, operator, "stale")
    assert row is not None and row.seen is None
    if meanwhile == "checked_in":
        other = live.redeem_code(_scan(activity, payload, operator, "other"), now=now)
        assert other.result == "ok"
    elif meanwhile == "checked_out":
        other = live.redeem_code(_scan(activity, payload, operator, "out", "exit"), now=now)
        assert other.result == "ok"
    elif meanwhile == "finished":
        finish(activity, actor=operator, now=activity.starts_at + timedelta(minutes=1))
    else:
        update_activity(activity, actor=operator, now=now,
                        ends_at=activity.ends_at + timedelta(hours=1))
    db.session.flush()
    assert live._decided(_scan(activity, payload, operator, "stale"), row, on, statements,
                         now) is None
    assert _scans("stale") == 0


def test_a_decision_that_still_holds_is_written(place, make_user, grant, now):
    """The same read and write with nothing in between: the scan is written (the check
    above does not refuse everything)."""
    activity, payload, nodes, orgs = place
    operator = make_user(name="扫码的人")
    grant(operator, "organiser", nodes["community"], orgs["org"])
    on, statements, row = _read(activity, payload, operator, "fresh")
    written = live._decided(_scan(activity, payload, operator, "fresh"), row, on, statements,
                            now)
    assert written is not None and written.result == "ok"
    assert _scans("fresh") == 1
