"""/api/v1 teams: status codes, the envelope, masking, and the whole join-and-sign-up path."""

from __future__ import annotations

from sqlalchemy import select

from server.activities.models import Signup
from server.core import clock
from server.extensions import db
from server.teams import services


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    return body


def test_list_and_search_teams_in_public(client, make_team, make_org, crew):
    team, *_ = crew()
    make_team(name="魏善庄镇助老服务队")
    make_org(name="不是服务队", kind="social_org")
    body = client.get("/api/v1/teams").get_json()
    assert [t["name"] for t in body["items"]] == [
        "运河园社区 BQteam-贤妈智囊团", "魏善庄镇助老服务队"]
    assert body["items"][0]["members"] == 3 and body["total"] == 2
    found = client.get("/api/v1/teams?q=助老").get_json()
    assert [t["name"] for t in found["items"]] == ["魏善庄镇助老服务队"]
    by_place = client.get(f"/api/v1/teams?node_id={team.node_id}").get_json()
    assert [t["id"] for t in by_place["items"]] == [team.id]
    _envelope(client.get("/api/v1/teams?page=0"), 422, "validation_error")


def test_detail_shows_members_only_to_the_team_and_masks_phones(api, client, crew):
    team, leader, a, _b = crew()
    public = client.get(f"/api/v1/teams/{team.id}").get_json()
    # a leader is a resident who never agreed to be named in public: masked outside the team
    assert public["leaders"] == ["贤***"] and public["member_count"] == 3
    assert "贤妈队长" not in client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert public["members"] is None and public["my_membership"] is None
    assert public["total_minutes"] == 0 and public["can_manage"] is False
    api.login(a)
    inside = api.get(f"/api/v1/teams/{team.id}").get_json()
    assert inside["leaders"] == ["贤妈队长"]
    # a fellow member sees names and hours, their own phone, nobody else's
    phones = {m["name"]: m["phone"] for m in inside["members"]}
    assert phones == {"王芳": a.phone, "贤妈队长": None, _b.name: None}
    assert inside["my_membership"]["state"] == "active"
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(leader)
    led = api.get(f"/api/v1/teams/{team.id}").get_json()
    phones = {m["name"]: m["phone"] for m in led["members"]}
    assert phones["王芳"] == a.phone[:3] + "****" + a.phone[-4:]
    assert phones["贤妈队长"] == leader.phone
    _envelope(client.get("/api/v1/teams/999999"), 404, "team_not_found")


def test_request_approve_and_sign_up_by_api(app, crew, make_user, make_activity):
    team, leader, _a, _b = crew()
    person = make_user(name="张阿姨")
    activity = make_activity(capacity=5)
    from tests.conftest import ApiClient
    volunteer, boss = ApiClient(app.test_client()), ApiClient(app.test_client())
    volunteer.login(person)
    boss.login(leader)
    _envelope(volunteer.post(f"/api/v1/teams/{team.id}/requests", json={"message": "x" * 201}),
              422, "validation_error")
    resp = volunteer.post(f"/api/v1/teams/{team.id}/requests", json={"message": "想加入"})
    assert resp.status_code == 201 and resp.get_json()["state"] == "requested"
    mid = resp.get_json()["id"]
    _envelope(volunteer.post(f"/api/v1/teams/{team.id}/requests", json={}), 409,
              "team_already_pending")
    _envelope(volunteer.post(f"/api/v1/team-memberships/{mid}/approve"), 403,
              "team_leaders_only")
    _envelope(volunteer.get(f"/api/v1/teams/{team.id}/pending"), 403, "team_leaders_only")
    pending = boss.get(f"/api/v1/teams/{team.id}/pending").get_json()
    assert [r["id"] for r in pending["requests"]] == [mid]
    assert "****" in pending["requests"][0]["phone"]
    assert boss.post(f"/api/v1/team-memberships/{mid}/approve").get_json()["state"] == "active"
    _envelope(boss.post(f"/api/v1/team-memberships/{mid}/approve"), 409,
              "team_already_answered")
    resp = boss.post(f"/api/v1/teams/{team.id}/signups",
                     json={"activity_id": activity.id, "user_ids": [person.id]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == [{"user_id": person.id, "name": "张阿姨", "status": "confirmed",
                                "code": None, "message": None}]
    signup = db.session.scalar(select(Signup).where(Signup.user_id == person.id))
    assert signup.acted_by_id == leader.id
    _envelope(boss.post(f"/api/v1/teams/{team.id}/signups",
                        json={"activity_id": activity.id, "user_ids": []}),
              422, "validation_error")
    _envelope(boss.post(f"/api/v1/teams/{team.id}/signups",
                        json={"activity_id": 999999, "user_ids": [person.id]}),
              404, "activity_not_found")
    mine = volunteer.get("/api/v1/me/teams").get_json()
    assert [m["team_id"] for m in mine["active"]] == [team.id]
    assert mine["active"][0]["phone"] == person.phone


def test_invite_accept_leave_and_remove_by_api(app, crew, make_user):
    team, leader, a, _b = crew()
    guest = make_user(name="赵大爷")
    from tests.conftest import ApiClient
    boss, invitee, member = (ApiClient(app.test_client()) for _ in range(3))
    boss.login(leader)
    invitee.login(guest)
    member.login(a)
    _envelope(boss.post(f"/api/v1/teams/{team.id}/invitations", json={"phone": "123"}), 422,
              "invalid_phone")
    _envelope(boss.post(f"/api/v1/teams/{team.id}/invitations", json={}), 422,
              "validation_error")
    _envelope(member.post(f"/api/v1/teams/{team.id}/invitations", json={"phone": guest.phone}),
              403, "team_leaders_only")
    resp = boss.post(f"/api/v1/teams/{team.id}/invitations", json={"phone": guest.phone})
    assert resp.status_code == 201 and resp.get_json()["phone"] == "139****" + guest.phone[-4:]
    # the leader typed a phone: the answer names nobody
    assert "name" not in resp.get_json() and "赵" not in str(resp.get_json())
    [mine] = invitee.get("/api/v1/me/teams").get_json()["invited"]
    assert mine["name"] == "赵大爷"  # to themselves, in full
    mid = mine["id"]
    _envelope(member.post(f"/api/v1/team-memberships/{mid}/accept"), 404,
              "team_membership_not_found")
    accepted = invitee.post(f"/api/v1/team-memberships/{mid}/accept").get_json()
    assert accepted["state"] == "active" and accepted["phone"] == guest.phone
    members = boss.get(f"/api/v1/teams/{team.id}").get_json()["members"]
    assert "赵大爷" in {m["name"] for m in members}
    assert invitee.post(f"/api/v1/team-memberships/{mid}/leave").get_json()["state"] == "left"
    am = services.open_membership(team.id, a.id).id
    _envelope(boss.post(f"/api/v1/team-memberships/{am}/remove", json={}), 422,
              "validation_error")
    removed = boss.post(f"/api/v1/team-memberships/{am}/remove", json={"reason": "搬家了"})
    assert removed.get_json()["state"] == "removed"
    own = services.open_membership(team.id, leader.id).id
    _envelope(boss.post(f"/api/v1/team-memberships/{own}/leave"), 409, "team_last_leader")
    _envelope(boss.post(f"/api/v1/team-memberships/{own}/role", json={"role": "boss"}), 422,
              "validation_error")
    _envelope(boss.post("/api/v1/team-memberships/999999/decline"), 404,
              "team_membership_not_found")


def test_anonymous_callers_are_asked_to_log_in(api, crew):
    team, *_ = crew()
    _envelope(api.post(f"/api/v1/teams/{team.id}/requests", json={}), 401, "login_required")
    _envelope(api.get("/api/v1/me/teams"), 401, "login_required")


def test_invitations_are_counted_per_leader(app, api, crew, make_user, make_team, enrol,
                                            monkeypatch):
    """A leader's budget bounds how many numbers they can send invitations to, page and
    API together (each is answered alike, account or not)."""
    team, leader, *_ = crew()
    monkeypatch.setitem(app.config, "INVITE_RATE_LIMIT", "3 per hour")
    api.login(leader)
    url = f"/api/v1/teams/{team.id}/invitations"
    for n in range(2):
        assert api.post(url, json={"phone": f"1399999000{n}"}).status_code == 201
    from tests.pages import login
    page = app.test_client()
    token = login(page, leader)
    assert page.post(f"/teams/{team.id}/invite", data={
        "csrf_token": token, "phone": "13999990009"}).status_code == 302
    refused = api.post(url, json={"phone": make_user().phone})
    # an hourly limit says so: the rest of the hour, not "a minute"
    wait = int(refused.headers["Retry-After"])
    assert 3500 < wait <= 3600
    assert _envelope(refused, 429, "rate_limited")["message"] in {
        f"操作过于频繁，请在 {-(-n // 60)} 分钟后再试。" for n in (wait, wait + 1)}
    # another team's leader has a budget of their own
    other_team, other_leader = make_team(name="另一支服务队"), make_user()
    enrol(other_team, other_leader, role="leader")
    api.post("/api/v1/auth/logout")
    api.refresh_token()
    api.login(other_leader)
    assert api.post(f"/api/v1/teams/{other_team.id}/invitations",
                    json={"phone": "13999990010"}).status_code == 201


def test_an_invitation_answers_alike_whether_or_not_the_number_is_registered(app, api, crew,
                                                                             make_user):
    """The answer was 404 user_not_found for a number nobody has and 201 naming "赵**" for
    one somebody has: any leader could learn who is on the platform. Now the status, the
    body and the leaders' list are alike; the number waits for whoever registers with it."""
    team, leader, _a, _b = crew()
    make_user(name="赵大爷", phone="13900001111")
    api.login(leader)
    url = f"/api/v1/teams/{team.id}/invitations"
    answers = [api.post(url, json={"phone": phone}) for phone in ("13900001111", "13900002222")]
    assert [r.status_code for r in answers] == [201, 201]
    bodies = [r.get_json() for r in answers]

    def shape(body):
        return {k: v for k, v in body.items() if k not in ("id", "phone", "created_at")}
    assert shape(bodies[0]) == shape(bodies[1])
    assert [b["phone"] for b in bodies] == ["139****1111", "139****2222"]
    assert "赵" not in str(bodies)
    listed = api.get(f"/api/v1/teams/{team.id}/pending").get_json()["invitations"]
    assert [shape(i) for i in listed] == [shape(bodies[0])] * 2
    assert [i["phone"] for i in listed] == ["139****1111", "139****2222"]
    # whoever registers with the waiting number finds the invitation in their messages
    from tests.conftest import ApiClient
    newcomer = ApiClient(app.test_client())
    made = newcomer.post("/api/v1/auth/register", json={
        "phone": "13900002222", "password": "correct horse 9", "name": "钱新来",
        "accept_privacy": True})
    assert made.status_code == 201, made.get_json()
    [invited] = newcomer.get("/api/v1/me/teams").get_json()["invited"]
    assert (invited["team_id"], invited["name"]) == (team.id, "钱新来")
    kinds = [n["kind"] for n in newcomer.get("/api/v1/me/notifications").get_json()["items"]]
    assert kinds.count("team_invited") == 1
    # taken back by its id, alike
    cancelled = api.post(f"{url}/{bodies[0]['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled_at"]
    _envelope(api.post(f"{url}/{bodies[0]['id']}/cancel"), 409, "team_already_answered")


def test_an_invitation_never_accepted_names_its_person_masked_to_the_leader(app, crew,
                                                                            make_user):
    team, leader, a, _b = crew()
    from tests.conftest import ApiClient
    boss, guest_api = ApiClient(app.test_client()), ApiClient(app.test_client())
    boss.login(leader)
    url = f"/api/v1/teams/{team.id}/invitations"
    # taken back by the leader: the answer does not name them
    first = make_user(name="孙大妈")
    made = boss.post(url, json={"phone": first.phone}).get_json()
    # its membership's id (made only for a number with an account) is not the leader's
    # to reach: every action on it is "not found", not a 409 that tells it exists
    from server.teams.models import Membership
    m_id = db.session.scalar(select(Membership.id).where(Membership.user_id == first.id))
    for action in ("decline", "cancel", "approve"):
        _envelope(boss.post(f"/api/v1/team-memberships/{m_id}/{action}"), 404,
                  "team_membership_not_found")
    taken_back = boss.post(f"{url}/{made['id']}/cancel").get_json()
    assert taken_back["cancelled_at"] and "孙" not in str(taken_back)
    # declined by the person: nor does the leader's notice
    second = make_user(name="钱大爷")
    boss.post(url, json={"phone": second.phone})
    guest_api.login(second)
    [mine] = guest_api.get("/api/v1/me/teams").get_json()["invited"]
    assert guest_api.post(f"/api/v1/team-memberships/{mine['id']}/decline").get_json()[
        "name"] == "钱大爷"  # to themselves, in full
    [notice] = boss.get("/api/v1/me/notifications").get_json()["items"]
    assert notice["kind"] == "team_invitation_declined"
    assert "钱**" in str(notice) and "钱大爷" not in str(notice)


def test_the_waiting_invitations_cost_the_same_statements_however_many(app, crew, make_user):
    """Each never-accepted invitation asked whether its person was known to the team, and
    read its person, one row at a time: the list and the page now read them together."""
    from sqlalchemy import event

    from server.extensions import db
    from tests.conftest import ApiClient
    from tests.pages import login
    team, leader, a, _b = crew()
    boss = ApiClient(app.test_client())
    boss.login(leader)
    page = app.test_client()
    login(page, leader)
    url = f"/api/v1/teams/{team.id}/invitations"
    services.leave(services.open_membership(team.id, a.id).id, user=a, now=clock.now())
    counted = []

    def count(*_args):
        counted[-1] += 1

    def statements(path):
        (page if path.startswith("/teams") else boss.client).get(path)  # warm
        counted.append(0)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            resp = (page if path.startswith("/teams") else boss.client).get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert resp.status_code == 200
        return counted[-1], resp

    seen = []
    for n, person in enumerate([a, *(make_user(name=f"孙{n}号") for n in range(5))]):
        boss.post(url, json={"phone": person.phone})
        boss.post(url, json={"phone": f"1399888000{n}"})  # a number nobody has
        if n in (1, 5):
            api_count, listed = statements(f"/api/v1/teams/{team.id}/pending")
            page_count, _shown = statements(f"/teams/{team.id}/manage")
            seen.append((api_count, page_count))
            shown = str(listed.get_json()["invitations"])
            assert "王芳" not in shown and "孙" not in shown  # numbers, masked; no names
            assert len(listed.get_json()["invitations"]) == 2 * (n + 1)
    assert seen[0] == seen[1], seen
