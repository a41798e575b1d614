"""The notification centre and its settings, as a person sees them on the phone."""

from __future__ import annotations

import re

from sqlalchemy import select

from server.activities import signups
from server.extensions import db
from server.notifications.models import Notification, Preference
from server.notifications.services import notify
from tests.pages import EN, login, text


def _badge(page: str) -> str | None:
    found = re.search(r'<span class="weui-badge" aria-hidden="true">([^<]+)</span>', page)
    return found.group(1) if found else None


def test_the_me_tab_counts_unread_and_opening_the_centre_marks_nothing(client, make_user,
                                                                      now):
    me = make_user()
    for hours in (1, 2, 3):
        notify(me.id, "work_digest", now=now, hours=hours)
    login(client, me)
    assert _badge(text(client.get("/"))) == "3"  # on every page's tab bar
    page = text(client.get("/me/notifications"))
    assert page.count('class="notice notice--unread"') == 3
    assert _badge(text(client.get("/me/notifications/badge"))) == "3"
    assert "今日待办" in page


def test_tapping_a_message_marks_it_read_and_goes_where_it_leads(client, make_user, now):
    me = make_user()
    note = notify(me.id, "work_digest", now=now, hours=1)
    notify(me.id, "work_digest", now=now, hours=2)
    login(client, me)
    resp = client.get(f"/me/notifications/{note.id}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/review/hours"
    assert _badge(text(client.get("/me/notifications"))) == "1"
    other = notify(make_user().id, "work_digest", now=now, hours=1)
    assert client.get(f"/me/notifications/{other.id}").status_code == 404


def test_mark_one_with_htmx_and_all_up_to_the_newest_shown(client, make_user, now):
    me = make_user()
    first = notify(me.id, "work_digest", now=now, hours=1)
    shown = notify(me.id, "work_digest", now=now, hours=2)
    token = login(client, me)
    row = text(client.post(f"/me/notifications/{first.id}/read", data={"csrf_token": token},
                           headers={"HX-Request": "true"}))
    assert f'id="n{first.id}"' in row and "notice--unread" not in row
    page = text(client.get("/me/notifications"))
    assert f'name="up_to_id" value="{shown.id}"' in page
    arrived_meanwhile = notify(me.id, "work_digest", now=now, hours=3)
    resp = client.post("/me/notifications/read-all",
                       data={"csrf_token": token, "up_to_id": str(shown.id)})
    assert resp.status_code == 302
    db.session.expire_all()
    unread = db.session.scalars(select(Notification.id).where(
        Notification.user_id == me.id, Notification.read_at.is_(None))).all()
    assert unread == [arrived_meanwhile.id]


def test_mark_all_read_reaches_a_late_message_sorted_onto_a_later_page(client, make_user,
                                                                      now):
    """A message made last for an earlier moment sorts below the first page: "mark all
    read" still marks it (it is the newest to arrive), and the badge goes out."""
    from datetime import timedelta
    me = make_user()
    for n in range(25):
        notify(me.id, "work_digest", now=now - timedelta(hours=25 - n), hours=n + 1)
    late = notify(me.id, "work_digest", now=now - timedelta(days=3), hours=99)
    token = login(client, me)
    page = text(client.get("/me/notifications"))
    assert f'id="n{late.id}"' not in page  # on a later page
    assert f'name="up_to_id" value="{late.id}"' in page
    client.post("/me/notifications/read-all", data={"csrf_token": token,
                                                    "up_to_id": str(late.id)})
    assert _badge(text(client.get("/me/notifications/badge"))) is None


def test_i_cannot_come_is_a_confirmed_button_on_the_promotion(client, make_activity, make_user,
                                                             now):
    activity = make_activity(capacity=1, title="入户走访老人")
    first, second, third = (make_user(name=n) for n in ("甲", "乙", "丙"))
    taken = signups.sign_up(activity.id, user=first, now=now)
    signups.sign_up(activity.id, user=second, now=now)
    signups.sign_up(activity.id, user=third, now=now)
    signups.withdraw(taken, actor=first, now=now)  # the second is promoted
    token = login(client, second)
    page = text(client.get("/me/notifications"))
    item = page[page.index('data-kind="promoted"'):]
    item = item[:item.index("</li>")]
    assert "我去不了" in item and 'data-confirm=' in item
    mine = signups.live_signup(activity.id, second.id)
    assert f'action="/signups/{mine.id}/withdraw"' in item
    resp = client.post(f"/signups/{mine.id}/withdraw", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert signups.live_signup(activity.id, third.id).status == "confirmed"
    page = text(client.get("/me/notifications"))
    assert 'data-confirm=' not in page  # the place is given back: no button left
    # and the question is answered: the message is read, the badge out
    item = page[page.index('data-kind="promoted"'):]
    assert "notice--unread" not in item[:item.index("</li>")]
    assert _badge(text(client.get("/me/notifications/badge"))) is None


def test_choosing_where_messages_reach_me(client, make_user):
    me = make_user()
    token = login(client, me)
    page = text(client.get("/me/notifications/settings", headers=EN))
    assert "Changes to my sign-ups" in page
    assert re.search(r'id="changes-sms" name="changes" value="sms" checked', page)
    # e-mail needs an address first: offered, but not to be switched on
    assert re.search(r'id="work-email" name="work" value="email" disabled', page)
    resp = client.post("/me/notifications/settings",
                       data={"csrf_token": token, "changes": ["site", "wechat"],
                             "reminders": ["site"], "hours": ["site"], "giving": ["site"],
                             "work": ["site"]})
    assert resp.status_code == 302
    chosen = {(p.topic, p.channel): p.enabled for p in db.session.scalars(
        select(Preference).where(Preference.user_id == me.id))}
    assert chosen[("changes", "sms")] is False and chosen[("changes", "wechat")] is True
    assert chosen[("reminders", "wechat")] is False
    refused = client.post("/me/notifications/settings",
                          data={"csrf_token": token, "changes": ["telegram"]})
    assert refused.status_code == 422 and "请在提供的消息类型和接收方式中选择" in text(refused)


def test_the_badge_asks_nobody_to_log_in(client):
    """The tab bar refreshes its count every minute: a login that ended meanwhile shows an
    empty badge, not a jump to the login page."""
    resp = client.get("/me/notifications/badge", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "HX-Redirect" not in resp.headers
    assert _badge(text(resp)) is None and "hx-get" not in text(resp)


def test_an_empty_centre_says_what_will_come(client, make_user):
    login(client, make_user())
    page = text(client.get("/me/notifications"))
    assert "暂无消息" in page and "候补转正" in page
    assert _badge(page) is None
