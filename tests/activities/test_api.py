"""/api/v1 activities and sign-ups: status codes, the envelope and what is shown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.activities import signups
from server.activities.models import Activity, Signup
from server.core.clock import local
from server.extensions import db
from server.notifications.models import Notification


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    return body


def _organiser(make_user, grant, org):
    user = make_user(name="社工小王")
    grant(user, "organiser", org.node, organisation=org)
    return user


# --- browsing --------------------------------------------------------------------------------

def test_public_list_shows_published_upcoming_only(client, make_activity):
    shown = make_activity(title="图书捐赠")
    make_activity(title="草稿", status="draft")
    make_activity(title="已结束", starts_in=timedelta(days=-3), status="finished")
    resp = client.get("/api/v1/activities")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [a["id"] for a in body["items"]] == [shown.id]
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    item = body["items"][0]
    assert item["starts_at"] == local(shown.starts_at).isoformat()
    assert item["starts_at"].endswith("+08:00")
    assert isinstance(item["kind_label"], str) and item["places_left"] == 10


def test_public_list_filters(client, make_activity, make_org, make_node):
    here = make_org(node=make_node(name="运河园社区"))
    a = make_activity(org=here, title="法律问题进社区", kind="lecture")
    make_activity(title="慈善公益节", kind="charity_festival")
    found = client.get(f"/api/v1/activities?node_id={here.node.parent_id}").get_json()
    assert [x["id"] for x in found["items"]] == [a.id]
    assert [x["id"] for x in client.get("/api/v1/activities?q=法律").get_json()["items"]] == [a.id]
    assert client.get("/api/v1/activities?kind=charity_festival").get_json()["total"] == 1
    body = _envelope(client.get("/api/v1/activities?kind=party&page=0"), 422, "validation_error")
    assert set(body["errors"]) == {"kind", "page"}


def test_draft_is_invisible_to_residents(api, client, make_user, make_activity):
    draft = make_activity(status="draft")
    _envelope(client.get(f"/api/v1/activities/{draft.id}"), 404, "activity_not_found")
    api.login(make_user())
    _envelope(api.get(f"/api/v1/activities/{draft.id}"), 404, "activity_not_found")
    _envelope(api.post(f"/api/v1/activities/{draft.id}/signups"), 404, "activity_not_found")
    _envelope(api.get("/api/v1/activities/999999"), 404, "activity_not_found")


def test_detail_shows_my_signup(api, client, make_user, make_activity, now):
    activity = make_activity(capacity=1)
    me = make_user()
    signups.sign_up(activity.id, user=make_user(), now=now)
    api.login(me)
    assert api.get(f"/api/v1/activities/{activity.id}").get_json()["my_signup"] is None
    mine = signups.sign_up(activity.id, user=me, now=now)
    body = api.get(f"/api/v1/activities/{activity.id}").get_json()
    assert body["my_signup"] == {"id": mine.id, "status": "waitlisted", "position": 1}
    assert client.get(f"/api/v1/activities/{activity.id}").get_json()["my_signup"] is None


# --- sign-up and withdrawal ------------------------------------------------------------------

def test_sign_up_confirmed_then_waitlisted(api, make_user, make_activity):
    activity = make_activity(capacity=1)
    first, second = make_user(), make_user()
    api.login(first)
    resp = api.post(f"/api/v1/activities/{activity.id}/signups")
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["status"], resp.get_json()["position"]) == ("confirmed", None)
    _envelope(api.post(f"/api/v1/activities/{activity.id}/signups"), 409, "already_signed_up")

    api.login(second)
    resp = api.post(f"/api/v1/activities/{activity.id}/signups")
    assert resp.status_code == 201
    assert (resp.get_json()["status"], resp.get_json()["position"]) == ("waitlisted", 1)
    db.session.refresh(activity)
    assert (activity.confirmed_count, activity.waitlist_count) == (1, 1)


def test_sign_up_rules_come_back_as_codes(api, make_user, make_activity):
    needs_doctor = make_activity(required_skills=["medical"])
    adults = make_activity(min_age=18, starts_in=timedelta(days=9))
    api.login(make_user(birth_date=None))
    _envelope(api.post(f"/api/v1/activities/{needs_doctor.id}/signups"), 409, "skills_missing")
    _envelope(api.post(f"/api/v1/activities/{adults.id}/signups"), 422, "birth_date_required")


def test_withdraw_promotes_the_next_in_line(api, make_user, make_activity, now):
    activity = make_activity(capacity=1)
    me, waiting = make_user(), make_user()
    mine = signups.sign_up(activity.id, user=me, now=now)
    theirs = signups.sign_up(activity.id, user=waiting, now=now)
    api.login(me)
    resp = api.post(f"/api/v1/signups/{mine.id}/withdraw")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "withdrawn"
    db.session.expire_all()
    assert db.session.get(Signup, theirs.id).status == "confirmed"
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == waiting.id)) == "promoted"
    _envelope(api.post(f"/api/v1/signups/{mine.id}/withdraw"), 404, "signup_not_found")


def test_withdraw_someone_elses_or_missing_signup(api, make_user, make_activity, now):
    activity = make_activity()
    theirs = signups.sign_up(activity.id, user=make_user(), now=now)
    api.login(make_user())
    _envelope(api.post(f"/api/v1/signups/{theirs.id}/withdraw"), 404, "signup_not_found")
    _envelope(api.post("/api/v1/signups/999999/withdraw"), 404, "signup_not_found")
    db.session.refresh(theirs)
    assert theirs.status == "confirmed"


def test_withdraw_after_the_cutoff(api, make_user, make_activity, now):
    soon = make_activity(starts_in=timedelta(hours=1), withdraw_cutoff_hours=2)
    me = make_user()
    mine = signups.sign_up(soon.id, user=me, now=now)
    api.login(me)
    _envelope(api.post(f"/api/v1/signups/{mine.id}/withdraw"), 409, "withdraw_closed")


# --- roster ----------------------------------------------------------------------------------

def test_roster_masks_phones(api, make_user, make_activity, grant, now):
    activity = make_activity()
    volunteer = make_user(name="赵大妈", phone="13812341234")
    signups.sign_up(activity.id, user=volunteer, now=now)
    api.login(_organiser(make_user, grant, activity.organisation))
    resp = api.get(f"/api/v1/activities/{activity.id}/roster")
    assert resp.status_code == 200
    assert [(e["name"], e["phone"], e["status"]) for e in resp.get_json()] == [
        ("赵大妈", "138****1234", "confirmed")]
    assert "13812341234" not in resp.get_data(as_text=True)


def test_coordinator_sees_rosters_below_but_not_beside(api, make_user, make_node, make_org,
                                                       make_activity, grant):
    street = make_node(name="通运街道", kind="street")
    sibling = make_node(name="北苑街道", kind="street", parent=street.parent)
    mine = make_activity(org=make_org(node=make_node(name="运河园社区", parent=street)))
    other = make_activity(org=make_org(node=make_node(name="北苑社区", parent=sibling)))
    coordinator = make_user()
    grant(coordinator, "coordinator", street)
    api.login(coordinator)
    assert api.get(f"/api/v1/activities/{mine.id}/roster").status_code == 200
    _envelope(api.get(f"/api/v1/activities/{other.id}/roster"), 403, "forbidden")


def test_roster_refused_to_residents(api, make_user, make_activity):
    activity = make_activity()
    api.login(make_user())
    _envelope(api.get(f"/api/v1/activities/{activity.id}/roster"), 403, "forbidden")


def test_organiser_removes_someone_with_a_reason(api, make_user, make_activity, grant, now):
    activity = make_activity(capacity=1)
    out = signups.sign_up(activity.id, user=make_user(), now=now)
    waiting = signups.sign_up(activity.id, user=make_user(), now=now)
    api.login(_organiser(make_user, grant, activity.organisation))
    _envelope(api.post(f"/api/v1/signups/{out.id}/remove", json={}), 422, "validation_error")
    resp = api.post(f"/api/v1/signups/{out.id}/remove", json={"reason": "重复报名"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    db.session.expire_all()
    assert db.session.get(Signup, waiting.id).status == "confirmed"
    assert db.session.get(Signup, out.id).end_reason == "重复报名"


def test_removing_someone_again_says_they_are_already_off_the_list(api, make_user,
                                                                   make_activity, grant, now):
    """A second tap (or a removal after they withdrew) is told to the organiser as such,
    not as the volunteer's "you are not signed up"; the person is told once."""
    from server.notifications.models import Notification
    activity = make_activity(capacity=2)
    out = signups.sign_up(activity.id, user=make_user(name="宋佳"), now=now)
    gone = signups.sign_up(activity.id, user=(quitter := make_user(name="罗敏")), now=now)
    signups.withdraw(gone, actor=quitter, now=now)
    api.login(_organiser(make_user, grant, activity.organisation))
    assert api.post(f"/api/v1/signups/{out.id}/remove",
                    json={"reason": "重复报名"}).status_code == 200
    again = _envelope(api.post(f"/api/v1/signups/{out.id}/remove", json={"reason": "重复报名"}),
                      409, "signup_already_removed")
    assert "宋佳" in again["message"]
    _envelope(api.post(f"/api/v1/signups/{gone.id}/remove", json={"reason": "测试"}), 409,
              "signup_already_removed")
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
        Notification.user_id == out.user_id, Notification.kind == "signup_removed")) == 1


def test_nobody_who_came_or_of_a_finished_activity_is_removed(api, make_user, make_activity,
                                                               grant, scan, now):
    """Once someone has checked in, or the activity is finished, their sign-up stays: the
    review judges their hours (a removal told them "cancelled" beside hours pending)."""
    from server.checkin import codes
    activity = make_activity(capacity=3, starts_in=timedelta(minutes=-30), hours=2)
    organiser = _organiser(make_user, grant, activity.organisation)
    came, absent = make_user(name="赵丽"), make_user(name="钱敏")
    here = signups.sign_up(activity.id, user=came, now=now - timedelta(days=1))
    away = signups.sign_up(activity.id, user=absent, now=now - timedelta(days=1))
    scan(activity, organiser, code=codes.personal_payload(codes.active_code(came, now=now)))
    api.login(organiser)
    _envelope(api.post(f"/api/v1/signups/{here.id}/remove", json={"reason": "测试"}), 409,
              "signup_attended")
    # nor does she give the place up herself once inside (the cutoff aside)
    api.login(came)
    _envelope(api.post(f"/api/v1/signups/{here.id}/withdraw", json={}), 409,
              "withdraw_checked_in")
    assert not signups.can_withdraw(here, now=now)
    api.login(organiser)
    activity.status, activity.finished_at = "finished", now
    db.session.commit()
    _envelope(api.post(f"/api/v1/signups/{away.id}/remove", json={"reason": "测试"}), 409,
              "activity_finished")
    db.session.expire_all()
    assert {s.status for s in db.session.scalars(db.select(Signup).where(
        Signup.activity_id == activity.id))} == {"confirmed"}


# --- the organiser's lifecycle ---------------------------------------------------------------

def _new_activity(org, now, **changes):
    start = local(now + timedelta(days=7)).replace(hour=9, minute=0, second=0, tzinfo=None)
    body = {"organisation_id": org.id, "title": "全职妈妈成长计划：亲子阅读",
            "kind": "programme_session", "place": "运河园社区活动室",
            "starts_at": start.isoformat(timespec="minutes"),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 20,
            "forces": ["community", "volunteers"], "required_skills": ["childcare"]}
    body.update(changes)
    return body


def test_control_characters_are_refused_naming_the_fields(api, make_user, make_org, grant,
                                                         now):
    org = make_org()
    api.login(_organiser(make_user, grant, org))
    body = _envelope(api.post("/api/v1/activities", json=_new_activity(
        org, now, title="亲子\x00阅读", description="第一行\x0b第二行")),
        400, "invalid_characters")
    assert set(body["errors"]) == {"title", "description"}
    assert all(texts and texts[0] for texts in body["errors"].values())
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 0


def test_create_publish_update_cancel(api, make_user, make_org, grant, now):
    org = make_org()
    organiser = _organiser(make_user, grant, org)
    api.login(organiser)
    resp = api.post("/api/v1/activities", json=_new_activity(org, now))
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert (created["status"], created["node_id"], created["forces"]) == (
        "draft", org.node_id, ["community", "volunteers"])
    assert created["starts_at"].endswith("T09:00:00+08:00")  # Beijing time in, Beijing time out
    url = f"/api/v1/activities/{created['id']}"

    resp = api.post(f"{url}/publish")
    assert resp.status_code == 200 and resp.get_json()["status"] == "published"
    twice = _envelope(api.post(f"{url}/publish", headers={"Accept-Language": "en"}), 409,
                      "activity_bad_transition")
    assert twice["message"] == "This activity is already “Open”."  # not "Open → Open"

    resp = api.patch(url, json={"capacity": 30, "place": "社区文化广场"})
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["capacity"], resp.get_json()["place"]) == (30, "社区文化广场")

    _envelope(api.post(f"{url}/cancel", json={"reason": ""}), 422, "validation_error")
    resp = api.post(f"{url}/cancel", json={"reason": "暴雨预警"})
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["cancel_reason"]) == (
        "cancelled", "暴雨预警")
    db.session.expire_all()
    assert db.session.get(Activity, created["id"]).status == "cancelled"
    _envelope(api.patch(url, json={"capacity": 5}), 409, "activity_bad_transition")


def test_create_validation(api, make_user, make_org, grant, now):
    org = make_org()
    api.login(_organiser(make_user, grant, org))
    body = _envelope(api.post("/api/v1/activities", json=_new_activity(
        org, now, capacity=0, kind="party", colour="red")), 422, "validation_error")
    assert set(body["errors"]) == {"capacity", "kind", "colour"}
    start = _new_activity(org, now)["starts_at"]
    _envelope(api.post("/api/v1/activities", json=_new_activity(org, now, ends_at=start)),
              422, "bad_schedule")
    _envelope(api.post("/api/v1/activities", json=_new_activity(org, now, programme_id=999999)),
              422, "validation_error")
    _envelope(api.post("/api/v1/activities", json=_new_activity(org, now, organisation_id=999999)),
              404, "organisation_not_found")
    assert db.session.scalar(select(Activity.id).where(Activity.organisation_id == org.id)) is None


def test_capacity_cannot_drop_below_confirmed(api, make_user, make_activity, grant, now):
    activity = make_activity(capacity=2)
    signups.sign_up(activity.id, user=make_user(), now=now)
    signups.sign_up(activity.id, user=make_user(), now=now)
    api.login(_organiser(make_user, grant, activity.organisation))
    _envelope(api.patch(f"/api/v1/activities/{activity.id}", json={"capacity": 1}),
              409, "capacity_below_confirmed")
    _envelope(api.patch(f"/api/v1/activities/{activity.id}", json={"organisation_id": 1}),
              422, "validation_error")


def test_finish_a_started_activity(api, make_user, make_activity, grant):
    started = make_activity(starts_in=timedelta(hours=-1))
    later = make_activity(org=started.organisation)
    api.login(_organiser(make_user, grant, started.organisation))
    resp = api.post(f"/api/v1/activities/{started.id}/finish")
    assert resp.status_code == 200 and resp.get_json()["status"] == "finished"
    _envelope(api.post(f"/api/v1/activities/{later.id}/finish"), 409, "not_started")


def test_manage_lists_the_organisers_activities_any_status(api, make_user, make_org,
                                                           make_activity, grant):
    org = make_org()
    draft = make_activity(org=org, status="draft")
    published = make_activity(org=org, starts_in=timedelta(days=5))
    make_activity()  # another organisation's
    api.login(_organiser(make_user, grant, org))
    resp = api.get("/api/v1/activities/manage")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [a["id"] for a in body["items"]] == [published.id, draft.id]
    assert (body["total"], body["page"], body["pages"]) == (2, 1, 1)
    assert api.get("/api/v1/activities/manage?page=2").get_json()["items"] == []


def test_a_schedule_refusal_says_what_is_wrong_and_forces_count_once(api, make_user, make_org,
                                                                    grant, now):
    org = make_org()
    api.login(_organiser(make_user, grant, org))
    start = _new_activity(org, now)["starts_at"]
    too_long = _envelope(api.post("/api/v1/activities", json=_new_activity(
        org, now, ends_at=start.replace(start[:4], str(int(start[:4]) + 1), 1))),
        422, "bad_schedule")
    assert too_long["errors"] == {"ends_at": ["一场活动最长 14 天。"]}
    opens_late = _envelope(api.post("/api/v1/activities", json=_new_activity(
        org, now, signup_opens_at=start)), 422, "bad_schedule")
    assert opens_late["errors"] == {
        "signup_opens_at": ["报名开始时间须早于截止时间，且截止时间不晚于活动结束。"]}
    made = api.post("/api/v1/activities", json=_new_activity(
        org, now, forces=["community", "community", "volunteers"],
        required_skills=["childcare", "childcare"]))
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["forces"], made.get_json()["required_skills"]) == (
        ["community", "volunteers"], ["childcare"])


def test_an_activity_with_people_checked_in_keeps_its_time_and_place(api, make_user,
                                                                     make_activity, grant,
                                                                     give_place, now):
    activity = make_activity(starts_in=timedelta(minutes=30), hours=3)
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    api.login(organiser)
    url = f"/api/v1/activities/{activity.id}"
    # before anyone is in, the room can still change (a last-minute move is told to all)
    assert api.patch(url, json={"place": "二楼大会议室"}).status_code == 200
    member = make_user()
    give_place(activity, member)
    db.session.commit()
    from server.checkin import codes
    payload = codes.personal_payload(codes.active_code(member, now=now))
    scan = api.post(f"{url}/scans", json={"code": payload, "nonce": "moved-0000001"})
    assert scan.get_json()["result"] == "ok"
    later = local(now + timedelta(days=7)).replace(microsecond=0, tzinfo=None)
    for change in ({"starts_at": later.isoformat(),
                    "ends_at": (later + timedelta(hours=2)).isoformat()},
                   {"ends_at": (later + timedelta(hours=2)).isoformat()},
                   {"place": "另一个活动室"}):
        body = _envelope(api.patch(url, json=change), 422, "bad_schedule")
        assert body["errors"] == {"starts_at": ["已有人签到，活动时间和地点不能再改。"]}
    assert api.patch(url, json={"title": "改个标题"}).status_code == 200
