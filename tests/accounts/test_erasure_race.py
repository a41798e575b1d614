"""Deleting an account beside a sign-up for that person, under a real gunicorn.

Both take the person's row: a sign-up before it gives a place (signups.lock_people), a
pledge before it is made (donations limits.check_open), the erasure once every domain has
let go (accounts.erasure). The test's own connection plays
one side, holding the row as it would, while a server worker runs the other; then the test
commits. Never an erased account left holding a place ahead. PostgreSQL only: on SQLite
one transaction writes at a time."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from server.accounts.models import User
from server.activities import signups
from server.activities.models import Activity, Signup
from server.donations.models import Pledge
from server.donations.services import pledges
from server.extensions import db
from tests.donations.conftest import make_fund  # noqa: F401 - a fixture
from tests.live import server_waits_on

pytestmark = [pytest.mark.concurrency, pytest.mark.postgresql]


def _in_thread(call) -> tuple[threading.Thread, list]:
    answer: list = []
    thread = threading.Thread(target=lambda: answer.append(call()))
    thread.start()
    return thread, answer


def _while_erasing(person_id: int, call) -> tuple[int, dict]:
    """The test's connection plays the erasure: it holds the person's row while the server
    runs `call`, then writes what accounts.erasure writes last, under that lock, and
    commits. (status, body) of the server's answer."""
    with db.engine.connect() as erasing:
        erasing.execute(text("SET lock_timeout = '10s'"))
        erasing.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"),
                        {"id": person_id})
        thread, answer = _in_thread(call)
        server_waits_on("users")
        erasing.execute(text("UPDATE users SET active = false, erased_at = now(), "
                             "phone = NULL, name = '已注销用户' WHERE id = :id"),
                        {"id": person_id})
        erasing.commit()
    thread.join(timeout=60)
    status, body, _ = answer[0]
    return status, body


def _erased_while_held(phone) -> tuple[int, dict]:
    """The server erases the account while the test's session holds what it just wrote
    for the person (their row among it); the test commits once the server waits."""
    thread, answer = _in_thread(lambda: phone.call("POST", "/api/v1/me/erase",
                                                   {"confirm": True}))
    server_waits_on("users")
    db.session.commit()
    thread.join(timeout=60)
    status, body, _ = answer[0]
    return status, body


@pytest.fixture
def ahead(connect, make_activity, make_user):
    """(person id, activity id two days ahead, the person's phone on the server)."""
    activity = make_activity(capacity=5, starts_in=timedelta(days=2))
    person = make_user(name="刘洋")
    db.session.commit()
    return person.id, activity.id, connect(person)


def test_a_sign_up_that_waited_for_an_erasure_gives_no_place(gunicorn, ahead):
    person_id, activity_id, phone = ahead
    status, body = _while_erasing(person_id, lambda: phone.call(
        "POST", f"/api/v1/activities/{activity_id}/signups", {}))
    assert (status, body.get("code")) == (409, "account_closed"), body
    db.session.expire_all()
    assert db.session.scalars(select(Signup).where(Signup.user_id == person_id)).all() == []


def test_an_erasure_that_waited_for_a_sign_up_runs_again_and_ends_that_place(
        gunicorn, ahead, now):
    person_id, activity_id, phone = ahead
    # the test's session signs the person up and holds the sign-up's locks (the activity,
    # then the person) while the server deletes the account
    signups.sign_up(activity_id, user=db.session.get(User, person_id), now=now)
    status, body = _erased_while_held(phone)
    assert status == 204, body
    db.session.expire_all()
    erased = db.session.get(User, person_id)
    assert erased.erased_at is not None and not erased.active
    place = db.session.scalar(select(Signup).where(Signup.user_id == person_id))
    assert (place.status, place.end_reason) == ("withdrawn", "account_deleted")
    assert db.session.get(Activity, activity_id).confirmed_count == 0


def test_a_pledge_that_waited_for_an_erasure_is_not_made(gunicorn, ahead, make_fund):  # noqa: F811
    person_id, _activity_id, phone = ahead
    fund, _coordinator = make_fund()
    db.session.commit()
    fund_id = fund.id
    status, body = _while_erasing(person_id, lambda: phone.call(
        "POST", f"/api/v1/funds/{fund_id}/pledges", {"kind": "money", "amount": "50"}))
    assert (status, body.get("code")) == (409, "account_closed"), body
    db.session.expire_all()
    assert db.session.scalars(select(Pledge).where(Pledge.donor_id == person_id)).all() == []


def test_an_erasure_that_waited_for_a_pledge_forgets_its_name_too(
        gunicorn, ahead, make_fund, now):  # noqa: F811
    person_id, _activity_id, phone = ahead
    fund, _coordinator = make_fund()
    db.session.commit()
    # the test's session pledges as the person and holds their row while the server erases
    pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("50"),
                                 "display": "full_name"},
                          actor=db.session.get(User, person_id), now=now)
    status, body = _erased_while_held(phone)
    assert status == 204, body
    db.session.expire_all()
    [kept] = db.session.scalars(select(Pledge).where(Pledge.donor_id == person_id)).all()
    assert (kept.donor_name, kept.donor_phone, kept.display) == ("已注销用户", None,
                                                                 "anonymous")
