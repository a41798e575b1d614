"""The scanner's fast path (checkin.live) answers whom it may exactly as the rules say:
its SQL authorisation is activities.services.can_oversee, role by role."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.activities import signups
from server.activities.services import can_oversee
from server.checkin import codes, live
from server.checkin.services import ScanRequest
from server.core import clock


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
