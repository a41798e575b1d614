"""Activity pages, as a person sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.activities import signups
from server.activities.models import Activity, Signup
from server.extensions import db
from tests.pages import EN, login, text


def test_list_shows_published_and_hides_drafts(client, make_activity):
    make_activity(title="图书捐赠进乡村")
    make_activity(title="草稿里的活动", status="draft")
    page = text(client.get("/"))
    assert "图书捐赠进乡村" in page
    assert "草稿里的活动" not in page


def test_list_shows_places_left_and_beijing_time(client, make_activity, now):
    # 01:00 UTC is 09:00 in Beijing
    start = datetime(now.year + 1, 11, 30, 1, 0, tzinfo=UTC)
    make_activity(title="慈善公益节", starts_in=start - now, hours=2, capacity=8)
    page = text(client.get("/", headers=EN))
    assert "09:00–11:00" in page
    assert "8 places left" in page
    chinese = text(client.get("/"))
    assert "11月30日" in chinese and "09:00–11:00" in chinese


def test_filters_narrow_the_list_and_bad_values_are_ignored(client, make_activity):
    make_activity(title="法律讲堂", kind="lecture")
    make_activity(title="入户走访", kind="home_visit")
    page = text(client.get("/?kind=home_visit"))
    assert "入户走访" in page and "法律讲堂" not in page
    resp = client.get("/?kind=nonsense&node_id=abc&date=tomorrow")
    assert resp.status_code == 200
    assert "法律讲堂" in text(resp)


def test_detail_shows_places_left_and_login_link_for_visitors(client, make_activity):
    activity = make_activity(capacity=5, min_age=16, insurance_required=True,
                             forces=["volunteers", "charity"])
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "5 places left" in page
    assert "16 and over" in page
    assert "Charitable resources" in page
    assert f"/login?next=/activities/{activity.id}" in page


def test_draft_detail_is_not_found_for_residents(client, make_activity):
    activity = make_activity(status="draft")
    assert client.get(f"/activities/{activity.id}").status_code == 404


def test_sign_up_with_htmx_then_organiser_sees_masked_phone(client, app, make_activity,
                                                           make_user, make_org, grant):
    org = make_org()
    activity = make_activity(org=org)
    resident = make_user(name="王秀兰", phone="13812341234")
    token = login(client, resident)
    resp = client.post(f"/activities/{activity.id}/signup", data={"csrf_token": token},
                       headers={**EN, "HX-Request": "true"})
    assert resp.status_code == 200
    assert "You have a place" in text(resp)
    assert "<html" not in text(resp)  # a fragment for htmx to swap

    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", org.node, org)
    staff = app.test_client()
    login(staff, organiser)
    roster = text(staff.get(f"/manage/{activity.id}/roster"))
    assert "王秀兰" in roster
    assert "138****1234" in roster
    assert "13812341234" not in roster


def test_sign_up_without_htmx_leads_to_the_next_steps(client, make_activity, make_user):
    activity = make_activity()
    token = login(client, make_user())
    resp = client.post(f"/activities/{activity.id}/signup", data={"csrf_token": token},
                       headers=EN)
    assert resp.status_code == 303
    assert "/next" in resp.headers["Location"]
    page = text(client.get(resp.headers["Location"], headers=EN))
    assert "You have a place" in page
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Withdraw" in page


def test_full_activity_puts_people_on_the_waitlist(client, make_activity, make_user, now):
    activity = make_activity(capacity=1)
    signups.sign_up(activity.id, user=make_user(name="先到者"), now=now)
    token = login(client, make_user(name="后到者"))
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Join the waitlist" in page
    resp = client.post(f"/activities/{activity.id}/signup", data={"csrf_token": token},
                       headers={**EN, "HX-Request": "true"})
    assert "You are number 1 on the waitlist" in text(resp)
    again = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "You are number 1 on the waitlist" in again
    mine = text(client.get("/me/activities?tab=waitlisted", headers=EN))
    assert activity.title in mine and "Number 1 on the waitlist" in mine


def test_withdraw_gives_the_place_back(client, make_activity, make_user, now):
    activity = make_activity(capacity=3)
    user = make_user()
    signup = signups.sign_up(activity.id, user=user, now=now)
    token = login(client, user)
    resp = client.post(f"/signups/{signup.id}/withdraw", data={"csrf_token": token},
                       headers={**EN, "HX-Request": "true"})
    assert resp.status_code == 200
    body = text(resp)
    assert "You have withdrawn" in body and "3 places left" in body
    db.session.expire_all()
    assert db.session.get(Signup, signup.id).status == "withdrawn"


def test_withdraw_after_the_cutoff_is_refused_on_the_page(client, make_activity, make_user,
                                                          now):
    activity = make_activity(starts_in=timedelta(hours=1), withdraw_cutoff_hours=2)
    user = make_user()
    signup = signups.sign_up(activity.id, user=user, now=now)
    token = login(client, user)
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "too late to withdraw online" in page
    resp = client.post(f"/signups/{signup.id}/withdraw", data={"csrf_token": token},
                       headers={**EN, "HX-Request": "true"})
    assert resp.status_code == 409
    assert "too late to withdraw online" in text(resp)


def test_ineligible_people_see_why(client, make_activity, make_user):
    activity = make_activity(required_skills=["medical"])
    login(client, make_user(skills=["legal"]))
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "needs skills you have not listed: Medical" in page
    assert "/me/edit" in page


def test_a_list_joins_in_the_readers_language(client, make_activity, make_user):
    """Legal, Medical in English; 法律、医务 in Chinese (list_sep, labels.join)."""
    activity = make_activity(required_skills=["legal", "medical"])
    login(client, make_user())
    english = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert "Legal, Medical" in english and "、" not in english
    chinese = text(client.get(f"/activities/{activity.id}", headers={"Accept-Language": "zh-CN"}))
    assert "法律、医务" in chinese


def test_resident_cannot_see_the_roster(client, make_activity, make_user):
    activity = make_activity()
    login(client, make_user())
    assert client.get(f"/manage/{activity.id}/roster").status_code == 403
    assert client.get("/manage").status_code == 403


def test_my_activities_has_three_tabs(client, make_user):
    login(client, make_user())
    page = text(client.get("/me/activities", headers=EN))
    for tab in ("Upcoming", "Waitlisted", "Past"):
        assert tab in page
    assert "weui-navbar" in page


def _organiser(app, make_user, make_org, grant):
    org = make_org(name="运河园社区BQteam")
    user = make_user(name="社工小李")
    grant(user, "organiser", org.node, org)
    staff = app.test_client()
    token = login(staff, user)
    return staff, token, org


def _form(org, token, **changes):
    data = {"csrf_token": token, "organisation_id": str(org.id), "node_id": "",
            "kind": "lecture", "title": "法律问题进社区", "description": "",
            "place": "运河园社区活动室", "starts_at": "2031-03-01T09:00",
            "ends_at": "2031-03-01T11:00", "signup_opens_at": "", "signup_closes_at": "",
            "withdraw_cutoff_hours": "2", "capacity": "30", "min_age": "",
            "required_skills": ["legal"], "forces": ["community", "social_workers"],
            "insurance_required": "1", "contact_name": "李老师"}
    data.update(changes)
    return data


def test_control_characters_bring_the_form_back_with_what_was_typed(
        app, make_user, make_org, grant):
    """Text pasted from Word or Excel can carry control characters: the form comes back
    with everything typed (those characters out) and a message beside each such field."""
    staff, token, org = _organiser(app, make_user, make_org, grant)
    resp = staff.post("/manage/new", data=_form(org, token, title="法律问题\x00进社区",
                                                description="第一行\x0b第二行"), headers=EN)
    page = text(resp)
    assert resp.status_code == 422
    assert "cannot be stored (control characters" in page and "nothing was saved" in page
    assert page.count("Characters that cannot be stored were removed from this") == 2
    assert 'value="法律问题进社区"' in page and "第一行第二行" in page
    assert 'value="运河园社区活动室"' in page and 'value="李老师"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 0
    # sent again as shown, it is saved
    again = staff.post("/manage/new", data=_form(org, token, title="法律问题进社区",
                                                 description="第一行第二行"))
    assert again.status_code == 302


def test_organiser_creates_publishes_and_cancels(app, make_user, make_org, grant):
    staff, token, org = _organiser(app, make_user, make_org, grant)
    page = text(staff.get("/manage/new", headers=EN))
    assert "运河园社区BQteam" in page and 'type="datetime-local"' in page
    resp = staff.post("/manage/new", data=_form(org, token), headers=EN)
    assert resp.status_code == 302
    detail_url = resp.headers["Location"]
    page = text(staff.get(detail_url, headers=EN))
    assert "Draft" in page and "Publish" in page
    assert "09:00–11:00" in page  # typed in Beijing time, shown in Beijing time
    activity_id = int(detail_url.rstrip("/").split("/")[-1])

    assert staff.post(f"/manage/{activity_id}/publish",
                      data={"csrf_token": token}).status_code == 302
    assert "法律问题进社区" in text(staff.get("/"))

    refused = staff.post(f"/manage/{activity_id}/cancel", data={"csrf_token": token,
                                                                "reason": ""}, headers=EN)
    assert refused.status_code == 422
    assert "Give a reason" in text(refused)
    resp = staff.post(f"/manage/{activity_id}/cancel",
                      data={"csrf_token": token, "reason": "天气原因"}, headers=EN)
    assert resp.status_code == 302
    page = text(staff.get(detail_url, headers=EN))
    assert "Cancelled" in page and "天气原因" in page
    assert "法律问题进社区" in text(staff.get("/manage"))


def test_activity_form_shows_errors_next_to_the_fields(app, make_user, make_org, grant):
    staff, token, org = _organiser(app, make_user, make_org, grant)
    resp = staff.post("/manage/new", data=_form(org, token, ends_at="2031-03-01T08:00"),
                      headers=EN)
    assert resp.status_code == 422
    assert "The end must come after the start" in text(resp)
    resp = staff.post("/manage/new", data=_form(org, token, title="", capacity="many"),
                      headers=EN)
    assert resp.status_code == 422
    assert "Some fields need your attention" in text(resp)


def test_organiser_edits_an_activity(app, make_user, make_org, grant, make_activity):
    staff, token, org = _organiser(app, make_user, make_org, grant)
    activity = make_activity(org=org)
    page = text(staff.get(f"/manage/{activity.id}/edit", headers=EN))
    assert activity.title in page
    data = _form(org, token, title="新的标题", capacity="12")
    data.pop("organisation_id")
    resp = staff.post(f"/manage/{activity.id}/edit", data=data, headers=EN)
    assert resp.status_code == 302
    assert "新的标题" in text(staff.get(f"/activities/{activity.id}"))


def test_a_worker_signs_up_a_resident_who_is_not_on_a_phone(client, make_activity, make_user,
                                                             make_node, grant):
    """A resident of a place the worker serves, by their number; the resident is told, and
    can give the place back. A number from elsewhere is answered as an unknown one: a
    worker cannot learn anyone's name by their number."""
    from server.activities.models import Signup
    from server.notifications.models import Notification
    activity = make_activity(capacity=5)
    worker = make_user(name="社区工作者")
    grant(worker, "coordinator", activity.node)
    elder = make_user(name="王奶奶", phone="13911112222", birth_date=None,
                      home_node=activity.node)
    make_user(name="曹颖", phone="13911113333", home_node=make_node("外区社区"))
    token = login(client, worker)
    resp = client.post(f"/manage/{activity.id}/roster",
                       data={"csrf_token": token, "phone": "13911112222"}, headers=EN)
    assert resp.status_code == 302
    page = text(client.get(f"/manage/{activity.id}/roster", headers=EN))
    assert "王奶奶" in page and "signed up by 社区工作者" in page and "13911112222" not in page
    signup = db.session.query(Signup).filter_by(user_id=elder.id).one()
    assert (signup.status, signup.acted_by_id) == ("confirmed", worker.id)
    told = db.session.query(Notification).filter_by(user_id=elder.id).one()
    assert (told.kind, told.params["worker"]) == ("signed_up_by_worker", "社区工作者")
    for number in ("13700000000", "13911113333"):  # nobody; someone of another place
        refused = client.post(f"/manage/{activity.id}/roster",
                              data={"csrf_token": token, "phone": number}, headers=EN)
        assert refused.status_code == 404
        assert "No resident of the places you serve" in text(refused)
        assert "曹颖" not in text(refused)
    assert db.session.query(Signup).filter_by(activity_id=activity.id).count() == 1


def test_an_organiser_removes_someone_from_the_roster_page_with_a_reason(
        app, client, make_activity, make_user, make_org, grant, now):
    """The API's remove, on the page: a link beside each person, a form asking the reason
    they are told; only for those who manage the activity (an overseer sees no link)."""
    from server.activities import signups
    from server.activities.models import Signup
    from server.notifications.models import Notification
    staff, token, org = _organiser(app, make_user, make_org, grant)
    activity = make_activity(org=org, capacity=1)
    out = signups.sign_up(activity.id, user=make_user(name="宋佳"), now=now)
    waiting = signups.sign_up(activity.id, user=make_user(name="罗敏"), now=now)
    db.session.commit()
    roster = text(staff.get(f"/manage/{activity.id}/roster", headers=EN))
    url = f"/manage/{activity.id}/roster/{out.id}/remove"
    assert f'href="{url}"' in roster and 'aria-label="Remove 宋佳"' in roster
    form = text(staff.get(url, headers=EN))
    assert "宋佳" in form and "They get a message with this reason." in form
    refused = staff.post(url, data={"csrf_token": token, "reason": ""}, headers=EN)
    assert refused.status_code == 422 and "宋佳" in text(refused)
    done = staff.post(url, data={"csrf_token": token, "reason": "重复报名"}, headers=EN)
    assert done.status_code == 302 and done.headers["Location"].endswith("/roster")
    db.session.expire_all()
    assert db.session.get(Signup, out.id).end_reason == "重复报名"
    assert db.session.get(Signup, waiting.id).status == "confirmed"
    told = db.session.scalar(db.select(Notification).where(
        Notification.user_id == out.user_id, Notification.kind == "signup_removed"))
    assert told.params["reason"] == "重复报名"
    # someone inside: no link, and the form's address says why instead of offering it
    from server.activities.models import Signup as S
    db.session.get(S, waiting.id).presence = "in"
    db.session.commit()
    assert f"/roster/{waiting.id}/remove" not in text(staff.get(f"/manage/{activity.id}/roster"))
    inside = staff.get(f"/manage/{activity.id}/roster/{waiting.id}/remove", headers=EN)
    assert inside.status_code == 409 and 'name="reason"' not in text(inside)
    assert "has checked in" in text(inside)
    # a coordinator oversees the activity but does not run it: no link, no form
    overseer = make_user(name="协调员")
    grant(overseer, "coordinator", activity.node)
    db.session.commit()
    other = app.test_client()
    login(other, overseer)
    assert "/remove" not in text(other.get(f"/manage/{activity.id}/roster", headers=EN))
    assert other.get(f"/manage/{activity.id}/roster/{waiting.id}/remove").status_code == 403


def test_a_second_tap_on_remove_goes_back_to_the_roster_saying_so(
        app, make_activity, make_user, make_org, grant, now):
    staff, token, org = _organiser(app, make_user, make_org, grant)
    activity = make_activity(org=org, capacity=2)
    out = signups.sign_up(activity.id, user=make_user(name="宋佳"), now=now)
    db.session.commit()
    url = f"/manage/{activity.id}/roster/{out.id}/remove"
    first = staff.post(url, data={"csrf_token": token, "reason": "重复报名"})
    assert first.status_code == 302
    staff.get(first.headers["Location"])  # its toast shown
    second = staff.post(url, data={"csrf_token": token, "reason": "重复报名"})
    assert second.status_code == 302 and second.headers["Location"].endswith("/roster")
    roster = staff.get(second.headers["Location"])
    assert roster.status_code == 200
    assert "宋佳已不在名单上。" in text(roster) and "您未报名该活动" not in text(roster)
    # a stale link to the form says the same
    assert staff.get(url).headers["Location"].endswith("/roster")


def test_residents_cannot_sign_up_others(client, make_activity, make_user):
    activity = make_activity()
    make_user(name="王奶奶", phone="13911113333")
    token = login(client, make_user(name="普通居民"))
    resp = client.post(f"/manage/{activity.id}/roster",
                       data={"csrf_token": token, "phone": "13911113333"})
    assert resp.status_code == 403


def test_an_activity_past_its_start_says_under_way_or_ended_not_open(
        app, client, make_activity, make_user, make_org, grant):
    """Published but past its start (not yet marked finished): "报名中" and the places
    left were shown on an activity that ended half an hour ago."""
    staff, _token, org = _organiser(app, make_user, make_org, grant)
    ended = make_activity(org=org, title="垃圾分类桶站值守", starts_in=-timedelta(hours=2),
                          hours=1.5, capacity=4)
    running = make_activity(org=org, title="社区图书漂流", starts_in=-timedelta(hours=1),
                            hours=3)
    ahead = make_activity(org=org, title="法律讲堂", starts_in=timedelta(days=2), capacity=8)
    page = text(client.get(f"/activities/{ended.id}"))
    assert 'status-pill--ended">已结束<' in page and "报名中" not in page
    assert "剩余" not in page  # no places offered for what is over
    assert 'status-pill--under_way">进行中<' in text(client.get(f"/activities/{running.id}"))
    assert 'status-pill--published">报名中<' in text(client.get(f"/activities/{ahead.id}"))
    manage = text(staff.get("/manage"))
    assert manage.count("status-pill--ended") == 1 and "status-pill--under_way" in manage
    # the API says the same
    shown = {a["id"]: (a["status"], a["phase"], a["phase_label"]) for a in (
        client.get(f"/api/v1/activities/{x.id}").get_json() for x in (ended, running, ahead))}
    assert shown == {ended.id: ("published", "ended", "已结束"),
                     running.id: ("published", "under_way", "进行中"),
                     ahead.id: ("published", "published", "报名中")}


@pytest.mark.postgresql
def test_showing_an_activity_locks_nothing(client, make_activity, make_user):
    """Whether one could sign up is shown with the sign-up rules (check_eligible); the lock
    that a sign-up takes on the person's row is taken only where a place is given."""
    from sqlalchemy import event
    activity = make_activity()
    login(client, make_user())
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/activities/{activity.id}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert seen and not [s for s in seen if "FOR UPDATE" in s or "FOR NO KEY" in s]
