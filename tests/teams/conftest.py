"""Team fixtures: a volunteer team, and people already in it."""

from __future__ import annotations

import pytest

from server.extensions import db
from server.teams.models import Membership


@pytest.fixture
def make_team(make_org):
    def make(name=None, node=None):
        return make_org(name=name, node=node, kind="volunteer_team")
    return make


@pytest.fixture
def enrol(now):
    """enrol(team, user, role="member", at=now): an active member since `at`."""
    def make(team, user, role="member", at=None):
        m = Membership(team_id=team.id, user_id=user.id, state="active", role=role,
                       origin="invitation", created_at=at or now, created_by_id=user.id,
                       decided_at=at or now, decided_by_id=user.id, joined_at=at or now)
        db.session.add(m)
        db.session.flush()
        return m
    return make


@pytest.fixture
def crew(make_team, make_user, enrol):
    """A team with one leader (队长) and two members."""
    def make():
        team = make_team(name="运河园社区 BQteam-贤妈智囊团")
        leader = make_user(name="贤妈队长")
        a, b = make_user(name="王芳"), make_user(name="李秀英")
        enrol(team, leader, role="leader")
        enrol(team, a)
        enrol(team, b)
        return team, leader, a, b
    return make
