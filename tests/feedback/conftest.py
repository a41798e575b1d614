"""Fixtures for feedback: a finished activity and people who took part in it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.extensions import db


@pytest.fixture
def finished(make_activity, now):
    """finished(**fields): an activity that ended an hour ago and was marked finished."""
    def make(**fields):
        fields.setdefault("starts_in", timedelta(hours=-3))
        fields.setdefault("hours", 2)
        return make_activity(status="finished", **fields)
    return make


@pytest.fixture
def attended(give_place):
    """attended(activity, user): a confirmed place and a successful check-in."""
    def make(activity, user):
        signup = give_place(activity, user)
        signup.scan_seq, signup.presence = 2, "out"
        db.session.flush()
        return signup
    return make


@pytest.fixture
def with_hours(now):
    """with_hours(activity, user, decision=None): an hours entry (imported, 补录…)."""
    from server.hours.models import HourEntry, HourReview

    def make(activity, user, *, kind="retroactive", decision=None, minutes=90):
        entry = HourEntry(user_id=user.id, activity_id=activity.id, kind=kind,
                          minutes=minutes, sources=[], flags=[], created_at=now)
        db.session.add(entry)
        db.session.flush()
        if decision:
            db.session.add(HourReview(entry_id=entry.id, decision=decision, decided_at=now))
            db.session.flush()
        return entry
    return make


@pytest.fixture
def organiser_of(make_user, grant):
    def make(activity, name="社工小张"):
        user = make_user(name=name)
        grant(user, "organiser", activity.organisation.node, activity.organisation)
        return user
    return make
