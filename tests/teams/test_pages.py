"""Team pages, as a person sees them: what each viewer may do is what they are offered."""

from __future__ import annotations

from datetime import timedelta

from server.extensions import db
from server.hours.models import HourEntry, HourReview
from server.teams import services
from tests.pages import EN, login, text


def test_the_list_finds_teams_by_words(client, crew, make_team):
    crew()
    make_team(name="魏善庄镇助老服务队")
    page = text(client.get("/teams"))
    assert "运河园社区 BQteam-贤妈智囊团" in page and "魏善庄镇助老服务队" in page
    assert "3 members" in text(client.get("/teams", headers=EN))
    found = text(client.get("/teams?q=助老"))
    assert "魏善庄镇助老服务队" in found and "贤妈智囊团" not in found


def test_a_visitor_sees_the_total_but_not_the_members(client, crew, make_activity, now):
    team, leader, a, _b = crew()
    past = make_activity(starts_in=timedelta(days=1), status="published")
    entry = HourEntry(user_id=a.id, activity_id=past.id, kind="retroactive", minutes=90,
                      sources=[], flags=[], created_at=now)
    db.session.add(entry)
    db.session.flush()
    db.session.add(HourReview(entry_id=entry.id, decision="approved", decided_at=now))
    db.session.flush()
    page = text(client.get(f"/teams/{team.id}", headers=EN))
    assert 'data-testid="team-hours"><span class="hours-num">1.5</span>' in page
    assert "贤***" in page and "贤妈队长" not in page and "Log in to join" in page
    assert "王芳" not in page and "Manage the team" not in page


def test_asking_to_join_then_the_leader_approves(app, client, crew, make_user):
    team, leader, _a, _b = crew()
    person = make_user(name="张阿姨")
    token = login(client, person)
    page = text(client.get(f"/teams/{team.id}"))
    assert "申请加入" in page and "管理服务队" not in page
    resp = client.post(f"/teams/{team.id}/join", data={"csrf_token": token,
                                                       "message": "想参加"})
    assert resp.status_code == 302
    page = text(client.get(f"/teams/{team.id}"))
    assert "您的申请正在等待队长审核" in page and "申请加入" not in page

    boss = app.test_client()
    boss_token = login(boss, leader)
    manage = text(boss.get(f"/teams/{team.id}/manage"))
    assert "张阿姨" in manage and person.phone not in manage
    assert person.phone[:3] + "****" + person.phone[-4:] in manage
    mid = services.open_membership(team.id, person.id).id
    resp = boss.post(f"/team-memberships/{mid}/approve",
                     data={"csrf_token": boss_token, "next": f"/teams/{team.id}/manage"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/manage")
    page = text(client.get(f"/teams/{team.id}"))
    assert "您是本队队员" in page and "退出服务队" in page
    assert 'data-confirm="确定退出本队吗？"' in page  # leaving asks first


def test_invitation_shows_on_my_teams_and_is_accepted(app, client, crew, make_user):
    team, leader, _a, _b = crew()
    guest = make_user(name="赵大爷")
    boss = app.test_client()
    boss_token = login(boss, leader)
    resp = boss.post(f"/teams/{team.id}/invite", data={"csrf_token": boss_token,
                                                       "phone": "123"})
    assert resp.status_code == 422 and "请输入以1开头的11位" in text(resp)
    resp = boss.post(f"/teams/{team.id}/invite", data={"csrf_token": boss_token,
                                                       "phone": guest.phone})
    assert resp.status_code == 302
    flashed = text(boss.get(f"/teams/{team.id}/manage"))
    # the same words and list whether or not the number has an account: the number
    # masked, no name (not even 赵**)
    resp = boss.post(f"/teams/{team.id}/invite", data={"csrf_token": boss_token,
                                                       "phone": "13999997777"})
    assert resp.status_code == 302
    waiting = text(boss.get(f"/teams/{team.id}/manage"))
    said = "邀请已记录。如果该号码已注册，机主会在消息中看到；如果尚未注册，注册后即可看到。"
    assert said in flashed and said in waiting
    assert guest.phone[:3] + "****" + guest.phone[-4:] in waiting and "139****7777" in waiting
    assert "赵" not in waiting
    token = login(client, guest)
    assert "我的服务队" in text(client.get("/me"))
    mine = text(client.get("/me/teams"))
    assert "贤妈智囊团" in mine and "贤妈队长" in mine
    mid = services.open_membership(team.id, guest.id).id
    inbox = text(client.get("/me/notifications"))
    assert "贤妈队长邀请您加入志愿服务队“运河园社区 BQteam-贤妈智囊团”" in inbox
    assert f"/team-memberships/{mid}/accept" in inbox  # accept from the message itself
    resp = client.post(f"/team-memberships/{mid}/accept",
                       data={"csrf_token": token, "next": "/me/teams"})
    assert resp.status_code == 302
    assert "队员" in text(client.get("/me/teams"))
    assert f"/team-memberships/{mid}/accept" not in text(client.get("/me/notifications"))
    assert "赵大爷" in text(boss.get(f"/teams/{team.id}/manage"))  # a member: named


def test_the_only_leader_is_not_offered_leaving(client, crew):
    team, leader, _a, _b = crew()
    login(client, leader)
    page = text(client.get(f"/teams/{team.id}"))
    assert "您是本队唯一的队长" in page and "退出服务队" not in page
    assert "管理服务队" in page


def test_a_member_is_not_offered_leader_actions(client, crew):
    team, _leader, a, _b = crew()
    login(client, a)
    page = text(client.get(f"/teams/{team.id}"))
    assert "管理服务队" not in page and "王芳" in page
    assert client.get(f"/teams/{team.id}/manage").status_code == 403


def test_the_leader_signs_members_up_and_sees_each_result(app, client, crew, make_activity):
    team, leader, a, b = crew()
    activity = make_activity(title="敬老院读书会", capacity=1)
    token = login(client, leader)
    manage = text(client.get(f"/teams/{team.id}/manage"))
    assert "敬老院读书会" in manage and 'name="user_ids"' in manage
    resp = client.post(f"/teams/{team.id}/signups",
                       data={"csrf_token": token, "activity_id": activity.id,
                             "user_ids": [a.id, b.id]})
    assert resp.status_code == 200
    page = text(resp)
    assert "已报上名" in page and "在候补名单上" in page
    resp = client.post(f"/teams/{team.id}/signups",
                       data={"csrf_token": token, "activity_id": "", "user_ids": [a.id]})
    assert resp.status_code == 422


def test_members_entered_in_a_lottery_are_shown_and_told_as_entries(
        app, client, crew, make_activity, now):
    """A lottery not drawn yet: the results say "in the lottery" (the page showed "None"),
    and the member is told of an entry, not of a place."""
    from server.activities import lottery
    from server.notifications.models import Notification
    from server.notifications.services import render
    team, leader, a, _b = crew()
    seed, commitment = lottery.new_seed()
    lot = make_activity(title="亲子阅读抽签场", capacity=1, starts_in=timedelta(days=3),
                        signup_mode="lottery", signup_opens_at=now - timedelta(hours=1),
                        signup_closes_at=now + timedelta(days=1), lottery_seed=seed,
                        lottery_commitment=commitment)
    token = login(client, leader)
    page = text(client.post(f"/teams/{team.id}/signups", data={
        "csrf_token": token, "activity_id": lot.id, "user_ids": [a.id]}))
    assert "抽签中" in page and "None" not in page
    told = db.session.scalar(db.select(Notification).where(Notification.user_id == a.id))
    assert told.kind == "team_signed_up" and told.params["status"] == "entered"
    assert "抽签" in render(told) and "已为您报名" not in render(told)


def test_the_leader_names_a_leader_and_removes_a_member_with_a_reason(client, crew):
    team, leader, a, b = crew()
    token = login(client, leader)
    manage = text(client.get(f"/teams/{team.id}/manage"))
    assert manage.count('data-confirm=') >= 4  # each change asks first
    ma, mb = (services.open_membership(team.id, p.id).id for p in (a, b))
    resp = client.post(f"/team-memberships/{ma}/role", data={"csrf_token": token,
                                                             "role": "leader"})
    assert resp.status_code == 302 and services.is_leader(a, team)
    refused = client.post(f"/team-memberships/{mb}/remove", data={"csrf_token": token,
                                                                  "reason": ""})
    assert refused.status_code == 302
    warned = text(client.get(f"/teams/{team.id}/manage"))
    assert "部分内容需要修改" in warned and services.open_membership(team.id, b.id)
    client.post(f"/team-memberships/{mb}/remove", data={"csrf_token": token,
                                                        "reason": "长期未参加活动"})
    assert services.open_membership(team.id, b.id) is None
    page = text(client.get(f"/teams/{team.id}"))
    assert "李秀英" not in page and "王芳" in page


def test_a_leader_who_steps_down_lands_on_the_team_page_with_the_success(client, crew):
    team, leader, a, _b = crew()
    token = login(client, leader)
    ma, mine = (services.open_membership(team.id, p.id).id for p in (a, leader))
    resp = client.post(f"/team-memberships/{ma}/role", data={"csrf_token": token,
                                                             "role": "leader"})
    assert resp.headers["Location"].endswith(f"/teams/{team.id}/manage")  # still a leader
    client.get(resp.headers["Location"])  # the toast shown
    resp = client.post(f"/team-memberships/{mine}/role", data={"csrf_token": token,
                                                               "role": "member"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/teams/{team.id}")
    landed = client.get(resp.headers["Location"])
    assert landed.status_code == 200 and "角色已更改。" in text(landed)
    assert not services.is_leader(leader, team)


def test_a_leader_who_removes_themselves_or_leaves_from_the_manage_page_is_not_refused(
        app, client, crew):
    team, leader, a, b = crew()
    services.set_role(services.open_membership(team.id, a.id).id, role="leader", actor=leader,
                      now=services.open_membership(team.id, a.id).joined_at)
    token = login(client, leader)
    mine = services.open_membership(team.id, leader.id).id
    resp = client.post(f"/team-memberships/{mine}/remove", data={"csrf_token": token,
                                                                 "reason": "交接"})
    assert resp.headers["Location"].endswith(f"/teams/{team.id}")
    assert client.get(resp.headers["Location"]).status_code == 200

    other = app.test_client()
    other_token = login(other, a)
    services.set_role(services.open_membership(team.id, b.id).id, role="leader", actor=a,
                      now=services.open_membership(team.id, b.id).joined_at)
    own = services.open_membership(team.id, a.id).id
    resp = other.post(f"/team-memberships/{own}/leave",
                      data={"csrf_token": other_token, "next": f"/teams/{team.id}/manage"})
    assert resp.headers["Location"].endswith(f"/teams/{team.id}")
    landed = other.get(resp.headers["Location"])
    assert landed.status_code == 200 and "您已退出服务队" in text(landed)
