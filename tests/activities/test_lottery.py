"""Lottery sign-up windows: entries, the draw once at the close, reproducible from its
published seed, and what everyone is told. Refusals asserted by their stable codes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.activities import lottery, services, signups
from server.activities.models import LotteryDraw, Signup
from server.core.errors import WusheError
from server.extensions import db
from server.notifications.models import Notification
from server.scheduler import jobs


def _organiser(make_user, grant, org):
    user = make_user(name="社工小王")
    grant(user, "organiser", org.node, organisation=org)
    return user


def _entered(activity, people, now):
    return [signups.sign_up(activity.id, user=p, now=now) for p in people]


def _queue(activity_id):
    """Confirmed places, then the waitlist, each in queue order: the sign-ups' own order."""
    rows = db.session.scalars(select(Signup).where(
        Signup.activity_id == activity_id, Signup.status.in_(("confirmed", "waitlisted")))
        .order_by(Signup.queue_no)).all()
    return rows


# --- choosing a lottery ------------------------------------------------------------------------

def test_an_organiser_creates_a_lottery_with_a_committed_seed(make_org, make_user, grant, now):
    org = make_org()
    organiser = _organiser(make_user, grant, org)
    activity = services.create_activity(
        actor=organiser, organisation=org, now=now, title="热门书法课", kind="lecture",
        place="活动室", starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=2), capacity=20, signup_mode="lottery",
        signup_opens_at=now + timedelta(hours=1), signup_closes_at=now + timedelta(days=2))
    assert activity.signup_mode == "lottery"
    assert len(activity.lottery_seed) == 64
    assert activity.lottery_commitment == hashlib.sha256(
        activity.lottery_seed.encode()).hexdigest()
    # first come stays the default, with no seed
    plain = services.create_activity(
        actor=organiser, organisation=org, now=now, title="普通讲座", kind="lecture",
        place="活动室", starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=2), capacity=20)
    assert (plain.signup_mode, plain.lottery_seed, plain.lottery_commitment) == (
        "first_come", None, None)


@pytest.mark.parametrize(("window", "code"), [
    ({"signup_closes_at": None}, "lottery_window_required"),
    ({"signup_opens_at": None}, "lottery_window_required"),
    ({"signup_closes_at": timedelta(days=5)}, "lottery_closes_after_start"),
    ({"signup_closes_at": timedelta(days=5, hours=1)}, "lottery_closes_after_start"),
    ({"signup_closes_at": timedelta(days=5, hours=3)}, "bad_schedule"),
    ({"signup_opens_at": -timedelta(days=2), "signup_closes_at": -timedelta(hours=1)},
     "lottery_in_past"),
])
def test_a_lottery_needs_a_window_that_closes_before_the_start(make_org, make_user, grant, now,
                                                                window, code):
    org = make_org()
    organiser = _organiser(make_user, grant, org)
    times = {"signup_opens_at": timedelta(hours=1), "signup_closes_at": timedelta(days=2)}
    times.update(window)
    with pytest.raises(WusheError) as excinfo:
        services.create_activity(
            actor=organiser, organisation=org, now=now, title="热门书法课", kind="lecture",
            place="活动室", starts_at=now + timedelta(days=5),
            ends_at=now + timedelta(days=5, hours=2), capacity=20, signup_mode="lottery",
            **{k: (now + v if v is not None else None) for k, v in times.items()})
    assert excinfo.value.code == code


def test_a_past_activity_cannot_become_a_lottery(make_activity, make_user, grant, now):
    activity = make_activity(starts_in=-timedelta(hours=1), hours=3)
    organiser = _organiser(make_user, grant, activity.organisation)
    with pytest.raises(WusheError) as excinfo:
        services.update_activity(activity, actor=organiser, now=now, signup_mode="lottery",
                                 signup_opens_at=now - timedelta(days=2),
                                 signup_closes_at=now - timedelta(hours=2))
    assert excinfo.value.code == "lottery_in_past"


def test_the_mode_is_locked_once_anyone_is_in(make_activity, make_lottery, make_user, grant,
                                             now):
    lot = make_lottery()
    organiser = _organiser(make_user, grant, lot.organisation)
    signups.sign_up(lot.id, user=make_user(), now=now)
    with pytest.raises(WusheError) as excinfo:
        services.update_activity(lot, actor=organiser, now=now, signup_mode="first_come")
    assert excinfo.value.code == "signup_mode_locked"
    db.session.expire(lot)  # what the request's rollback does

    plain = make_activity(org=lot.organisation)
    signups.sign_up(plain.id, user=make_user(), now=now)
    with pytest.raises(WusheError) as excinfo:
        services.update_activity(plain, actor=organiser, now=now, signup_mode="lottery",
                                 signup_opens_at=now, signup_closes_at=now + timedelta(days=1))
    assert excinfo.value.code == "signup_mode_locked"
    db.session.expire(plain)
    assert lot.signup_mode == "lottery"
    # other changes go on
    services.update_activity(lot, actor=organiser, now=now, capacity=5)
    assert lot.capacity == 5


def test_an_empty_activity_switches_to_a_lottery_and_back(make_activity, make_user, grant,
                                                         now):
    activity = make_activity()
    organiser = _organiser(make_user, grant, activity.organisation)
    services.update_activity(activity, actor=organiser, now=now, signup_mode="lottery",
                             signup_opens_at=now, signup_closes_at=now + timedelta(days=1))
    assert activity.lottery_commitment is not None
    services.update_activity(activity, actor=organiser, now=now, signup_mode="first_come")
    assert (activity.lottery_seed, activity.lottery_commitment) == (None, None)


# --- entering ----------------------------------------------------------------------------------

def test_entries_are_not_places_and_follow_the_sign_up_rules(make_lottery, make_user, now):
    lot = make_lottery(capacity=2, min_age=18)
    people = [make_user(name=f"报名者{i}") for i in range(4)]
    entries = _entered(lot, people, now)
    assert [e.status for e in entries] == ["entered"] * 4
    assert (lot.confirmed_count, lot.waitlist_count) == (0, 0)
    assert lottery.lottery_of(lot).entries == 4

    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(lot.id, user=people[0], now=now)
    assert excinfo.value.code == "already_signed_up"
    child = make_user(name="小朋友", birth_date=now.date().replace(year=now.year - 10))
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(lot.id, user=child, now=now)
    assert excinfo.value.code == "too_young"
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(lot.id, user=make_user(), now=lot.signup_opens_at - timedelta(minutes=1))
    assert excinfo.value.code == "signup_not_open_yet"


def test_an_entry_can_be_withdrawn_until_the_close(make_lottery, make_user, now):
    lot = make_lottery()
    first, second = _entered(lot, [make_user(), make_user(name="张伟")], now)
    signups.withdraw(first, actor=first.user, now=now)
    assert first.status == "withdrawn"
    assert lottery.lottery_of(lot).entries == 1
    with pytest.raises(WusheError) as excinfo:
        signups.withdraw(second, actor=second.user, now=lot.signup_closes_at)
    assert excinfo.value.code == "withdraw_closed"


def test_after_the_close_and_before_the_draw_sign_up_waits(make_lottery, make_user, now):
    lot = make_lottery()
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(lot.id, user=make_user(), now=lot.signup_closes_at)
    assert excinfo.value.code == "awaiting_draw"


def test_cancelling_tells_the_entrants(make_lottery, make_user, grant, now):
    lot = make_lottery()
    organiser = _organiser(make_user, grant, lot.organisation)
    entries = _entered(lot, [make_user(), make_user(name="张伟")], now)
    services.cancel(lot, actor=organiser, now=now, reason="场地维修")
    assert [e.status for e in entries] == ["cancelled", "cancelled"]
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "activity_cancelled")).all()
    assert sorted(told) == sorted(e.user_id for e in entries)


# --- the draw ----------------------------------------------------------------------------------

def test_the_draw_fills_the_places_and_queues_the_rest_in_drawn_order(make_lottery, make_user,
                                                                     now):
    lot = make_lottery(capacity=3)
    entries = _entered(lot, [make_user(name=f"报名者{i}") for i in range(8)], now)
    at = lot.signup_closes_at + timedelta(minutes=1)

    record = lottery.draw(lot.id, actor=None, now=at)

    assert record.entrants == sorted(e.id for e in entries)
    assert sorted(record.drawn_order) == record.entrants
    assert (record.places, record.winners, record.source, record.drawn_by_id) == (
        3, 3, "scheduler", None)
    assert record.seed == lot.lottery_seed and record.commitment == lot.lottery_commitment
    assert record.algorithm == "hmac-sha256-v1" and record.drawn_at == at
    # the sign-ups follow the drawn order: the first three hold places, five wait
    queue = _queue(lot.id)
    assert [s.id for s in queue] == record.drawn_order
    assert [s.status for s in queue] == ["confirmed"] * 3 + ["waitlisted"] * 5
    assert [signups.waitlist_position(s) for s in queue[3:]] == [1, 2, 3, 4, 5]
    assert (lot.confirmed_count, lot.waitlist_count) == (3, 5)
    # everyone is told, once: a place, or their place on the waitlist
    notes = {n.user_id: n for n in db.session.scalars(select(Notification).where(
        Notification.activity_id == lot.id))}
    by_signup = {s.id: s for s in queue}
    for n, entry_id in enumerate(record.drawn_order):
        note = notes[by_signup[entry_id].user_id]
        if n < 3:
            assert note.kind == "lottery_won"
        else:
            assert (note.kind, note.params["position"]) == ("lottery_waitlisted", n - 2)
    assert len(notes) == 8


def test_one_drawn_who_has_a_place_elsewhere_at_that_time_is_passed_over(
        make_lottery, make_activity, make_user, now):
    """Entries are no places, so entering does not clash; by the draw, the first drawn has
    taken a place at the same time elsewhere: the place goes to the next in the order, she
    waits first in line, and the published result says why."""
    lot = make_lottery(capacity=2)
    people = [make_user(name=f"报名者{i}") for i in range(4)]
    entries = _entered(lot, people, now)
    order = lottery.drawn_order(lot.lottery_seed, [e.id for e in entries])
    first = next(e for e in entries if e.id == order[0])
    same_time = make_activity(starts_in=lot.starts_at - now, hours=1, capacity=5)
    assert signups.sign_up(same_time.id, user=first.user, now=now).status == "confirmed"

    record = lottery.draw(lot.id, actor=None, now=lot.signup_closes_at + timedelta(minutes=1))

    assert record.drawn_order == order and record.passed_over == [order[0]]
    assert (record.places, record.winners) == (2, 2)
    status = {s.id: (s.status, signups.waitlist_position(s)) for s in _queue(lot.id)}
    assert [status[i] for i in order] == [
        ("waitlisted", 1), ("confirmed", None), ("confirmed", None), ("waitlisted", 2)]
    assert lottery.lottery_of(lot).outcome() == [
        (order[0], "waitlisted", 1, True), (order[1], "confirmed", None, False),
        (order[2], "confirmed", None, False), (order[3], "waitlisted", 2, False)]
    told = db.session.scalar(select(Notification).where(
        Notification.activity_id == lot.id, Notification.user_id == first.user_id))
    assert (told.kind, told.params["position"]) == ("lottery_waitlisted", 1)
    from server.notifications.services import render
    assert "同一时间已有其他活动的名额" in render(told)  # told why
    assert lottery.verify(record).ok  # the order is still the seed's
    # she is not confirmed in both, whichever frees up first
    assert signups.clash(first.user_id, same_time) is None


def test_the_lottery_draw_is_reproducible_from_its_published_seed(make_lottery, make_user,
                                                                  now):
    lot = make_lottery(capacity=4)
    _entered(lot, [make_user(name=f"报名者{i}") for i in range(12)], now)
    record = lottery.draw(lot.id, actor=None, now=lot.signup_closes_at)
    published = lottery.lottery_of(lot)

    # re-run from what is published only, with nothing of ours but hashlib and hmac
    seed, entrants = published.draw.seed, list(published.draw.entrants)
    assert hashlib.sha256(seed.encode()).hexdigest() == lot.lottery_commitment
    again = sorted(sorted(entrants), key=lambda i: (
        hmac.new(seed.encode(), str(i).encode(), hashlib.sha256).hexdigest(), i))
    assert again == record.drawn_order
    assert [i for i, outcome, _, _ in published.outcome() if outcome == "confirmed"] == again[:4]
    assert lottery.verify(record).ok
    # the order does not depend on the order entries are listed in
    assert lottery.drawn_order(seed, list(reversed(entrants))) == again

    # a changed order, or a seed that does not match its commitment, is caught
    db.session.expunge(record)
    record.drawn_order = [*again[1:], again[0]]
    check = lottery.verify(record)
    assert not check.ok and check.commitment_ok and not check.order_ok
    record.drawn_order, record.seed = again, "0" * 64
    assert not lottery.verify(record).commitment_ok


def test_the_algorithm_is_pinned_by_a_known_answer():
    seed = "00" * 32
    ranks = {i: hmac.new(seed.encode(), str(i).encode(), hashlib.sha256).hexdigest()
             for i in (1, 2, 3, 10)}
    assert lottery.drawn_order(seed, [10, 3, 2, 1]) == sorted(ranks, key=ranks.get)
    assert lottery.commitment_of(seed) == hashlib.sha256(b"0" * 64).hexdigest()


def test_the_draw_happens_once_and_not_before_the_close(make_lottery, make_user, grant, now):
    lot = make_lottery()
    _entered(lot, [make_user()], now)
    with pytest.raises(WusheError) as excinfo:
        lottery.draw(lot.id, actor=None, now=lot.signup_closes_at - timedelta(seconds=1))
    assert excinfo.value.code == "draw_too_early"
    resident = make_user(name="居民")
    with pytest.raises(WusheError) as excinfo:
        lottery.draw(lot.id, actor=resident, now=lot.signup_closes_at)
    assert excinfo.value.code == "forbidden"
    organiser = _organiser(make_user, grant, lot.organisation)
    record = lottery.draw(lot.id, actor=organiser, now=lot.signup_closes_at)
    assert (record.source, record.drawn_by_id) == ("organiser", organiser.id)
    with pytest.raises(WusheError) as excinfo:
        lottery.draw(lot.id, actor=None, now=lot.signup_closes_at)
    assert excinfo.value.code == "already_drawn"


def test_first_come_activities_have_no_draw(make_activity, now):
    activity = make_activity()
    with pytest.raises(WusheError) as excinfo:
        lottery.draw(activity.id, actor=None, now=now)
    assert excinfo.value.code == "not_lottery"


def test_the_database_holds_one_draw_per_activity(make_lottery, now):
    lot = make_lottery()
    lottery.draw(lot.id, actor=None, now=lot.signup_closes_at)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(LotteryDraw(activity_id=lot.id, algorithm="hmac-sha256-v1",
                                   seed=lot.lottery_seed, commitment=lot.lottery_commitment,
                                   entrants=[], drawn_order=[], places=3, winners=0,
                                   drawn_at=now, source="scheduler"))


def test_after_the_draw_it_is_first_come_with_the_drawn_waitlist(make_lottery, make_user, now):
    lot = make_lottery(capacity=2)
    _entered(lot, [make_user(name=f"报名者{i}") for i in range(4)], now)
    record = lottery.draw(lot.id, actor=None, now=lot.signup_closes_at)
    later = lot.signup_closes_at + timedelta(hours=1)
    late = signups.sign_up(lot.id, user=make_user(name="迟到者"), now=later)
    assert late.status == "waitlisted" and signups.waitlist_position(late) == 3

    winner = db.session.get(Signup, record.drawn_order[0])
    signups.withdraw(winner, actor=winner.user, now=later)
    first_waiting = db.session.get(Signup, record.drawn_order[2])
    assert first_waiting.status == "confirmed"
    assert db.session.get(Signup, record.drawn_order[3]).status == "waitlisted"
    assert signups.waitlist_position(late) == 2


def test_a_lottery_with_fewer_entries_than_places(make_lottery, make_user, now):
    lot = make_lottery(capacity=5)
    _entered(lot, [make_user(), make_user(name="张伟")], now)
    record = lottery.draw(lot.id, actor=None, now=lot.signup_closes_at)
    assert (record.places, record.winners) == (5, 2)
    late = signups.sign_up(lot.id, user=make_user(name="迟到者"),
                           now=lot.signup_closes_at + timedelta(minutes=5))
    assert late.status == "confirmed"


# --- the scheduler -----------------------------------------------------------------------------

def test_the_job_draws_closed_lotteries_once(make_lottery, make_user, grant, now):
    closed = make_lottery(closes_in=-timedelta(minutes=5),
                          opens_at=now - timedelta(days=1))
    entries = _entered(closed, [make_user(name=f"报名者{i}") for i in range(3)],
                       now - timedelta(hours=1))
    still_open = make_lottery()
    cancelled = make_lottery(closes_in=-timedelta(minutes=5), opens_at=now - timedelta(days=1))
    cancelled.status, cancelled.cancel_reason = "cancelled", "天气"
    db.session.flush()

    tally = jobs.JOBS["lottery_draws"].run(now)
    assert (tally.done, tally.failures) == (1, [])
    assert lottery.draw_of(closed.id) is not None
    assert lottery.draw_of(still_open.id) is None and lottery.draw_of(cancelled.id) is None
    assert {e.status for e in entries} <= {"confirmed", "waitlisted"}

    again = jobs.JOBS["lottery_draws"].run(now + timedelta(minutes=1))
    assert (again.done, again.failures) == (0, [])
    assert db.session.query(Notification).filter(
        Notification.kind.in_(("lottery_won", "lottery_waitlisted"))).count() == 3


def test_verify_draw_command(app, make_lottery, make_user, now):
    lot = make_lottery()
    _entered(lot, [make_user(), make_user(name="张伟")], now)
    lottery.draw(lot.id, actor=None, now=lot.signup_closes_at)
    result = app.test_cli_runner().invoke(args=["activities", "verify-draw", str(lot.id)])
    assert result.exit_code == 0, result.output
    assert "verified" in result.output and "commitment sha256(seed): ok" in result.output
    missing = app.test_cli_runner().invoke(args=["activities", "verify-draw", "999999"])
    assert missing.exit_code != 0 and "no lottery draw" in missing.output


def test_a_lottery_draft_cannot_be_published_after_its_window(make_lottery, make_user, grant,
                                                             now):
    lot = make_lottery(status="draft", closes_in=timedelta(hours=1))
    organiser = _organiser(make_user, grant, lot.organisation)
    with pytest.raises(WusheError) as excinfo:
        services.publish(lot, actor=organiser, now=lot.signup_closes_at)
    assert excinfo.value.code == "lottery_in_past"
    services.publish(lot, actor=organiser, now=now)
    assert lot.status == "published"
