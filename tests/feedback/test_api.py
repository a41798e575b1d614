"""/api/v1 feedback: statuses, the envelope, bad input, and no names in summaries."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from server.activities.models import Programme
from server.extensions import db
from server.feedback.models import Feedback


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    return body


def _count(activity) -> int:
    return db.session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.activity_id == activity.id))


def test_give_then_change_my_feedback(api, finished, attended, make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    url = f"/api/v1/activities/{activity.id}/feedback/mine"
    before = api.get(url).get_json()
    assert (before["status"], before["can_give"], before["feedback"]) == ("open", True, None)
    resp = api.put(url, json={"rating": 4, "comment": "组织得很好，就是时间有点紧；下次再来"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "given" and body["can_give"] is True
    assert body["feedback"]["rating"] == 4
    assert body["feedback"]["comment"] == "组织得很好，就是时间有点紧；下次再来"
    assert body["editable_until"].endswith("+08:00")
    again = api.put(url, json={"rating": 5})
    assert again.status_code == 200
    assert again.get_json()["feedback"] == {**again.get_json()["feedback"], "rating": 5,
                                            "comment": ""}
    assert _count(activity) == 1


def test_sending_the_same_feedback_twice_makes_one(api, finished, attended, make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    url = f"/api/v1/activities/{activity.id}/feedback/mine"
    for _ in range(2):
        assert api.put(url, json={"rating": 3, "comment": "一般"}).status_code == 200
    assert _count(activity) == 1


@pytest.mark.parametrize("rating", [0, 6, 2.5, "2.5", True, "abc", None, "٥", 10**30])
def test_bad_ratings_are_422_with_the_field(api, finished, attended, make_user, rating):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    resp = api.put(f"/api/v1/activities/{activity.id}/feedback/mine",
                   json={"rating": rating})
    body = _envelope(resp, 422, "validation_error")
    assert "rating" in body["errors"]
    assert _count(activity) == 0


def test_a_missing_rating_or_a_long_comment_is_422(api, finished, attended, make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    url = f"/api/v1/activities/{activity.id}/feedback/mine"
    assert "rating" in _envelope(api.put(url, json={"comment": "好"}), 422,
                                 "validation_error")["errors"]
    assert "comment" in _envelope(api.put(url, json={"rating": 5, "comment": "好" * 501}),
                                  422, "validation_error")["errors"]


def test_a_full_width_rating_is_read_as_a_number(api, finished, attended, make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    resp = api.put(f"/api/v1/activities/{activity.id}/feedback/mine", json={"rating": "５"})
    assert resp.status_code == 200 and resp.get_json()["feedback"]["rating"] == 5


def test_a_nul_in_the_comment_is_refused_at_the_boundary(api, finished, attended,
                                                         make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    resp = api.put(f"/api/v1/activities/{activity.id}/feedback/mine",
                   data=json.dumps({"rating": 5, "comment": "好\u0000"}),
                   content_type="application/json")
    _envelope(resp, 400, "invalid_characters")
    assert _count(activity) == 0


def test_refusals_carry_their_codes(api, finished, make_activity, give_place, make_user):
    user = make_user()
    api.login(user)
    coming = make_activity()
    _envelope(api.put(f"/api/v1/activities/{coming.id}/feedback/mine", json={"rating": 5}),
              409, "feedback_not_yet")
    only_signed_up = finished()
    give_place(only_signed_up, user)
    _envelope(api.put(f"/api/v1/activities/{only_signed_up.id}/feedback/mine",
                      json={"rating": 5}), 403, "feedback_not_attended")
    draft = make_activity(status="draft")
    _envelope(api.put(f"/api/v1/activities/{draft.id}/feedback/mine", json={"rating": 5}),
              404, "activity_not_found")
    _envelope(api.put("/api/v1/activities/999999/feedback/mine", json={"rating": 5}),
              404, "activity_not_found")


def test_login_required(api, finished):
    activity = finished()  # the api client carries a CSRF token but nobody is logged in
    _envelope(api.put(f"/api/v1/activities/{activity.id}/feedback/mine", json={"rating": 5}),
              401, "login_required")
    for path in (f"/api/v1/activities/{activity.id}/feedback/mine",
                 f"/api/v1/activities/{activity.id}/feedback", "/api/v1/me/feedback/awaiting"):
        _envelope(api.get(path), 401, "login_required")
    assert _count(activity) == 0


def test_staff_read_the_summary_without_names(api, app, finished, attended, make_user,
                                              organiser_of, now):
    from server.feedback import services
    activity = finished()
    for name, rating, comment in (("王秀兰", 5, "老师讲得很耐心"), ("李建国", 3, "")):
        user = make_user(name=name, phone=None)
        attended(activity, user)
        services.give(activity, user=user, rating=rating, comment=comment, now=now)
    api.login(organiser_of(activity))
    resp = api.get(f"/api/v1/activities/{activity.id}/feedback")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["count"] == 2 and body["average"] == "4.0"
    assert body["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert [c["comment"] for c in body["comments"]] == ["老师讲得很耐心"]
    raw = resp.get_data(as_text=True)
    assert "王秀兰" not in raw and "李建国" not in raw and "user" not in raw


def test_volunteers_cannot_read_the_summary(api, finished, attended, make_user):
    activity = finished()
    user = make_user()
    attended(activity, user)
    api.login(user)
    _envelope(api.get(f"/api/v1/activities/{activity.id}/feedback"), 403, "forbidden")


def test_programme_summary_for_staff(api, finished, attended, make_user, make_org, grant,
                                     now):
    from server.feedback import services
    org = make_org()
    programme = Programme(organisation_id=org.id, name="银龄相伴", created_at=now)
    db.session.add(programme)
    db.session.flush()
    for rating in (5, 4):
        activity = finished(org=org, programme_id=programme.id)
        user = make_user()
        attended(activity, user)
        services.give(activity, user=user, rating=rating, comment="", now=now)
    volunteer = make_user()
    api.login(volunteer)
    _envelope(api.get(f"/api/v1/programmes/{programme.id}/feedback"), 403, "forbidden")
    organiser = make_user(name="计划负责人")
    grant(organiser, "organiser", org.node, org)
    api.login(organiser)
    body = api.get(f"/api/v1/programmes/{programme.id}/feedback").get_json()
    assert (body["count"], body["activities"], body["average"]) == (2, 2, "4.5")
    _envelope(api.get("/api/v1/programmes/999999/feedback"), 404, "programme_not_found")


def test_awaiting_lists_what_waits_for_my_feedback(api, finished, attended, make_user):
    activity = finished(title="入户走访")
    user = make_user()
    attended(activity, user)
    api.login(user)
    assert [a["id"] for a in api.get("/api/v1/me/feedback/awaiting").get_json()] == [
        activity.id]
    api.put(f"/api/v1/activities/{activity.id}/feedback/mine", json={"rating": 5})
    assert api.get("/api/v1/me/feedback/awaiting").get_json() == []
