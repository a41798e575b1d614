"""BQteam's people, joined through the team services before the history begins, so the
team page shows its members and its hours total: 张丽娜 (its organiser) invites the first
mothers and makes 王芳 a leader; 郭燕 asks and 王芳 approves. Waiting now: 高洁's
request for the leaders, and an invitation for 罗兰 to answer."""

from __future__ import annotations

from datetime import timedelta

from server.demo.story import Story
from server.demo.world import World
from server.teams import invitations
from server.teams import services as teams

BQTEAM = "运河园社区 BQteam-贤妈智囊团"
FIRST = "王芳 李秀英 陈静 杨敏 赵丽 吴婷 徐娜 朱琳"


def seed_team(s: Story, w: World, *, weeks: int) -> None:
    team, zhang = w.orgs[BQTEAM], w["张丽娜"]
    start = s.at(-7 * weeks - 30, 10)
    for i, person in enumerate(w.crew(FIRST)):
        at = start + timedelta(minutes=i)
        invited = invitations.invite(team, phone=person.phone, actor=zhang, now=at)
        invitations.deliver(invited.id, actor=zhang, now=at)  # as after the answer
        teams.answer_invitation(invited.membership_id, user=person, accept=True,
                                now=start + timedelta(hours=2 + i))
    leader = teams.open_membership(team.id, w["王芳"].id)
    teams.set_role(leader.id, role="leader", actor=zhang, now=start + timedelta(days=1))
    asked = teams.request_to_join(team, user=w["郭燕"], now=start + timedelta(days=3),
                                  message="我也是全职妈妈，想一起参加助老活动。")
    teams.answer_request(asked.id, actor=w["王芳"], approve=True,
                         now=start + timedelta(days=3, hours=2))
    teams.request_to_join(team, user=w["高洁"], now=s.at(-1, 20),
                          message="周末有空，想参加绘本共读。")
    invited = invitations.invite(team, phone=w["罗兰"].phone, actor=w["王芳"], now=s.at(-2, 19))
    invitations.deliver(invited.id, actor=w["王芳"], now=s.at(-2, 19))
