"""After signing up: the result page with the next steps, the "已报名" state on the
activity, and the activity as an .ics file read back by an iCalendar parser."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import icalendar

from server.activities import calendar, signups
from server.core.clock import local
from server.extensions import db
from tests.pages import EN, login, text


def _section(page: str, css_class: str) -> str:
    """The markup of the first element with this class, up to its closing tag."""
    found = re.search(rf'class="[^"]*\b{css_class}\b[^"]*"(.*?)</div>', page, re.S)
    assert found, css_class
    return found.group(1)


def _sign_up_by_form(client, activity, user):
    token = login(client, user)
    resp = client.post(f"/activities/{activity.id}/signup", data={"csrf_token": token},
                       headers=EN)
    assert resp.status_code == 303
    return resp.headers["Location"]


# --- the result page -----------------------------------------------------------------------

def test_result_page_tells_when_to_arrive_what_to_bring_and_until_when_to_withdraw(
        app, client, make_activity, make_user):
    activity = make_activity(title="法律问题进社区", place="运河园社区活动室",
                             withdraw_cutoff_hours=5, starts_in=timedelta(days=4))
    where = _sign_up_by_form(client, activity, make_user())
    assert re.fullmatch(r"/signups/\d+/next", where)
    page = text(client.get(where, headers=EN))
    assert 'class="weui-msg' in page and "You have a place" in page
    assert "法律问题进社区" in page and "运河园社区活动室" in page
    minutes = app.config["ARRIVE_EARLY_MINUTES"]
    arrive = local(activity.starts_at - timedelta(minutes=minutes)).strftime("%H:%M")
    assert arrive in _section(page, "next-steps__arrive")
    assert f"{minutes} minutes before the start" in page
    assert 'href="/code"' in page and "My code" in page
    cutoff = local(activity.starts_at - timedelta(hours=5)).strftime("%H:%M")
    assert cutoff in _section(page, "next-steps__withdraw")
    assert f'href="/activities/{activity.id}/calendar.ics"' in page
    assert f'href="/activities/{activity.id}"' in page  # back to the activity


def test_result_page_speaks_chinese(client, make_activity, make_user):
    activity = make_activity()
    page = text(client.get(_sign_up_by_form(client, activity, make_user())))
    assert "报名成功" in page or "您已获得名额" in page
    assert "我的码" in page and "添加到日历" in page
    assert "分钟" in page


def test_result_page_for_the_waitlist_shows_the_position(client, make_activity, make_user,
                                                        now):
    activity = make_activity(capacity=1)
    signups.sign_up(activity.id, user=make_user(name="先到者"), now=now)
    signups.sign_up(activity.id, user=make_user(name="第二位"), now=now)
    page = text(client.get(_sign_up_by_form(client, activity, make_user()), headers=EN))
    assert "You are on the waitlist" in page
    assert "You are number 2 on the waitlist" in page
    # the waitlist spot is given up until the start, not the organiser's cutoff
    start = local(activity.starts_at).strftime("%H:%M")
    assert start in _section(page, "next-steps__withdraw")


def test_result_page_is_only_for_the_person_and_only_while_signed_up(
        app, client, make_activity, make_user, now):
    activity = make_activity()
    owner = make_user(name="本人")
    signup = signups.sign_up(activity.id, user=owner, now=now)
    other = app.test_client()
    login(other, make_user(name="别人"))
    assert other.get(f"/signups/{signup.id}/next").status_code == 404
    login(client, owner)
    assert client.get(f"/signups/{signup.id}/next").status_code == 200
    signups.withdraw(signup, actor=owner, now=now)
    assert client.get(f"/signups/{signup.id}/next").status_code == 404
    assert client.get("/signups/999999/next").status_code == 404


def test_result_page_needs_a_login(client, make_activity, make_user, now):
    signup = signups.sign_up(make_activity().id, user=make_user(), now=now)
    resp = client.get(f"/signups/{signup.id}/next")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_failed_sign_up_stays_on_the_activity_with_the_reason(client, make_activity,
                                                              make_user, now):
    activity = make_activity()
    user = make_user()
    signups.sign_up(activity.id, user=user, now=now)
    token = login(client, user)
    resp = client.post(f"/activities/{activity.id}/signup", data={"csrf_token": token},
                       headers=EN)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/activities/{activity.id}")
    page = text(client.get(resp.headers["Location"], headers=EN))
    assert "You are already signed up for this activity." in page


# --- the activity page on return -----------------------------------------------------------

def test_activity_shows_signed_up_with_the_code_and_the_calendar_one_tap_away(
        client, make_activity, make_user, now):
    activity = make_activity()
    user = make_user()
    signups.sign_up(activity.id, user=user, now=now)
    login(client, user)
    page = text(client.get(f"/activities/{activity.id}"))
    box = page[page.index('id="signup-box"'):]
    assert "已报名" in box[:box.index("signed-up__links")]
    assert 'href="/code"' in box and f"/activities/{activity.id}/calendar.ics" in box
    # not a button to sign up again
    assert f'action="/activities/{activity.id}/signup"' not in page


def test_waitlisted_person_sees_the_waitlist_state_and_no_code_link(client, make_activity,
                                                                    make_user, now):
    activity = make_activity(capacity=1)
    signups.sign_up(activity.id, user=make_user(), now=now)
    user = make_user()
    signups.sign_up(activity.id, user=user, now=now)
    login(client, user)
    page = text(client.get(f"/activities/{activity.id}", headers=EN))
    assert 'data-status="waitlisted"' in page and "On the waitlist" in page
    assert "signed-up__code" not in page
    assert "signed-up__calendar" in page


def test_sign_up_form_is_a_plain_post_so_the_result_is_a_page(client, make_activity,
                                                              make_user):
    activity = make_activity()
    login(client, make_user())
    page = text(client.get(f"/activities/{activity.id}"))
    form = re.search(r'<form[^>]*action="/activities/\d+/signup"[^>]*>', page).group(0)
    assert "hx-post" not in form


# --- the calendar file -----------------------------------------------------------------------

def _event(body: bytes):
    cal = icalendar.Calendar.from_ical(body)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return cal, events[0]


def test_ics_reads_back_with_the_activity_times_place_and_link(app, client, make_activity):
    activity = make_activity(title="图书捐赠, 进乡村; 第二期", place="魏善庄镇\n西南研垡村, 村委会",
                             starts_in=timedelta(days=5), hours=3)
    resp = client.get(f"/activities/{activity.id}/calendar.ics")
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.headers["Content-Disposition"].endswith('.ics"')
    cal, event = _event(resp.data)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    assert event.decoded("DTSTART") == activity.starts_at.astimezone(UTC)
    assert event.decoded("DTEND") == activity.ends_at.astimezone(UTC)
    assert event.decoded("DTSTART").tzinfo is not None
    assert str(event["SUMMARY"]) == "图书捐赠, 进乡村; 第二期"
    assert str(event["LOCATION"]) == "魏善庄镇\n西南研垡村, 村委会"
    link = app.config["SITE_URL"].rstrip("/") + f"/activities/{activity.id}"
    assert link in str(event["DESCRIPTION"])
    assert event["DTSTAMP"] and event["UID"]
    alarms = list(event.walk("VALARM"))
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    before = -alarms[0].decoded("TRIGGER")
    assert before == timedelta(minutes=app.config["ARRIVE_EARLY_MINUTES"] + 45)


def test_ics_escapes_folds_and_ends_lines_with_crlf(client, make_activity):
    activity = make_activity(title="全职妈妈成长计划：" + "亲子阅读与绘本分享，" * 8 + "a;b,c\\d",
                             place="通州区通运街道运河园社区")
    raw = client.get(f"/activities/{activity.id}/calendar.ics").data
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare LF
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # the long title was folded
    for line in lines:
        line.decode("utf-8")  # never folded inside a character
    unfolded = raw.replace(b"\r\n ", b"").decode("utf-8")
    assert "a\\;b\\,c\\\\d" in unfolded
    _cal, event = _event(raw)
    assert str(event["SUMMARY"]) == activity.title


def test_ics_uid_is_stable_and_follows_changes(client, make_activity, now):
    activity = make_activity()
    first = _event(client.get(f"/activities/{activity.id}/calendar.ics").data)[1]
    again = _event(client.get(f"/activities/{activity.id}/calendar.ics").data)[1]
    assert str(first["UID"]) == str(again["UID"])
    assert str(first["UID"]) == str(_event(
        client.get(f"/api/v1/activities/{activity.id}/calendar.ics").data)[1]["UID"])
    activity.starts_at += timedelta(hours=1)
    activity.ends_at += timedelta(hours=1)
    activity.updated_at = now + timedelta(minutes=5)
    db.session.flush()
    moved = _event(client.get(f"/activities/{activity.id}/calendar.ics").data)[1]
    assert str(moved["UID"]) == str(first["UID"])
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
    assert moved.decoded("DTSTART") == activity.starts_at.astimezone(UTC)
    other = make_activity()
    assert str(_event(client.get(f"/activities/{other.id}/calendar.ics").data)[1]["UID"]) \
        != str(first["UID"])


def test_ics_of_a_cancelled_activity_says_so_and_a_draft_is_not_found(client, make_activity):
    cancelled = make_activity(status="cancelled")
    _cal, event = _event(client.get(f"/activities/{cancelled.id}/calendar.ics").data)
    assert str(event["STATUS"]) == "CANCELLED"
    draft = make_activity(status="draft")
    assert client.get(f"/activities/{draft.id}/calendar.ics").status_code == 404
    resp = client.get(f"/api/v1/activities/{draft.id}/calendar.ics")
    assert resp.status_code == 404 and resp.get_json()["code"] == "activity_not_found"


def test_fold_never_passes_75_octets_and_unfolds_to_the_original():
    for line in ("SUMMARY:" + "汉" * 100, "DESCRIPTION:" + "a" * 200,
                 "X:" + "é" * 80 + "汉字" * 30):
        folded = calendar.fold(line).encode("utf-8")
        assert all(len(part) <= 75 for part in folded.split(b"\r\n"))
        assert folded.replace(b"\r\n ", b"").decode("utf-8") == line


def test_escape_follows_rfc_5545():
    assert calendar.escape("a,b;c\\d\r\ne\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


# --- the API ---------------------------------------------------------------------------------

def test_api_next_steps(api, make_activity, make_user, app):
    activity = make_activity(withdraw_cutoff_hours=3)
    user = make_user()
    api.login(user)
    signup = api.post(f"/api/v1/activities/{activity.id}/signups").get_json()
    resp = api.get(f"/api/v1/signups/{signup['id']}/next-steps")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "confirmed" and body["position"] is None
    assert body["arrive_minutes"] == app.config["ARRIVE_EARLY_MINUTES"]
    assert body["arrive_at"] == local(activity.starts_at - timedelta(
        minutes=body["arrive_minutes"])).isoformat()
    assert body["withdraw_until"] == local(activity.starts_at - timedelta(hours=3)).isoformat()
    assert body["can_withdraw"] is True
    assert body["code_url"] == "/code"
    assert body["calendar_url"] == f"/api/v1/activities/{activity.id}/calendar.ics"


def test_api_next_steps_of_someone_else_is_not_found(api, make_activity, make_user, now):
    signup = signups.sign_up(make_activity().id, user=make_user(), now=now)
    api.login(make_user())
    resp = api.get(f"/api/v1/signups/{signup.id}/next-steps")
    assert resp.status_code == 404 and resp.get_json()["code"] == "signup_not_found"
