"""The demo data loads from the seed article, twice without duplicating."""

from __future__ import annotations

from sqlalchemy import func, select

from server.activities.models import Activity, Signup
from server.communities.models import Node, Organisation
from server.demo.seed import seed
from server.extensions import db


def test_seed_is_idempotent_and_tells_the_story(now):
    first = seed(now=now)
    second = seed(now=now)
    assert first == second
    assert {role for role, *_ in first} == {"resident", "organiser", "coordinator", "admin"}
    names = set(db.session.scalars(select(Node.name)))
    assert {"大兴区", "魏善庄镇", "赵庄子村", "通州区", "通运街道", "运河园社区"} <= names
    assert db.session.scalar(select(func.count()).select_from(Node).where(
        Node.name == "大兴区")) == 1
    assert db.session.scalar(select(Organisation.id).where(
        Organisation.name == "运河园社区 BQteam-贤妈智囊团"))
    books = db.session.scalar(select(Activity).where(Activity.kind == "book_drive",
                                                     Activity.capacity == 8))
    statuses = list(db.session.scalars(select(Signup.status).where(
        Signup.activity_id == books.id)))
    assert statuses.count("confirmed") == 8 and statuses.count("waitlisted") == 3


def test_a_later_run_moves_the_demo_to_today(now):
    from datetime import timedelta
    seed(now=now)
    first = db.session.scalar(select(func.min(Activity.starts_at)))
    seed(now=now + timedelta(days=30))
    assert db.session.scalar(select(func.min(Activity.starts_at))) == first + timedelta(days=30)
