"""A scan checks its operator's login inside its own statement (checkin.live), not by
loading the person first: the same answers as every other endpoint's login check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from server.accounts import sessions
from server.accounts.models import User
from server.activities import signups
from server.checkin import codes
from server.checkin.models import Scan
from server.core import clock
from server.extensions import db


def _door(api, make_activity, make_user, grant, *, locale=None):
    now = clock.now()
    activity = make_activity(starts_in=timedelta(minutes=5), hours=2)
    organiser = make_user(name="组织者")
    organiser.locale = locale
    grant(organiser, "organiser", activity.node, activity.organisation)
    person = make_user(name="志愿者")
    signups.sign_up(activity.id, user=person, now=now)
    payload = codes.personal_payload(codes.active_code(person, now=now))
    api.login(organiser)
    path = f"/api/v1/activities/{activity.id}/scans"
    return organiser, path, payload


def _scans() -> int:
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_an_ended_login_cannot_scan(api, make_activity, make_user, grant):
    organiser, path, payload = _door(api, make_activity, make_user, grant)
    sessions.end_all(organiser, now=clock.now())  # "log out of all devices", elsewhere
    db.session.flush()
    answer = api.post(path, json={"code": payload, "nonce": "n" * 16})
    assert answer.status_code == 401, answer.get_json()
    assert answer.get_json()["code"] == "login_required"
    assert _scans() == 0


def test_a_deactivated_operator_cannot_scan(api, make_activity, make_user, grant):
    organiser, path, payload = _door(api, make_activity, make_user, grant)
    db.session.execute(update(User).where(User.id == organiser.id).values(active=False))
    answer = api.post(path, json={"code": payload, "nonce": "n" * 16})
    assert answer.status_code == 401
    assert _scans() == 0


def test_logged_out_is_refused_before_the_body_is_read(api, make_activity, make_user,
                                                       grant):
    _organiser, path, _payload = _door(api, make_activity, make_user, grant)
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    answer = api.post(path, json={"code": 12})  # a bad body too: not logged in comes first
    assert answer.status_code == 401
    assert _scans() == 0


def test_the_answer_speaks_the_operators_language(api, make_activity, make_user, grant):
    _organiser, path, payload = _door(api, make_activity, make_user, grant, locale="en")
    first = api.post(path, json={"code": payload, "nonce": "a" * 16}).get_json()
    again = api.post(path, json={"code": payload, "nonce": "b" * 16}).get_json()
    assert (first["result"], again["result"]) == ("ok", "already_checked_in")
    assert first["message"].isascii() and again["message"].isascii()
    # and without a language of their own: Chinese, the site's first language
    db.session.execute(update(User).where(User.id == _organiser.id).values(locale=None))
    exit_answer = api.post(path, json={"code": payload, "nonce": "c" * 16,
                                       "direction": "exit"}).get_json()
    assert exit_answer["result"] == "ok" and not exit_answer["message"].isascii()
