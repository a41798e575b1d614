"""Confirming at the same instant: one import writes once; two imports of the same roster
never make a person or an hour twice (the unique indexes decide); a confirm beside a cancel
writes no hours for the cancelled activity."""

from __future__ import annotations

import io
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from server.accounts.models import User
from server.core.clock import local
from server.extensions import db
from server.hours.models import HourEntry
from server.imports import services
from server.imports.models import ImportRow
from tests.imports.conftest import xlsx
from tests.live import server_waits_on
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


@pytest.mark.postgresql
def test_a_confirm_waits_for_a_cancel_under_way_and_writes_no_hours_for_it(
        gunicorn, connect, world, now, make_activity):
    """The cancel (another transaction, here the test's own connection) holds the activity
    while it looks for hours and cancels it; the confirm of a roster with hours for it,
    in a gunicorn worker, waits for it, then refuses those hours: none count for an
    activity that did not happen."""
    visit = make_activity(org=world.org, node=world.home, title="入户走访",
                          starts_in=timedelta(hours=-3), hours=1)
    data = xlsx(people=[["张三", "13812345678", "运河园社区", "", ""]],
                hours=[["13812345678", "入户走访", local(visit.starts_at).date().isoformat(), 1]])
    file = services.check_upload(actor=world.coordinator, node=world.street, filename="a",
                                 stream=io.BytesIO(data), now=now)
    db.session.commit()
    file_id, visit_id = file.id, visit.id
    desk = connect(world.coordinator)
    answer: list = []
    with db.engine.connect() as cancel:
        cancel.execute(text("SET lock_timeout = '10s'"))
        cancel.execute(text("SELECT id FROM activities WHERE id = :id FOR NO KEY UPDATE"),
                       {"id": visit_id})
        thread = threading.Thread(target=lambda: answer.append(
            desk.call("POST", f"/api/v1/imports/{file_id}/confirm", {})))
        thread.start()
        server_waits_on("activities")
        cancel.execute(text("UPDATE activities SET status = 'cancelled' WHERE id = :id"),
                       {"id": visit_id})
        cancel.commit()
    thread.join(timeout=60)
    status, body, _ = answer[0]
    assert status == 200, body
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 0
    assert db.session.scalar(select(ImportRow.reason).where(
        ImportRow.file_id == file_id, ImportRow.sheet == "hours")) == "activity_cancelled"
