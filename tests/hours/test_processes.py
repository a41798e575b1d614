"""A volunteer asks for a correction while a reviewer adjusts the same entry from the queue,
at once, through a real gunicorn (several worker processes): whichever comes first, no request
is left open on an entry that no longer counts. Either the adjustment answers it, or the
request is refused because the entry was already replaced."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from server.extensions import db
from server.hours import review
from server.hours.models import CorrectionRequest, HourEntry
from tests.hours.test_api import make_held  # noqa: F401 - the shared fixture
from tests.live import at_once

pytestmark = pytest.mark.concurrency
TRIALS = 6


def _call(c, path, body):
    def call():
        status, data, _ = c.call("POST", path, body)
        return status, data.get("code") if status >= 400 else None
    return call


def test_a_correction_asked_while_the_entry_is_adjusted_is_never_left_open(
        connect, make_held, now):  # noqa: F811
    w = make_held(stays={f"志愿者{i}": (0, 120) for i in range(TRIALS)})
    for entry in w.entries.values():
        review.approve(entry.id, reviewer=w.coordinator, now=now)
    pairs = [(w.people[name], entry.id) for name, entry in w.entries.items()]
    db.session.commit()
    desk = connect(w.coordinator)
    outcomes = Counter()
    for person, entry_id in pairs:
        phone = connect(person)
        ask, adjust = at_once([
            _call(phone, f"/api/v1/me/hours/entries/{entry_id}/corrections",
                  {"message": "我九点就到了，扫码失败"}),
            _call(desk, f"/api/v1/hours/entries/{entry_id}/adjust",
                  {"minutes": 90, "reason": "中途离开半小时"})])
        assert adjust == (200, None), adjust
        assert ask in ((201, None), (409, "not_correctable")), ask
        outcomes[ask] += 1
        db.session.expire_all()
        new_id = db.session.scalar(select(HourEntry.id).where(HourEntry.replaces_id == entry_id))
        requests = db.session.scalars(select(CorrectionRequest).where(
            CorrectionRequest.entry_id == entry_id)).all()
        if ask[0] == 201:  # asked first: the adjustment answered it
            assert [(r.answer, r.new_entry_id) for r in requests] == [("corrected", new_id)]
        else:  # adjusted first: nothing was asked of the replaced entry
            assert requests == []
    assert sum(outcomes.values()) == TRIALS, outcomes


def test_a_late_upload_approved_while_the_entry_behind_it_gets_new_minutes_counts_once(
        connect, make_held, now):  # noqa: F811
    """One reviewer approves a late upload's replacement while another gives the approved
    entry behind it new minutes, at once, in separate processes. The two lock the chain's
    rows in opposite orders; a deadlock PostgreSQL breaks is retried by the unit of work
    (core.http). Whatever the order: one is done, the other is told it was already
    decided, and the hours count once."""
    w = make_held(stays={f"志愿者{i}": (0, 120) for i in range(TRIALS)})
    chains = []
    for name, entry in w.entries.items():
        review.approve(entry.id, reviewer=w.coordinator, now=now)
        late = HourEntry(user_id=entry.user_id, activity_id=entry.activity_id,
                         signup_id=entry.signup_id, kind="replacement", replaces_id=entry.id,
                         minutes=110, sources=["organiser_scan"], flags=["late_scan"],
                         created_at=now)
        db.session.add(late)
        db.session.flush()
        chains.append((w.people[name], entry.id, late.id))
    db.session.commit()
    approving, adjusting = connect(w.coordinator), connect(w.organiser)
    for person, first_id, late_id in chains:
        approved, adjusted = at_once([
            _call(approving, f"/api/v1/hours/entries/{late_id}/approve", {}),
            _call(adjusting, f"/api/v1/hours/entries/{first_id}/adjust",
                  {"minutes": 90, "reason": "中途离开半小时"})])
        assert sorted([approved, adjusted]) == [(200, None), (409, "already_reviewed")], (
            approved, adjusted)
        db.session.expire_all()
        counted = sum(e.minutes for e in db.session.scalars(select(HourEntry).where(
            HourEntry.user_id == person.id)) if e.status == "approved")
        assert counted == (110 if approved[0] == 200 else 90), (approved, adjusted, counted)
