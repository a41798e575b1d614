"""The demo's team: BQteam's mothers joined through the team services, with hours."""

from __future__ import annotations

from server.communities.models import Organisation
from server.demo.seed import empty_database, seed
from server.extensions import db
from server.teams import queries
from server.teams.models import Membership


def test_the_demo_team_has_leaders_members_hours_and_work_waiting(now):
    empty_database()
    seed(now=now)
    team = db.session.query(Organisation).filter_by(name="运河园社区 BQteam-贤妈智囊团").one()
    view = queries.team_view(team, None)
    assert view.leaders == ["王*"] and view.member_count == 9  # masked to the public
    assert view.total_minutes > 100 * 60  # 李秀英's weekly visits alone pass 100 hours
    waiting = {m.state: m.user.name for m in db.session.query(Membership).filter(
        Membership.state.in_(("requested", "invited")))}
    assert waiting == {"requested": "高洁", "invited": "罗兰"}
