"""The hours API: my summary and entries, corrections, 补录, and the reviewers' decisions."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from server.activities import services as activity_services
from server.activities import signups
from server.checkin import codes
from server.core import clock
from server.core.clock import local
from server.extensions import db
from server.hours.models import HourEntry


@pytest.fixture
def make_held(make_node, make_org, make_user, make_activity, grant, scan):
    """An activity of 2 hours that took place yesterday and was finished, so its hours are
    pending.

    `stays` maps each volunteer's name to (minutes after the start they came, minutes they
    stayed or None for "never checked out"); `extra` people sign up but are never scanned.
    """
    def make(stays=None, extra=(), also_attending=()):
        w = SimpleNamespace()
        w.street = make_node(name="通运街道", kind="street")
        w.community = make_node(name="运河园社区", parent=w.street)
        w.org = make_org(name="运河园社工站", node=w.community)
        w.activity = make_activity(org=w.org, starts_in=timedelta(days=-1), hours=2,
                                   title="社区图书漂流")
        start = w.activity.starts_at
        before = start - timedelta(hours=1)  # everyone signed up the hour before
        w.organiser = make_user(name="社工小张")
        grant(w.organiser, "organiser", w.community, w.org)
        w.coordinator = make_user(name="街道协调员")
        grant(w.coordinator, "coordinator", w.street)
        w.people = {}
        stays = {"王小红": (0, 120), "李大伟": (30, None)} if stays is None else stays
        attending = {name: make_user(name=name, phone=f"1381234{i:04d}")
                     for i, name in enumerate(stays)}
        for person in also_attending:
            attending[person.name] = person
            stays = {**stays, person.name: (0, 120)}
        for name, person in attending.items():
            signups.sign_up(w.activity.id, user=person, now=before)
            w.people[name] = person
        for name in extra:
            w.people[name] = make_user(name=name)
            signups.sign_up(w.activity.id, user=w.people[name], now=before)
        for name, (came, stayed) in stays.items():
            # each shows their own code: nobody is "assisted", the organiser may review
            code = codes.personal_payload(codes.active_code(w.people[name], now=before))
            scan(w.activity, w.organiser, code=code, at=start + timedelta(minutes=came))
            if stayed is not None:
                scan(w.activity, w.organiser, code=code, direction="exit",
                     at=start + timedelta(minutes=came + stayed))
        w.finished_at = w.activity.ends_at + timedelta(minutes=5)
        activity_services.finish(w.activity, actor=w.organiser, now=w.finished_at)
        w.entries = {e.user.name: e for e in db.session.query(HourEntry).all()}
        return w
    return make


def _error(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status and body["message"]
    return body


def test_summary_counts_approved_hours_only(api, make_held):
    w = make_held()
    api.login(w.coordinator)
    assert api.post(f"/api/v1/hours/entries/{w.entries['王小红'].id}/approve").status_code == 200
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.people["王小红"])
    mine = api.get("/api/v1/me/hours").get_json()
    # this year's hours: all of them, unless the activity was last year (the first hours
    # of 1 January)
    same_year = local(w.activity.ends_at).year == local(clock.now()).year
    assert (mine["total_minutes"], mine["total_hours"], mine["year_hours"]) == (
        120, "2.0", "2.0" if same_year else "0.0")
    assert (mine["stars"], mine["next_star_hours"], mine["minutes_to_next"]) == (0, 100, 5880)
    assert [(r["title"], r["minutes"], r["entry_id"]) for r in mine["by_activity"]] == [
        ("社区图书漂流", 120, w.entries["王小红"].id)]  # where an error in it is reported
    assert mine["pending"] == [] and mine["rejected"] == []
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.people["李大伟"])
    other = api.get("/api/v1/me/hours").get_json()
    assert (other["total_minutes"], other["total_hours"], other["by_activity"]) == (0, "0.0", [])
    [pending] = other["pending"]
    assert (pending["minutes"], pending["status"], pending["flags"]) == (
        90, "pending", ["auto_checkout"])
    assert pending["flag_labels"] == ["自动签退"]  # Chinese first: no Accept-Language given


def test_summary_needs_a_login(api):
    _error(api.get("/api/v1/me/hours"), 401, "login_required")


def test_approving_twice_is_a_conflict(api, make_held):
    w = make_held()
    api.login(w.coordinator)
    url = f"/api/v1/hours/entries/{w.entries['王小红'].id}/approve"
    first = api.post(url)
    assert first.status_code == 200
    assert first.get_json()["review"]["reviewer_name"] == "街道协调员"
    _error(api.post(url), 409, "already_reviewed")


def test_nobody_reviews_their_own_hours(api, make_held, make_user):
    coordinator_volunteer = make_user(name="协调员兼志愿者")
    w = make_held(also_attending=[coordinator_volunteer])
    from server.accounts.models import RoleAssignment
    db.session.add(RoleAssignment(user_id=coordinator_volunteer.id, role="coordinator",
                                  node_id=w.street.id, granted_at=w.finished_at))
    db.session.flush()
    api.login(coordinator_volunteer)
    own = w.entries["协调员兼志愿者"]
    _error(api.post(f"/api/v1/hours/entries/{own.id}/approve"), 403, "own_hours")
    # approving the whole activity leaves their own entry pending
    resp = api.post(f"/api/v1/hours/activities/{w.activity.id}/approve-all")
    assert resp.status_code == 200 and resp.get_json() == {"approved": 2, "left": 0}
    db.session.expire_all()
    assert db.session.get(HourEntry, own.id).status == "pending"


def test_a_coordinator_of_another_street_is_not_a_reviewer(api, make_held, make_node,
                                                          make_user, grant):
    w = make_held()
    elsewhere = make_user(name="别的街道协调员")
    grant(elsewhere, "coordinator", make_node(name="别的街道", kind="street"))
    api.login(elsewhere)
    entry_id = w.entries["王小红"].id
    _error(api.post(f"/api/v1/hours/entries/{entry_id}/approve"), 403, "not_reviewer")
    _error(api.post(f"/api/v1/hours/entries/{entry_id}/reject", json={"reason": "不对"}),
           403, "not_reviewer")
    _error(api.post(f"/api/v1/hours/activities/{w.activity.id}/approve-all"), 403,
           "not_reviewer")
    assert api.get("/api/v1/hours/review").get_json()["groups"] == []


def test_a_resident_cannot_open_the_review_queue(api, make_held):
    w = make_held()
    api.login(w.people["王小红"])
    _error(api.get("/api/v1/hours/review"), 403, "not_reviewer")
    _error(api.post(f"/api/v1/hours/entries/{w.entries['李大伟'].id}/approve"), 403,
           "not_reviewer")


def test_reject_needs_a_reason_and_the_volunteer_reads_it(api, make_held):
    w = make_held()
    api.login(w.coordinator)
    url = f"/api/v1/hours/entries/{w.entries['李大伟'].id}/reject"
    body = _error(api.post(url, json={}), 422, "validation_error")
    assert "reason" in body["errors"]
    _error(api.post(url, json={"reason": "   "}), 422, "validation_error")
    done = api.post(url, json={"reason": "没有签退，现场无人见到"})
    assert done.status_code == 200 and done.get_json()["status"] == "rejected"
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.people["李大伟"])
    [rejected] = api.get("/api/v1/me/hours").get_json()["rejected"]
    assert rejected["review"]["reason"] == "没有签退，现场无人见到"


def test_adjust_reverses_and_replaces_and_the_total_follows(api, make_held):
    w = make_held()
    entry_id = w.entries["王小红"].id
    api.login(w.coordinator)
    api.post(f"/api/v1/hours/entries/{entry_id}/approve")
    _error(api.post(f"/api/v1/hours/entries/{entry_id}/adjust", json={"minutes": 90}),
           422, "validation_error")
    resp = api.post(f"/api/v1/hours/entries/{entry_id}/adjust",
                    json={"minutes": 90, "reason": "中途离开半小时"})
    new = resp.get_json()
    assert resp.status_code == 200
    assert (new["kind"], new["minutes"], new["status"], new["replaces_id"]) == (
        "replacement", 90, "approved", entry_id)
    _error(api.post(f"/api/v1/hours/entries/{entry_id}/adjust",
                    json={"minutes": 60, "reason": "再改"}), 409, "already_reviewed")
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.people["王小红"])
    assert api.get("/api/v1/me/hours").get_json()["total_minutes"] == 90
    detail = api.get(f"/api/v1/me/hours/entries/{entry_id}").get_json()
    story = [(h["kind"], h["minutes"], h["status"]) for h in detail["history"]]
    assert story == [("attendance", 120, "approved"), ("reversal", -120, "approved"),
                     ("replacement", 90, "approved")]
    assert detail["history"][1]["reason"] == "中途离开半小时"
    assert detail["history"][1]["created_by_name"] == "街道协调员"


def test_adjust_above_the_activity_length_is_over_cap(api, make_held):
    w = make_held()
    api.login(w.coordinator)
    body = _error(api.post(f"/api/v1/hours/entries/{w.entries['李大伟'].id}/adjust",
                           json={"minutes": 121, "reason": "多算"}), 422, "over_cap")
    assert "120" in body["message"]


def test_retroactive_is_capped_needs_evidence_and_waits_for_review(api, make_held):
    w = make_held(extra=("赵没扫码",))
    api.login(w.people["赵没扫码"])
    url = "/api/v1/me/hours/retroactive"
    body = _error(api.post(url, json={"activity_id": w.activity.id, "minutes": 121,
                                      "evidence": "组织者小张可以证明"}), 422, "over_cap")
    assert "minutes" in body["errors"]
    short = _error(api.post(url, json={"activity_id": w.activity.id, "minutes": 60,
                                       "evidence": "有"}), 422, "evidence_required")
    # beside the field, what to write; not "this is required" of a field that was filled
    assert short["errors"] == {"evidence": ["请说明您做了什么，以及谁可以证明。"]}
    assert "%(" not in body["errors"]["minutes"][0]  # the cap filled in beside its field
    _error(api.post(url, json={"activity_id": 2**31, "minutes": 60, "evidence": "x" * 10}),
           422, "validation_error")
    resp = api.post(url, json={"activity_id": w.activity.id, "minutes": 100,
                               "evidence": "手机没电，组织者小张可以证明"})
    entry = resp.get_json()
    assert resp.status_code == 201
    assert (entry["kind"], entry["status"], entry["minutes"], entry["flags"]) == (
        "retroactive", "pending", 100, ["retroactive"])
    _error(api.post(url, json={"activity_id": w.activity.id, "minutes": 30,
                               "evidence": "再补一次试试"}), 409, "already_recorded")
    assert api.get("/api/v1/me/hours").get_json()["total_minutes"] == 0


def test_retroactive_beside_a_check_in_under_way_is_refused(api, make_activity, make_user,
                                                           give_place):
    activity = make_activity(starts_in=-timedelta(hours=1), hours=3)
    person = make_user(name="孙已签到")
    give_place(activity, person).scan_seq = 1  # checked in: the finish will count it
    db.session.flush()
    api.login(person)
    body = _error(api.post("/api/v1/me/hours/retroactive", json={
        "activity_id": activity.id, "minutes": 60, "evidence": "我一直在现场帮忙"}),
        409, "checked_in")
    assert body["message"] == "已在本活动签到，活动结束时将按签到记录自动生成时长。"


def test_correction_flow(api, make_held):
    w = make_held()
    entry_id = w.entries["王小红"].id
    api.login(w.coordinator)
    api.post(f"/api/v1/hours/entries/{entry_id}/approve")
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.people["王小红"])
    url = f"/api/v1/me/hours/entries/{entry_id}/corrections"
    _error(api.post(url, json={}), 422, "validation_error")
    resp = api.post(url, json={"message": "我九点就到了，九点四十才扫的码"})
    assert resp.status_code == 201
    correction = resp.get_json()
    assert (correction["answer"], correction["entry_id"]) == (None, entry_id)
    _error(api.post(url, json={"message": "再催一下"}), 409, "correction_open")
    _error(api.post(f"/api/v1/me/hours/entries/{w.entries['李大伟'].id}/corrections",
                    json={"message": "别人的记录"}), 404, "entry_not_found")
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.coordinator)
    queue = api.get("/api/v1/hours/review").get_json()
    [open_one] = queue["corrections"]
    assert (open_one["id"], open_one["volunteer_phone"]) == (correction["id"], "138****0000")
    answer_url = f"/api/v1/hours/corrections/{correction['id']}/answer"
    _error(api.post(answer_url, json={"minutes": 110}), 422, "validation_error")
    answered = api.post(answer_url, json={"minutes": 110, "reason": "核对签到表，更正为110分钟"})
    assert answered.status_code == 200
    assert answered.get_json()["answer"] == "corrected"
    _error(api.post(answer_url, json={"reason": "again"}), 409, "already_reviewed")
    _error(api.post("/api/v1/hours/corrections/999999/answer", json={"reason": "x"}), 404,
           "correction_not_found")
    api.post("/api/v1/auth/logout")
    api.refresh_token()

    api.login(w.people["王小红"])
    mine = api.get("/api/v1/me/hours").get_json()
    assert mine["total_minutes"] == 110
    assert [(c["answer"], c["answer_reason"]) for c in mine["corrections"]] == [
        ("corrected", "核对签到表，更正为110分钟")]
    detail = api.get(f"/api/v1/me/hours/entries/{entry_id}").get_json()
    assert [h["minutes"] for h in detail["history"]] == [120, -120, 110]
    assert detail["corrections"][0]["new_entry_id"] == detail["history"][2]["id"]


def test_declining_a_correction_keeps_the_minutes(api, make_held):
    w = make_held()
    entry_id = w.entries["李大伟"].id
    api.login(w.people["李大伟"])
    correction = api.post(f"/api/v1/me/hours/entries/{entry_id}/corrections",
                          json={"message": "我一直待到结束"}).get_json()
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(w.organiser)
    resp = api.post(f"/api/v1/hours/corrections/{correction['id']}/answer",
                    json={"reason": "签到表显示九点半才到"})
    assert resp.status_code == 200 and resp.get_json()["answer"] == "declined"
    assert db.session.query(HourEntry).count() == 2


def test_my_entry_of_someone_else_is_not_found(api, make_held):
    w = make_held()
    api.login(w.people["王小红"])
    _error(api.get(f"/api/v1/me/hours/entries/{w.entries['李大伟'].id}"), 404, "entry_not_found")
    _error(api.get("/api/v1/me/hours/entries/999999"), 404, "entry_not_found")
    mine = api.get(f"/api/v1/me/hours/entries/{w.entries['王小红'].id}").get_json()
    assert (mine["status"], mine["review"], len(mine["history"])) == ("pending", None, 1)
    assert mine["served_from"].endswith("+08:00")


def test_the_queue_groups_by_activity_with_masked_phones_and_a_due_date(api, make_held):
    w = make_held()
    api.login(w.organiser)
    [group] = api.get("/api/v1/hours/review").get_json()["groups"]
    assert group["activity"]["title"] == "社区图书漂流"
    assert group["due"] > group["activity"]["ends_at"][:10]
    people = {e["volunteer_name"]: e for e in group["entries"]}
    assert set(people) == {"王小红", "李大伟"}
    assert people["王小红"]["volunteer_phone"] == "138****0000"
    assert people["李大伟"]["flags"] == ["auto_checkout"]
    assert "1381234" not in api.get("/api/v1/hours/review").get_data(as_text=True)
    resp = api.post(f"/api/v1/hours/activities/{w.activity.id}/approve-all")
    assert resp.get_json() == {"approved": 2, "left": 0}
    assert api.get("/api/v1/hours/review").get_json()["groups"] == []
