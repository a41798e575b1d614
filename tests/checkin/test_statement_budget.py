"""How many SQL statements a scan costs: a fixed budget, counted, not timed.

Counted on a committing session (as in production, no test savepoints), every statement
the request sends except SQLite's BEGIN (PostgreSQL's driver begins implicitly)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from server.activities import signups
from server.activities.models import Signup
from server.checkin import codes
from server.checkin.models import Scan
from server.core import clock
from server.extensions import db

pytestmark = pytest.mark.concurrency
REPEATED_SCAN = 2


def first_scan_budget() -> int:
    """PostgreSQL writes the scan and the sign-up's count in one statement; SQLite in two."""
    return 2 if db.engine.dialect.name == "postgresql" else 3


@contextmanager
def counted():
    seen: list[str] = []

    def log(conn, cursor, statement, params, context, executemany):
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", log)


@pytest.fixture
def door(api, make_activity, make_user, grant):
    now = clock.now()
    activity = make_activity(starts_in=timedelta(minutes=5), hours=2, capacity=50)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = [make_user(name=f"志愿者{i}") for i in range(3)]
    for person in people:
        signups.sign_up(activity.id, user=person, now=now)
    payloads = [codes.personal_payload(codes.active_code(p, now=now)) for p in people]
    activity_id, phone = activity.id, organiser.phone
    db.session.commit()
    db.session.close()  # the test holds no transaction while the requests run
    api.login(SimpleNamespace(phone=phone))

    def scan(payload, nonce, direction="entry"):
        resp = api.post(f"/api/v1/activities/{activity_id}/scans",
                        json={"code": payload, "nonce": nonce, "direction": direction})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()
    return scan, payloads


def test_a_first_scan_and_a_repeat_stay_within_their_statement_budget(door):
    scan, payloads = door
    budget = first_scan_budget()
    for n, payload in enumerate(payloads):
        with counted() as first:
            body = scan(payload, f"first-{n:08d}")
        assert body["result"] == "ok", body
        assert len(first) <= budget, first
        with counted() as repeat:
            again = scan(payload, f"again-{n:08d}")
        assert (again["result"], again["duplicate_of_id"]) == ("already_checked_in", body["id"])
        assert len(repeat) <= REPEATED_SCAN, repeat
    with counted() as leaving:
        out = scan(payloads[0], "leave-00000000", direction="exit")
    assert out["result"] == "ok" and len(leaving) <= budget, leaving
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 7
    assert [s.scan_seq for s in db.session.scalars(select(Signup).order_by(Signup.id))] == [
        2, 1, 1]


def test_the_fast_answer_is_the_recorded_one(door):
    """A replay (the same nonce) reads the row back the long way: the same answer."""
    scan, payloads = door
    body = scan(payloads[0], "nonce-00000001")
    assert (body["ok"], body["person"]["name"], body["source"]) == (True, "志愿者0",
                                                                    "organiser_scan")
    assert scan(payloads[0], "nonce-00000001") == body
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 1


def test_each_scan_at_the_door_is_counted_once_in_the_metrics(door):
    """Counted once written (on PostgreSQL the door's write commits on its own, so it is
    counted then; elsewhere when the session commits); a replayed nonce writes nothing."""
    from prometheus_client import REGISTRY

    def total(result):
        return REGISTRY.get_sample_value(
            "wushe_scans_total", {"result": result, "source": "organiser_scan"}) or 0
    scan, payloads = door
    ok, repeat = total("ok"), total("already_checked_in")
    assert scan(payloads[0], "count-00000001")["result"] == "ok"
    assert scan(payloads[0], "count-00000002")["result"] == "already_checked_in"
    assert scan(payloads[0], "count-00000001")["result"] == "ok"  # the replay
    assert (total("ok"), total("already_checked_in")) == (ok + 1, repeat + 1)
