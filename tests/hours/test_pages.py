"""Hours pages as a person sees them: 时长, an entry, 补录, and the reviewers' queue."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from server.core import clock
from server.extensions import db
from server.hours import deadlines, ledger, review
from server.hours.models import HourEntry
from tests.hours.test_api import make_held  # noqa: F401 - the shared fixture
from tests.pages import EN, login, text

HX = {**EN, "HX-Request": "true"}


def _section(page: str, css_class: str) -> str:
    """The HTML of the element carrying `css_class`, up to the next heading."""
    start = page.index(f'class="{css_class}')
    end = page.find("<h2", start)
    return page[start:end if end != -1 else None]


@pytest.fixture
def reviewer_client(app, make_held):  # noqa: F811
    w = make_held()
    client = app.test_client()
    token = login(client, w.coordinator)
    return w, client, token


def test_my_hours_shows_totals_stars_pending_and_the_rejection_reason(
        app, client, make_held, make_activity, monkeypatch, now, give_place):  # noqa: F811
    monkeypatch.setitem(app.config, "STAR_THRESHOLDS_HOURS", [1, 3, 6, 10, 15])
    w = make_held()
    volunteer = w.people["王小红"]
    review.approve(w.entries["王小红"].id, reviewer=w.coordinator, now=now)
    visit = make_activity(org=w.org, starts_in=timedelta(days=-3), title="敬老院探访")
    give_place(visit, volunteer)
    ledger.file_retroactive(actor=volunteer, activity=visit, user=volunteer, minutes=45,
                            evidence="和社工小张一起去的", now=now)
    flyer = make_activity(org=w.org, starts_in=timedelta(days=-5), title="垃圾分类宣传")
    give_place(flyer, volunteer)
    refused = ledger.file_retroactive(actor=volunteer, activity=flyer, user=volunteer,
                                      minutes=60, evidence="发了传单", now=now)
    review.reject(refused.id, reviewer=w.coordinator, reason="签到表上没有你的名字", now=now)

    login(client, volunteer)
    resp = client.get("/hours", headers=EN)
    page = text(resp)
    assert resp.status_code == 200
    assert re.search(r'data-testid="hours-total"><span class="hours-num">2\.0<', page)
    same_year = clock.local(w.activity.starts_at).year == clock.local(now).year
    year = re.search(r'data-testid="hours-year"><span class="hours-num">([\d.]+)<', page)
    assert year.group(1) == ("2.0" if same_year else "0.0")
    stars = _section(page, "star-level")
    assert 'data-stars="1"' in stars and "1-star volunteer" in stars
    assert "1.0 hours to the next star (3 hours)" in stars
    assert stars.count('class="on">★') == 1 and stars.count('class="off">★') == 4
    by_activity = _section(page, "weui-cells hours-by-activity")
    assert "社区图书漂流" in by_activity and "2.0 h" in by_activity
    pending = _section(page, "weui-cells hours-pending")
    assert "敬老院探访" in pending and "45 min" in pending and "Retroactive (补录)" in pending
    assert "社区图书漂流" not in pending
    rejected = _section(page, "weui-cells hours-rejected")
    assert "垃圾分类宣传" in rejected and "Reason: 签到表上没有你的名字" in rejected
    assert 'href="/hours/retroactive"' in page and 'href="/hours/certificates"' in page
    assert 'href="/review/hours"' not in page  # a volunteer is not a reviewer
    assert re.search(r'href="/hours"\s+class="weui-tabbar__item weui-bar__item_on"', page)


def test_my_hours_asks_visitors_to_log_in(client):
    resp = client.get("/hours")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login?next=/hours")


def test_an_entry_shows_its_history_and_takes_an_error_report(client, make_held, now):  # noqa: F811
    w = make_held()
    entry = w.entries["李大伟"]
    token = login(client, w.people["李大伟"])
    page = text(client.get(f"/hours/entries/{entry.id}", headers=EN))
    assert "Checked out automatically" in page and "1 h 30 min" in page
    assert "Pending review" in page and 'class="history-item history-item--this"' in page
    assert f'action="/hours/entries/{entry.id}/corrections"' in page

    short = client.post(f"/hours/entries/{entry.id}/corrections",
                        data={"csrf_token": token, "message": ""}, headers=EN)
    assert short.status_code == 422 and "Some fields need your attention." in text(short)
    sent = client.post(f"/hours/entries/{entry.id}/corrections",
                       data={"csrf_token": token, "message": "我一直待到十一点才走"}, headers=EN)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(
        f"/hours/entries/{entry.id}")
    page = text(client.get(f"/hours/entries/{entry.id}", headers=EN))
    assert "我一直待到十一点才走" in page and "Waiting for an answer" in page
    assert f'action="/hours/entries/{entry.id}/corrections"' not in page  # one open at a time
    # someone else's entry does not exist for me
    assert client.get(f"/hours/entries/{w.entries['王小红'].id}").status_code == 404


def test_retroactive_form_offers_my_past_activities_and_caps_the_minutes(
        client, make_held):  # noqa: F811
    w = make_held(extra=("赵没扫码",))
    token = login(client, w.people["赵没扫码"])
    page = text(client.get("/hours/retroactive", headers=EN))
    assert f'<option value="{w.activity.id}"' in page and "社区图书漂流" in page

    over = client.post("/hours/retroactive", headers=EN, data={
        "csrf_token": token, "activity_id": w.activity.id, "minutes": "500",
        "evidence": "组织者可以证明"})
    assert over.status_code == 422
    assert "At most 120 minutes: the length of the activity." in text(over)
    done = client.post("/hours/retroactive", headers=EN, data={
        "csrf_token": token, "activity_id": w.activity.id, "minutes": "100",
        "evidence": "手机没电，组织者可以证明"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/hours")
    pending = _section(text(client.get("/hours", headers=EN)), "weui-cells hours-pending")
    assert "社区图书漂流" in pending and "1 h 40 min" in pending
    # filed once: the activity is no longer offered
    assert f'<option value="{w.activity.id}"' not in text(
        client.get("/hours/retroactive", headers=EN))


def test_the_queue_shows_flags_masked_phones_and_the_due_date(reviewer_client):
    w, client, _ = reviewer_client
    resp = client.get("/review/hours", headers=EN)
    page = text(resp)
    assert resp.status_code == 200
    group = page[page.index('class="review-group"'):page.index("</section>")]
    assert "社区图书漂流" in group
    due = deadlines.due_date(w.activity)
    assert f'data-due="{due.isoformat()}"' in group and "Record by" in group
    row = page[page.index(f'id="entry-{w.entries["李大伟"].id}"'):]
    row = row[:row.index('class="review-entry__line"><a')]
    assert "李大伟" in row and "138****0001" in row and "1 h 30 min" in row
    assert 'data-flag="auto_checkout"' in row and "Checked out automatically" in row
    assert "Automatic check-out" in row and "Organiser scan" in row
    assert "13812340001" not in page
    assert f'hx-post="/review/activities/{w.activity.id}/approve-all"' in page


def test_groups_due_soon_or_overdue_are_highlighted(app, client, make_held, make_activity,  # noqa: F811
                                                   now, give_place):
    w = make_held()
    today = clock.local(now).date()
    soon_back = next(back for back in range(1, 30) if deadlines.deadline(SimpleNamespace(
        ends_at=now - timedelta(days=back)), today=today).state == "soon")
    for title, back in (("快到期的活动", soon_back), ("过期的活动", 40)):
        activity = make_activity(org=w.org, starts_in=timedelta(days=-back, hours=-2),
                                 title=title)
        volunteer = w.people["王小红"]
        give_place(activity, volunteer)
        ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                minutes=30, evidence="组织者可以证明", now=now)
    login(client, w.coordinator)
    page = text(client.get("/review/hours", headers=EN))
    overdue = page[page.index('class="review-group review-group--overdue"'):]
    assert overdue.index("过期的活动") < overdue.index("</section>")
    assert "Overdue: the record was due" in overdue
    soon = page[page.index('class="review-group review-group--soon"'):]
    assert soon.index("快到期的活动") < soon.index("</section>")
    assert "Due soon: record by" in soon
    # soonest due first
    assert page.index("过期的活动") < page.index("快到期的活动") < page.index("社区图书漂流")


def test_htmx_approve_swaps_the_row(reviewer_client):
    w, client, token = reviewer_client
    entry_id = w.entries["王小红"].id
    resp = client.post(f"/review/hours/{entry_id}/approve", data={"csrf_token": token},
                       headers=HX)
    row = text(resp)
    assert resp.status_code == 200
    assert row.lstrip().startswith('<div class="review-entry review-entry--decided"')
    assert f'id="entry-{entry_id}"' in row and 'data-status="approved"' in row
    assert "<html" not in row and "/approve" not in row
    assert "wushe:toast" in resp.headers["HX-Trigger"]
    assert db.session.get(HourEntry, entry_id).status == "approved"

    again = client.post(f"/review/hours/{entry_id}/approve", data={"csrf_token": token},
                        headers=HX)
    assert again.status_code == 409
    assert "This entry has already been reviewed." in text(again)
    assert f'id="entry-{entry_id}"' in text(again)


def test_htmx_reject_needs_a_reason_and_adjust_shows_the_replacement(reviewer_client):
    w, client, token = reviewer_client
    late = w.entries["李大伟"].id
    missing = client.post(f"/review/hours/{late}/reject", data={"csrf_token": token},
                          headers=HX)
    assert missing.status_code == 422 and "Reason: This is required." in text(missing)
    bad = client.post(f"/review/hours/{late}/adjust", headers={**HX, "Accept-Language": "zh-CN"},
                      data={"csrf_token": token, "minutes": "-5", "reason": ""})
    # each field named, as its label reads on the row; no spaces between Chinese sentences
    said = re.search(r'hours-msg--error" role="alert">([^<]*)<', text(bad)).group(1)
    assert said.startswith("部分内容需要修改，请检查。分钟：") and "。原因：" in said, said
    assert "。 " not in said, said
    assert 'data-status="pending"' in text(missing)
    rejected = client.post(f"/review/hours/{late}/reject", headers=HX,
                           data={"csrf_token": token, "reason": "没人见到你"})
    assert rejected.status_code == 200 and 'data-status="rejected"' in text(rejected)
    assert "没人见到你" in text(rejected)

    full = w.entries["王小红"].id
    adjusted = client.post(f"/review/hours/{full}/adjust", headers=HX, data={
        "csrf_token": token, "minutes": "100", "reason": "提前离开"})
    assert adjusted.status_code == 200
    assert "Replaced by 1 h 40 min (approved)." in text(adjusted)
    kinds = sorted(e.kind for e in db.session.query(HourEntry).filter_by(
        user_id=w.people["王小红"].id))
    assert kinds == ["attendance", "replacement"]


@pytest.mark.parametrize(("headers", "said"), [
    ({"Accept-Language": "zh-CN", "HX-Request": "true"}, "已通过2条记录。另有1条需逐条审核"),
    (HX, "2 entries approved. 1 needs a look of its own"),
])
def test_approve_all_tells_what_it_left_as_one_run_of_sentences(
        app, make_held, now, headers, said):  # noqa: F811
    """Chinese sentences run on with no space between them; English keeps one."""
    w = make_held(extra=("手机没电的人",))
    late = w.people["手机没电的人"]
    ledger.file_retroactive(actor=late, activity=w.activity, user=late, minutes=60,
                            evidence="手机没电了", now=now)
    client = app.test_client()
    token = login(client, w.coordinator)
    group = text(client.post(f"/review/activities/{w.activity.id}/approve-all",
                             data={"csrf_token": token}, headers=headers))
    assert said in group


def test_a_plain_post_goes_back_to_the_queue(reviewer_client):
    w, client, token = reviewer_client
    resp = client.post(f"/review/hours/{w.entries['王小红'].id}/approve",
                       data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/review/hours")


def test_approve_all_swaps_the_group_and_leaves_my_own_entry(app, make_held, make_user, grant):  # noqa: F811
    both = make_user(name="协调员兼志愿者")
    w = make_held(also_attending=[both])
    grant(both, "coordinator", w.street)
    client = app.test_client()
    token = login(client, both)
    page = text(client.get("/review/hours", headers=EN))
    own = page[page.index(f'id="entry-{w.entries["协调员兼志愿者"].id}"'):]
    own = own[:own.index('class="review-entry__line"><a')]
    assert "You cannot review your own hours" in own and "/approve" not in own
    assert "Approve all of this activity (2)" in page
    resp = client.post(f"/review/activities/{w.activity.id}/approve-all",
                       data={"csrf_token": token}, headers=HX)
    group = text(resp)
    assert resp.status_code == 200 and group.lstrip().startswith("<section")
    assert group.count("2 entries approved.") == 1  # once for the group, not on every row
    assert group.count('data-status="approved"') == 2 and group.count('data-status="pending"') == 1
    statuses = {e.user.name: e.status for e in db.session.query(HourEntry)}
    assert statuses == {"王小红": "approved", "李大伟": "approved", "协调员兼志愿者": "pending"}


def test_a_correction_is_answered_from_the_queue(app, make_held, now):  # noqa: F811
    w = make_held()
    from server.hours import services
    services.request_correction(w.entries["王小红"], user=w.people["王小红"],
                                message="我九点就到了", now=now)
    client = app.test_client()
    token = login(client, w.organiser)
    page = text(client.get("/review/hours", headers=EN))
    corrections = page[page.index('id="corrections"'):]
    assert "我九点就到了" in corrections and "138****0000" in corrections
    # the reviewer reads the activity's day, and when the request was made as such
    with app.test_request_context(headers=EN):
        day = app.jinja_env.filters["when"](w.activity)
        asked = app.jinja_env.filters["at"](now)
    assert day in corrections and f"asked {asked}" in corrections
    req_id = int(re.search(r'id="correction-(\d+)"', corrections).group(1))
    url = f"/review/corrections/{req_id}/answer"
    no_minutes = client.post(url, headers=HX, data={"csrf_token": token, "action": "correct",
                                                    "reason": "核对"})
    assert no_minutes.status_code == 422
    resp = client.post(url, headers=HX, data={"csrf_token": token, "action": "correct",
                                              "minutes": "110", "reason": "核对签到表"})
    assert resp.status_code == 200 and 'data-answer="corrected"' in text(resp)
    was = w.entries["王小红"].minutes
    told = re.search(r'data-testid="correction-hours">(.*?)</p>', text(resp), re.S).group(1)
    duration = app.jinja_env.filters["duration"]
    assert " ".join(re.sub(r"<[^>]+>", "", told).split()).startswith(
        f"{duration(was)} → corrected to {duration(110)} · asked ")  # was, and became

    volunteer = app.test_client()
    login(volunteer, w.people["王小红"])
    mine = text(volunteer.get("/hours", headers=EN))
    assert re.search(r'data-testid="hours-total"><span class="hours-num">1\.8<', mine)
    assert "Answer: 核对签到表" in mine and "Corrected" in mine


def test_residents_cannot_open_the_queue(client, make_held):  # noqa: F811
    w = make_held()
    login(client, w.people["王小红"])
    assert client.get("/review/hours").status_code == 403


def test_the_organisers_activity_page_links_to_the_hours(client, make_held):  # noqa: F811
    w = make_held()
    login(client, w.organiser)
    page = text(client.get(f"/activities/{w.activity.id}", headers=EN))
    assert f'href="/review/hours#group-{w.activity.id}"' in page


def test_errors_are_reported_on_the_entry_that_counts(client, make_held, now):  # noqa: F811
    w = make_held()
    replacement = review.adjust(w.entries["王小红"].id, reviewer=w.coordinator, minutes=100,
                                reason="提前离开", now=now)
    review.reject(w.entries["李大伟"].id, reviewer=w.coordinator, reason="没人见到", now=now)
    login(client, w.people["王小红"])
    old = text(client.get(f"/hours/entries/{w.entries['王小红'].id}", headers=EN))
    assert "/corrections" not in old and "Corrected minutes" in old and "提前离开" in old
    assert f'href="/hours/entries/{replacement.id}"' in old
    new = text(client.get(f"/hours/entries/{replacement.id}", headers=EN))
    assert f'action="/hours/entries/{replacement.id}/corrections"' in new
    # 我的时长 leads to it: the activity's row opens the entry that counts now
    mine = text(client.get("/hours", headers=EN))
    row = _section(mine, "weui-cells hours-by-activity")
    assert re.findall(r'href="([^"]+)"', row) == [f"/hours/entries/{replacement.id}"]
    assert "report an error in its hours" in mine

    other = client.application.test_client()
    login(other, w.people["李大伟"])
    refused = text(other.get(f"/hours/entries/{w.entries['李大伟'].id}", headers=EN))
    assert "Reason: 没人见到" in refused and "/corrections" not in refused
    assert f'href="/hours/retroactive?activity_id={w.activity.id}"' in refused
