"""The lottery through /api/v1 and the pages: what is published before and after the
draw, the organiser's "draw now", and what a person sees."""

from __future__ import annotations

from datetime import timedelta

from server.activities import lottery, signups
from server.core.clock import local
from server.extensions import db
from tests.pages import EN, login, text


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    return body


def _organiser(make_user, grant, org):
    user = make_user(name="社工小王")
    grant(user, "organiser", org.node, organisation=org)
    return user


def _closed_lottery(make_lottery, make_user, now, entrants=5, capacity=2):
    """A lottery whose window closed a minute ago, with people who entered while open."""
    lot = make_lottery(capacity=capacity, closes_in=-timedelta(minutes=1),
                       opens_at=now - timedelta(days=1))
    for i in range(entrants):
        signups.sign_up(lot.id, user=make_user(name=f"报名者{i}"), now=now - timedelta(hours=1))
    return lot


def test_the_api_publishes_the_commitment_never_the_seed_before_the_draw(api, make_lottery,
                                                                         make_user, now):
    lot = make_lottery()
    signups.sign_up(lot.id, user=make_user(), now=now)
    body = api.get(f"/api/v1/activities/{lot.id}/lottery").get_json()
    assert body["commitment"] == lot.lottery_commitment
    assert (body["entries"], body["drawn"], body["draw"], body["results"]) == (1, False, None, [])
    detail = api.get(f"/api/v1/activities/{lot.id}")
    assert detail.get_json()["signup_mode"] == "lottery"
    for resp in (detail, api.get(f"/api/v1/activities/{lot.id}/lottery"),
                 api.get("/api/v1/activities")):
        assert lot.lottery_seed not in resp.get_data(as_text=True)


def test_entering_through_the_api(api, make_lottery, make_user):
    lot = make_lottery()
    person = make_user()
    api.login(person)
    resp = api.post(f"/api/v1/activities/{lot.id}/signups", json={})
    assert resp.status_code == 201
    assert resp.get_json()["status"] == "entered"
    mine = api.get(f"/api/v1/activities/{lot.id}").get_json()["my_signup"]
    assert mine["status"] == "entered"
    _envelope(api.post(f"/api/v1/activities/{lot.id}/signups", json={}), 409,
              "already_signed_up")
    withdrawn = api.post(f"/api/v1/signups/{mine['id']}/withdraw", json={})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"


def test_an_organiser_draws_by_hand_after_the_close_once(api, make_lottery, make_user, grant,
                                                        now):
    lot = _closed_lottery(make_lottery, make_user, now)
    resident = make_user(name="居民")
    api.login(resident)
    _envelope(api.post(f"/api/v1/activities/{lot.id}/lottery/draw", json={}), 403, "forbidden")
    api.login(_organiser(make_user, grant, lot.organisation))
    resp = api.post(f"/api/v1/activities/{lot.id}/lottery/draw", json={})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["drawn"] is True and body["draw"]["source"] == "organiser"
    assert body["draw"]["seed"] == lot.lottery_seed
    assert lottery.drawn_order(body["draw"]["seed"], body["draw"]["entrants"]) == \
        body["draw"]["drawn_order"]
    assert [r["outcome"] for r in body["results"]] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [r["position"] for r in body["results"]] == [None, None, 1, 2, 3]
    _envelope(api.post(f"/api/v1/activities/{lot.id}/lottery/draw", json={}), 409,
              "already_drawn")


def test_draw_refusals_through_the_api(api, make_lottery, make_activity, make_user, grant):
    lot = make_lottery()
    api.login(_organiser(make_user, grant, lot.organisation))
    _envelope(api.post(f"/api/v1/activities/{lot.id}/lottery/draw", json={}), 409,
              "draw_too_early")
    plain = make_activity(org=lot.organisation)
    _envelope(api.get(f"/api/v1/activities/{plain.id}/lottery"), 404, "not_lottery")


def test_creating_a_lottery_through_the_api(api, make_org, make_user, grant):
    org = make_org()
    api.login(_organiser(make_user, grant, org))
    base = {"organisation_id": org.id, "title": "热门书法课", "kind": "lecture",
            "place": "活动室", "starts_at": "2031-03-01T09:00", "ends_at": "2031-03-01T11:00",
            "capacity": 20, "signup_mode": "lottery"}
    body = _envelope(api.post("/api/v1/activities", json=base), 422,
                     "lottery_window_required")
    assert "signup_closes_at" in body["errors"]
    late = {**base, "signup_opens_at": "2031-02-01T09:00",
            "signup_closes_at": "2031-03-01T10:00"}
    _envelope(api.post("/api/v1/activities", json=late), 422, "lottery_closes_after_start")
    _envelope(api.post("/api/v1/activities", json={**base, "signup_mode": "raffle"}), 422,
              "validation_error")
    good = {**base, "signup_opens_at": "2031-02-01T09:00",
            "signup_closes_at": "2031-02-20T20:00"}
    resp = api.post("/api/v1/activities", json=good)
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert made["signup_mode"] == "lottery" and len(made["lottery_commitment"]) == 64


# --- pages -------------------------------------------------------------------------------------

def test_the_detail_page_shows_the_open_lottery_and_my_entry(app, make_lottery, make_user, now):
    lot = make_lottery()
    for i in range(2):
        signups.sign_up(lot.id, user=make_user(name=f"报名者{i}"), now=now)
    person = make_user(name="李小梅")
    browser = app.test_client()
    token = login(browser, person)
    page = text(browser.get(f"/activities/{lot.id}"))
    assert "抽签报名中" in page and "已有 2 人参与" in page and "参加抽签" in page
    resp = browser.post(f"/activities/{lot.id}/signup", data={"csrf_token": token},
                        headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "您已参加抽签" in text(resp)
    page = text(browser.get(f"/activities/{lot.id}", headers=EN))
    mine = signups.live_signup(lot.id, person.id)
    assert f"entry no. {mine.id}" in page and "3 people have entered so far" in page
    assert "Withdraw my entry" in page


def test_the_organiser_draws_from_the_page_and_everyone_can_check_it(app, make_lottery,
                                                                    make_user, grant, now):
    lot = _closed_lottery(make_lottery, make_user, now, entrants=3, capacity=1)
    organiser = _organiser(make_user, grant, lot.organisation)
    staff = app.test_client()
    token = login(staff, organiser)
    page = text(staff.get(f"/activities/{lot.id}", headers=EN))
    assert "Draw the lottery now" in page
    before = text(app.test_client().get(f"/activities/{lot.id}/lottery", headers=EN))
    assert lot.lottery_commitment in before and lot.lottery_seed not in before

    resp = staff.post(f"/manage/{lot.id}/draw", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    record = lottery.draw_of(lot.id)
    public = text(app.test_client().get(f"/activities/{lot.id}/lottery"))
    assert record.seed in public and "抽签结果" in public
    positions = [public.index(f"#{i}<") for i in record.drawn_order]
    assert positions == sorted(positions)  # shown in drawn order
    assert "顺序与种子相符" in public
    again = staff.post(f"/manage/{lot.id}/draw", data={"csrf_token": token}, headers=EN)
    assert again.status_code == 409 and "already been drawn" in text(again)


def test_the_activity_form_offers_a_lottery(app, make_user, make_org, grant):
    org = make_org()
    staff_user = _organiser(make_user, grant, org)
    staff = app.test_client()
    token = login(staff, staff_user)
    form = {"csrf_token": token, "organisation_id": str(org.id), "node_id": "",
            "kind": "lecture", "title": "热门书法课", "description": "", "place": "活动室",
            "starts_at": "2031-03-01T09:00", "ends_at": "2031-03-01T11:00",
            "signup_opens_at": "", "signup_closes_at": "", "withdraw_cutoff_hours": "2",
            "capacity": "30", "min_age": "", "contact_name": "李老师",
            "signup_mode": "lottery"}
    assert 'name="signup_mode"' in text(staff.get("/manage/new"))
    refused = staff.post("/manage/new", data=form)
    assert refused.status_code == 422
    assert "抽签报名需要设定报名时间段" in text(refused)
    form.update(signup_opens_at="2031-02-01T09:00", signup_closes_at="2031-02-20T20:00")
    resp = staff.post("/manage/new", data=form)
    assert resp.status_code == 302
    page = text(staff.get(resp.headers["Location"] .replace("http://localhost", "")))
    assert "热门书法课" in page


def test_my_activities_and_the_list_show_the_lottery(app, make_lottery, make_user, now):
    lot = make_lottery(title="热门书法课")
    person = make_user()
    signups.sign_up(lot.id, user=person, now=now)
    browser = app.test_client()
    login(browser, person)
    assert "抽签中" in text(browser.get("/me/activities"))
    listing = text(browser.get("/"))
    assert "热门书法课" in listing and "status-pill--lottery" in listing


def test_the_roster_lists_entries_and_an_entry_is_withdrawn_from_the_page(app, make_lottery,
                                                                         make_user, grant,
                                                                         now):
    lot = make_lottery()
    person = make_user(name="王芳")
    entry = signups.sign_up(lot.id, user=person, now=now)
    organiser = _organiser(make_user, grant, lot.organisation)
    staff = app.test_client()
    login(staff, organiser)
    roster = text(staff.get(f"/manage/{lot.id}/roster"))
    assert "参加抽签（尚未开奖）" in roster and "王芳" in roster and f"#{entry.id}" in roster

    browser = app.test_client()
    token = login(browser, person)
    resp = browser.post(f"/signups/{entry.id}/withdraw", data={"csrf_token": token},
                        headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "参加抽签" in text(resp) and "已有 0 人参与" in text(resp)
    db.session.expire_all()
    assert lottery.entry_count(lot.id) == 0


def test_entering_from_the_page_ends_on_a_page_that_says_so(client, api, make_lottery,
                                                             make_user):
    """The activity page's plain form (no htmx): an entry is no place and no waitlist spot;
    its page says when the draw is and offers no code yet; the API's next steps agree."""
    lot = make_lottery()
    person = make_user(name="李秀英")
    token = login(client, person)
    resp = client.post(f"/activities/{lot.id}/signup", data={"csrf_token": token}, headers=EN)
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"], headers=EN)
    assert page.status_code == 200
    body = text(page)
    assert "You are in the lottery" in body and "Places are drawn at" in body
    assert f"/activities/{lot.id}/lottery" in body and "Open my code" not in body
    assert "next-steps__arrive" not in body
    api.login(person)
    signup_id = resp.headers["Location"].split("/")[2]
    steps = api.get(f"/api/v1/signups/{signup_id}/next-steps").get_json()
    assert (steps["status"], steps["position"]) == ("entered", None)
    # no place yet: nothing to arrive for, no code to show; when the draw is
    assert (steps["arrive_at"], steps["code_url"]) == (None, None)
    assert steps["draw_at"].startswith(local(lot.signup_closes_at).strftime("%Y-%m-%dT%H:%M"))
