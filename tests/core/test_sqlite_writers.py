"""SQLite's one write lock: a writer waits for it (the busy timeout), then gives up with
an error the unit of work knows for a transient one.

Real connections to a real database file (SQLite only: PostgreSQL has row locks)."""

from __future__ import annotations

import sqlite3
import threading

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


def test_a_writer_gives_up_at_the_busy_timeout_with_a_transient_error(engine, monkeypatch):
    monkeypatch.setattr(wushe_sqlite, "BUSY_TIMEOUT_MS", 200)  # read when a connection opens
    engine.dispose()
    holder = engine.connect()
    holder.begin()
    holder.execute(text("UPDATE tally SET n = n + 1"))
    with pytest.raises(OperationalError) as refused:
        with engine.begin() as conn:
            conn.execute(text("UPDATE tally SET n = n + 10"))
    holder.rollback()
    holder.close()
    # as SQLAlchemy raises a driver's error: the unit of work retries it, then says "busy"
    assert isinstance(refused.value.orig, sqlite3.OperationalError)
    assert "locked" in str(refused.value.orig)
    assert is_transient(refused.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM tally")).scalar() == 0
