"""Hand-written statements on the session's connection (server.core.direct) keep what
SQLAlchemy gives: typed values both ways, listeners that see each statement, its errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

from server.accounts.models import User
from server.core import direct
from server.core.db import UTCDateTime
from server.core.sqlite import READ_ONLY
from server.extensions import db


def test_times_go_in_and_come_back_as_aware_utc():
    statement = direct.prepare("SELECT :at AS at, :n AS n", binds={"at": UTCDateTime()},
                               results={"at": UTCDateTime()})
    beijing = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    row = direct.OnSession().fetch_one(statement, {"at": beijing, "n": 7})
    assert row.at == beijing and row.at.tzinfo == UTC and row.n == 7
    assert direct.OnSession().fetch_one(statement, {"at": None, "n": None}) == (None, None)


def test_it_runs_in_the_sessions_transaction_and_listeners_see_it(make_user):
    person = make_user(name="直接读")  # flushed in the session, not committed
    seen: list[str] = []

    def log(conn, cursor, statement, params, context, executemany):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        row = direct.OnSession().fetch_one(
            direct.prepare("SELECT name FROM users WHERE id = :id"), {"id": person.id})
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    assert row.name == "直接读"
    assert len(seen) == 1 and "FROM users" in seen[0]


def test_a_write_is_rolled_back_with_the_session(make_user):
    person = make_user(name="改名前")
    db.session.commit()  # a savepoint of the test's transaction
    direct.OnSession().execute(direct.prepare("UPDATE users SET name = :name WHERE id = :id"),
                               {"name": "改名后", "id": person.id})
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.id == person.id)) == "改名前"


def test_a_driver_error_is_sqlalchemys_and_the_session_goes_on(make_user):
    person = make_user()
    db.session.commit()
    with pytest.raises(DBAPIError) as raised:
        direct.OnSession().fetch_one(
            direct.prepare("SELECT * FROM no_such_table WHERE id = :id"), {"id": 1})
    assert "no_such_table" in str(raised.value) and raised.value.orig is not None
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.id == person.id)) == 1


def _seen_from_elsewhere(person_id: int) -> str | None:
    """The person's name as another connection sees it: committed, or not there."""
    with db.engine.connect() as other:
        return other.scalar(select(User.name).where(User.id == person_id))


@pytest.mark.postgresql
@pytest.mark.concurrency  # real commits: the session begins no transaction of the test's
def test_each_commits_on_a_session_not_begun_takes_a_pooled_connection_of_its_own(make_user):
    person_id = make_user(name="原名").id
    db.session.commit()  # the session has not begun again
    pool = db.engine.pool
    taken = pool.checkedout()
    with direct.OnSession(each_commits=True) as on:
        assert on.each_commits and pool.checkedout() == taken + 1
        on.execute(direct.prepare("UPDATE users SET name = :name WHERE id = :id"),
                   {"name": "自己提交", "id": person_id})
        # committed as the statement ended; the session has begun nothing
        assert _seen_from_elsewhere(person_id) == "自己提交"
        assert not db.session().in_transaction()
    driver = on.driver
    assert pool.checkedout() == taken and not driver.autocommit  # back, as the pool had it


@pytest.mark.postgresql
@pytest.mark.concurrency
def test_each_commits_on_a_begun_session_commits_each_statement_on_its_connection(make_user):
    person = make_user(name="原名")
    db.session.commit()
    db.session.connection()  # the session has begun; nothing has run on the server yet
    rename = direct.prepare("UPDATE users SET name = :name WHERE id = :id")
    with direct.OnSession(each_commits=True) as on:
        assert on.each_commits
        on.execute(rename, {"name": "自己提交", "id": person.id})
        assert _seen_from_elsewhere(person.id) == "自己提交"
    assert not on.driver.autocommit  # back as the session expects it: in a transaction
    direct.OnSession().execute(rename, {"name": "等提交", "id": person.id})
    assert _seen_from_elsewhere(person.id) == "自己提交"
    db.session.rollback()
    assert _seen_from_elsewhere(person.id) == "自己提交"


@pytest.mark.postgresql
def test_each_commits_inside_a_begun_transaction_runs_in_it(make_user):
    person = make_user(name="原名")
    db.session.commit()  # a savepoint: the test's transaction has begun on the server
    with direct.OnSession(each_commits=True) as on:
        assert not on.each_commits
        on.execute(direct.prepare("UPDATE users SET name = :name WHERE id = :id"),
                   {"name": "不提交", "id": person.id})
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.id == person.id)) == "原名"


@pytest.fixture
def committed_person(make_user):
    """A person committed (the session has not begun again), the pool's count of
    connections taken, and a statement renaming them."""
    person_id = make_user(name="原名").id
    db.session.commit()
    rename = direct.prepare("UPDATE users SET name = :name WHERE id = :id")
    return person_id, db.engine.pool.checkedout(), rename


@pytest.mark.sqlite
@pytest.mark.concurrency  # real commits: the session begins no transaction of the test's
def test_each_commits_on_sqlite_is_one_transaction_of_its_own_committed_on_leaving(
        committed_person):
    person_id, taken, rename = committed_person
    pool = db.engine.pool
    with direct.OnSession(each_commits=True) as on:
        assert on.each_commits and pool.checkedout() == taken + 1
        assert on.driver.in_transaction  # BEGIN IMMEDIATE: the write lock, held from here
        on.execute(rename, {"name": "一起提交", "id": person_id})
        on.execute(rename, {"name": "两句一起提交", "id": person_id})
        # not before leaving (read without the write lock, which this block holds)
        with db.engine.connect().execution_options(**{READ_ONLY: True}) as other:
            assert other.scalar(select(User.name).where(User.id == person_id)) == "原名"
        assert not db.session.registry.has() or not db.session().in_transaction()
    assert on.committed and not on.driver.in_transaction
    assert _seen_from_elsewhere(person_id) == "两句一起提交"
    assert pool.checkedout() == taken


@pytest.mark.sqlite
@pytest.mark.concurrency
def test_each_commits_on_sqlite_rolls_back_all_of_it_on_an_error(committed_person):
    person_id, taken, rename = committed_person
    with pytest.raises(DBAPIError), direct.OnSession(each_commits=True) as on:
        on.execute(rename, {"name": "不该留下", "id": person_id})
        on.execute(direct.prepare("SELECT * FROM no_such_table"), {})
    assert not on.committed and not on.driver.in_transaction
    assert _seen_from_elsewhere(person_id) == "原名"
    assert db.engine.pool.checkedout() == taken
