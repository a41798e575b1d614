"""hour_queue: what waits for a decision, kept with every entry and review so the review
queue reads the waiting rows, not the whole ledger. After each kind of change it equals
what the ledger says waits."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, event, select, update

from server.activities import services as activities
from server.core import clock
from server.extensions import db
from server.hours import ledger, review
from server.hours.models import HourEntry, HourQueue
from tests.hours.test_api import make_held  # noqa: F401 - the shared fixture


def _queued() -> set[int]:
    return set(db.session.scalars(select(HourQueue.entry_id)))


def _in_queue_page(reviewer) -> set[int]:
    page = review.queue(reviewer, today=clock.today())
    return {e.id for g in page.groups for e in g.entries}


def _agrees(waiting: set[int], reviewer) -> None:
    assert ledger.queue_drift() == []
    assert _queued() == waiting == _in_queue_page(reviewer)


def test_the_queue_follows_every_kind_of_decision(make_held, make_activity,  # noqa: F811
                                                  give_place, now):
    w = make_held(stays={"王小红": (0, 120), "李大伟": (30, None), "张三": (0, 60),
                         "赵四": (10, 100)})
    e = {name: entry.id for name, entry in w.entries.items()}
    _agrees(set(e.values()), w.coordinator)  # attendance closed: all four wait
    review.approve(e["王小红"], reviewer=w.coordinator, now=now)
    _agrees({e["李大伟"], e["张三"], e["赵四"]}, w.coordinator)
    review.reject(e["李大伟"], reviewer=w.coordinator, reason="未签退", now=now)
    _agrees({e["张三"], e["赵四"]}, w.coordinator)
    # adjusting a waiting entry: it is rejected, its replacement approved at once
    review.adjust(e["张三"], reviewer=w.coordinator, minutes=30, reason="实际半小时", now=now)
    _agrees({e["赵四"]}, w.coordinator)
    # adjusting an approved entry: a reversal (never waits) and an approved replacement
    review.adjust(e["王小红"], reviewer=w.coordinator, minutes=90, reason="提前离开",
                  now=now + timedelta(minutes=1))
    kinds = {x.kind for x in db.session.scalars(select(HourEntry).where(
        HourEntry.id.not_in(e.values())))}
    assert kinds == {"reversal", "replacement"}
    _agrees({e["赵四"]}, w.coordinator)
    # a replacement waiting (as late scans make one), approved: what it replaces is set aside
    late = HourEntry(user_id=w.people["赵四"].id, activity_id=w.activity.id,
                     signup_id=w.entries["赵四"].signup_id, kind="replacement",
                     replaces_id=e["赵四"], minutes=110, sources=["organiser_scan"],
                     flags=["late_scan"], created_at=now)
    db.session.add(late)
    db.session.flush()
    _agrees({e["赵四"], late.id}, w.coordinator)
    review.approve(late.id, reviewer=w.coordinator, now=now)
    assert review.get_entry(e["赵四"]).status == "superseded"
    _agrees(set(), w.coordinator)
    # 补录 waits; approving all of an activity empties its part of the queue
    past = make_activity(org=w.org, starts_in=timedelta(days=-3), hours=2, status="finished")
    give_place(past, w.people["张三"])
    filed = ledger.file_for(actor=w.organiser, activity=past, phone=w.people["张三"].phone,
                            minutes=60, evidence="签到表为证", now=now)
    _agrees({filed.id}, w.coordinator)
    review.approve(filed.id, reviewer=w.coordinator, now=now)
    _agrees(set(), w.coordinator)


def test_the_queue_reads_the_marker_not_the_ledger(app, make_held):  # noqa: F811
    w = make_held()
    ids = {entry.id for entry in w.entries.values()}
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert _in_queue_page(w.coordinator) == ids
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    # the activities that wait are found from the marker alone, never from the reviews
    [grouping] = [s for s in statements if "GROUP BY" in s]
    assert "hour_queue" in grouping and "hour_reviews" not in grouping
    # a waiting entry missing from the marker is not shown, and the check finds it
    gone = min(ids)
    db.session.execute(delete(HourQueue).where(HourQueue.entry_id == gone))
    assert _in_queue_page(w.coordinator) == ids - {gone}
    assert ledger.queue_drift() == [f"entry {gone} waits but is not in hour_queue"]
    checked = app.test_cli_runner().invoke(args=["hours", "check-queue"])
    assert checked.exit_code == 1 and f"entry {gone} waits" in checked.output
    rebuilt = app.test_cli_runner().invoke(args=["hours", "rebuild-queue"])  # as the backfill
    assert rebuilt.exit_code == 0, rebuilt.output
    assert ledger.queue_drift() == [] and _in_queue_page(w.coordinator) == ids
    checked = app.test_cli_runner().invoke(args=["hours", "check-queue"])
    assert checked.exit_code == 0 and "agrees" in checked.output


@pytest.fixture
def movable(make_node, make_org, make_user, make_activity, grant, give_place):
    """An activity under way in one community of a street whose social-work station runs
    it (so its organiser may move it to the street's other community), and a volunteer who
    held a place in it."""
    w = SimpleNamespace()
    w.street = make_node(name="通运街道", kind="street")
    w.here, w.there = (make_node(name="运河园社区", parent=w.street),
                       make_node(name="紫荆雅园社区", parent=w.street))
    w.org = make_org(name="通运街道社工站", node=w.street)
    w.activity = make_activity(org=w.org, node=w.here, starts_in=timedelta(hours=-1), hours=3)
    w.organiser = make_user(name="社工小张")
    grant(w.organiser, "organiser", w.street, w.org)
    w.volunteer = make_user(name="王小红", phone="13812340001")
    give_place(w.activity, w.volunteer)
    return w


def test_queue_rows_follow_their_activity_to_another_community(movable, make_user, grant,
                                                                now):
    """Each waiting row carries its activity's end, community and organisation (the queue
    pages and checks scope from them): when the activity moves, its rows move with it, and
    the reviewers who see it change with them."""
    w = movable
    activity, organiser, volunteer, org = w.activity, w.organiser, w.volunteer, w.org
    here, there = w.here, w.there
    reviewer_here, reviewer_there = make_user(name="运河园协调员"), make_user(name="紫荆协调员")
    grant(reviewer_here, "coordinator", here)
    grant(reviewer_there, "coordinator", there)
    filed = ledger.file_for(actor=organiser, activity=activity, phone=volunteer.phone,
                            minutes=30, evidence="签到表为证", now=now)  # 补录 while it runs
    row = db.session.get(HourQueue, filed.id)
    assert (row.ends_at, row.node_id, row.organisation_id) == (
        activity.ends_at, here.id, org.id)
    assert _in_queue_page(reviewer_here) == {filed.id} and not _in_queue_page(reviewer_there)

    activities.update_activity(activity, actor=organiser, now=now, node_id=there.id)
    db.session.expire_all()
    assert db.session.get(HourQueue, filed.id).node_id == there.id
    assert ledger.queue_drift() == []
    assert not _in_queue_page(reviewer_here) and _in_queue_page(reviewer_there) == {filed.id}
    assert review.waiting(reviewer_there, today=clock.today()).pending == 1
    assert review.waiting(reviewer_here, today=clock.today()).pending == 0

    # a copy that went wrong (written outside the ORM) is found, and the rebuild mends it
    db.session.execute(update(HourQueue).where(HourQueue.entry_id == filed.id)
                       .values(node_id=here.id))
    assert ledger.queue_drift() == [f"entry {filed.id} is in hour_queue with another "
                                    "activity, end, place or organisation"]
    ledger.rebuild_queue()
    assert ledger.queue_drift() == [] and _in_queue_page(reviewer_there) == {filed.id}
