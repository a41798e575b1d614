"""SQLite's one write lock: a writer waits for it in short steps, and gives up at the timeout.

Real connections to a real database file (SQLite only: PostgreSQL has row locks)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from server.core import sqlite as wushe_sqlite
from server.core.http import is_transient


@pytest.fixture
def engine(tmp_path):
    """An engine set up as the app's (WAL, every transaction BEGIN IMMEDIATE)."""
    made = create_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    wushe_sqlite._setup(made)
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE tally (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO tally VALUES (0)"))
    yield made
    made.dispose()


def test_a_writer_waits_for_the_lock_and_then_writes(engine):
    holder = engine.connect()
    holder.begin()
    holder.execute(text("UPDATE tally SET n = n + 1"))
    done = threading.Event()

    def second():
        with engine.begin() as conn:  # waits in BEGIN IMMEDIATE until the holder commits
            conn.execute(text("UPDATE tally SET n = n + 10"))
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not done.wait(0.3)  # still waiting while the lock is held
    holder.commit()
    holder.close()
    assert done.wait(5)
    thread.join()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM tally")).scalar() == 11
        # the connection's busy timeout is back where it was after the wait
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == \
            wushe_sqlite.BUSY_TIMEOUT_MS


def test_a_writer_gives_up_at_the_busy_timeout(engine, monkeypatch):
    monkeypatch.setattr(wushe_sqlite, "BUSY_TIMEOUT_MS", 200)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("UPDATE tally SET n = n + 1"))
    started = time.monotonic()
    with pytest.raises(OperationalError) as refused:
        with engine.begin() as conn:
            conn.execute(text("UPDATE tally SET n = n + 10"))
    waited = time.monotonic() - started
    holder.rollback()
    holder.close()
    # as SQLAlchemy raises a driver's error: the unit of work knows it for a transient one
    assert isinstance(refused.value.orig, sqlite3.OperationalError)
    assert is_transient(refused.value)
    assert waited >= 0.2  # it did wait, up to the timeout, before giving up
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM tally")).scalar() == 0
