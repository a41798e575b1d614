"""Fixtures of the activities' tests: an activity that gives its places by lottery."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def make_lottery(make_activity, now):
    """make_lottery(capacity=3, closes_in=1 day, starts_in=3 days): published, its
    window open since an hour ago, its seed committed."""
    from server.activities import lottery

    def make(capacity=3, closes_in=timedelta(days=1), starts_in=timedelta(days=3), **fields):
        seed, commitment = lottery.new_seed()
        return make_activity(capacity=capacity, starts_in=starts_in, signup_mode="lottery",
                             signup_opens_at=fields.pop("opens_at", now - timedelta(hours=1)),
                             signup_closes_at=now + closes_in, lottery_seed=seed,
                             lottery_commitment=commitment, **fields)
    return make
