"""Confirming at the same instant: one import writes once; two imports of the same roster
never make a person or an hour twice (the unique indexes decide)."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.extensions import db
from server.hours.models import HourEntry
from server.imports import services
from tests.imports.conftest import xlsx
from tests.racing import race

pytestmark = pytest.mark.concurrency


def _roster(world) -> bytes:
    return xlsx(people=[["张三", "13812345678", "运河园社区", "", ""]],
                hours=[["13812345678", "法律讲堂", world.day, 2]])


def _counts():
    return (db.session.scalar(select(func.count()).select_from(User)
                              .where(User.phone == "13812345678")),
            db.session.scalar(select(func.count()).select_from(HourEntry)))


def _confirm(file_id, actor_id, now):
    def call():
        actor = db.session.get(User, actor_id)
        return services.confirm(services.get_import(file_id, actor), actor=actor,
                                now=now).status
    return call


def test_one_import_confirmed_three_times_at_once_writes_once(app, world, now):
    file = services.check_upload(actor=world.coordinator, node=world.street, filename="a",
                                 stream=io.BytesIO(_roster(world)), now=now)
    db.session.commit()
    file_id, actor_id = file.id, world.coordinator.id
    results = race(app, [_confirm(file_id, actor_id, now) for _ in range(3)])
    assert Counter(results) == {"confirmed": 1, "import_already_confirmed": 2}
    assert _counts() == (1, 1)


def test_the_same_roster_uploaded_twice_and_confirmed_at_once(app, world, now):
    ids = []
    for name in ("a", "b"):
        ids.append(services.check_upload(actor=world.coordinator, node=world.street,
                                         filename=name, stream=io.BytesIO(_roster(world)),
                                         now=now).id)
    db.session.commit()
    actor_id = world.coordinator.id
    results = race(app, [_confirm(i, actor_id, now) for i in ids])
    # the loser either waited and found the person (SQLite), or met the unique index
    # (PostgreSQL; the request's unit of work runs it again, and then it finds them)
    assert "confirmed" in results
    assert _counts() == (1, 1)
