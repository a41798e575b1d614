"""/api/v1/me/notifications and /api/v1/me/notification-preferences."""

from __future__ import annotations

from server.activities import signups
from server.notifications.services import notify


def _promoted(make_activity, make_user, now, **kw):
    """A full activity; the first person gives up their place; the second is promoted."""
    activity = make_activity(capacity=1, title="入户走访老人", **kw)
    first, second = make_user(name="甲"), make_user(name="乙")
    taken = signups.sign_up(activity.id, user=first, now=now)
    signups.sign_up(activity.id, user=second, now=now)
    signups.withdraw(taken, actor=first, now=now)
    return activity, second


def test_the_list_pages_counts_unread_and_marks_nothing_read(api, make_user, now):
    me, other = make_user(), make_user()
    ids = [notify(me.id, "work_digest", now=now, hours=i + 1).id for i in range(23)]
    notify(other.id, "work_digest", now=now, hours=9)
    api.login(me)
    body = api.get("/api/v1/me/notifications").get_json()
    assert [n["id"] for n in body["items"]] == ids[::-1][:20]
    assert body["unread"] == 23 and body["next_before_id"] == ids[3]
    assert body["newest_id"] == ids[-1]  # what "mark all read" takes as up_to_id
    assert all(not n["read"] for n in body["items"])
    more = api.get(f"/api/v1/me/notifications?before_id={body['next_before_id']}").get_json()
    assert [n["id"] for n in more["items"]] == ids[2::-1] and more["next_before_id"] is None
    # reading the list marked nothing read
    assert api.get("/api/v1/me/notifications/unread").get_json() == {"unread": 23}
    first = body["items"][0]
    assert first["kind"] == "work_digest" and "今日待办" in first["text"]
    assert first["link"] == "/review/hours"


def test_read_one_then_all_up_to_what_was_seen(api, make_user, now):
    me = make_user()
    old = [notify(me.id, "work_digest", now=now, hours=1).id for _ in range(3)]
    api.login(me)
    resp = api.post(f"/api/v1/me/notifications/{old[0]}/read")
    assert resp.status_code == 200 and resp.get_json()["read"] is True
    newer = notify(me.id, "work_digest", now=now, hours=2).id
    resp = api.post("/api/v1/me/notifications/read", json={"up_to_id": old[-1]})
    assert resp.get_json() == {"marked": 2}
    unread = api.get("/api/v1/me/notifications?unread=true").get_json()["items"]
    assert [n["id"] for n in unread] == [newer]
    assert api.post("/api/v1/me/notifications/read").get_json() == {"marked": 1}


def test_another_person_s_message_does_not_exist(api, make_user, now):
    other = notify(make_user().id, "work_digest", now=now, hours=1)
    api.login(make_user())
    resp = api.post(f"/api/v1/me/notifications/{other.id}/read")
    assert resp.status_code == 404 and resp.get_json()["code"] == "notification_not_found"


def test_a_promotion_offers_i_cannot_come_while_the_place_can_be_given_back(
        api, make_activity, make_user, now):
    activity, promoted = _promoted(make_activity, make_user, now)
    api.login(promoted)
    [note] = api.get("/api/v1/me/notifications").get_json()["items"]
    assert note["kind"] == "promoted" and "入户走访老人" in note["text"]
    [action] = note["actions"]
    assert action["label"] == "我去不了" and action["url"].endswith("/withdraw")
    assert action["confirm"]
    signup = signups.live_signup(activity.id, promoted.id)
    assert action["url"] == f"/signups/{signup.id}/withdraw"
    assert api.post(f"/api/v1/signups/{signup.id}/withdraw").status_code == 200
    [note] = api.get("/api/v1/me/notifications").get_json()["items"]
    assert note["actions"] == []  # nothing left to give back


def test_choosing_channels(api, make_user):
    me = make_user()
    api.login(me)
    body = api.get("/api/v1/me/notification-preferences").get_json()
    assert [c["channel"] for c in body["channels"]] == ["site", "sms", "wechat", "email"]
    assert {c["channel"]: c["available"] for c in body["channels"]}["email"] is False
    topics = {t["topic"]: t["channels"] for t in body["topics"]}
    assert topics["changes"] == ["site", "sms", "wechat"]
    resp = api.put("/api/v1/me/notification-preferences",
                   json={"topics": {"changes": ["site"], "reminders": ["wechat"]}})
    assert resp.status_code == 200
    topics = {t["topic"]: t["channels"] for t in resp.get_json()["topics"]}
    assert topics["changes"] == ["site"] and topics["reminders"] == ["wechat"]
    assert topics["hours"] == ["site"]  # untouched
    bad = api.put("/api/v1/me/notification-preferences",
                  json={"topics": {"changes": ["pigeon"]}})
    assert bad.status_code == 422 and bad.get_json()["code"] == "unknown_notification_choice"
    bad = api.put("/api/v1/me/notification-preferences", json={"topics": {"gossip": []}})
    assert bad.status_code == 422


def test_everything_here_needs_a_login(client):
    for method, path in (("get", "/api/v1/me/notifications"),
                         ("get", "/api/v1/me/notifications/unread"),
                         ("get", "/api/v1/me/notification-preferences")):
        resp = getattr(client, method)(path)
        assert resp.status_code == 401 and resp.get_json()["code"] == "login_required"


def test_old_messages_without_times_still_read(api, make_user, now):
    """Messages written before this change carry only a title."""
    me = make_user()
    notify(me.id, "promoted", now=now, title="旧的消息")
    notify(me.id, "activity_changed", now=now, title="旧的变更")
    api.login(me)
    texts = [n["text"] for n in api.get("/api/v1/me/notifications").get_json()["items"]]
    assert any("旧的消息" in t for t in texts) and any("旧的变更" in t for t in texts)
