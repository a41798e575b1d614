"""PostgreSQL may end a pooled connection (a restart, an idle timeout): one that was idle
is pinged when taken from the pool and replaced; one that was working a moment ago is not
pinged, fails its first statement with an error the unit of work retries."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from server.core import postgres
from server.core.http import is_transient
from server.extensions import db

pytestmark = pytest.mark.postgresql


@pytest.fixture
def engine():
    made = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    postgres._setup(made)
    yield made
    made.dispose()


def _end(pid: int) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_an_idle_connection_that_was_ended_is_replaced(engine, monkeypatch):
    first = _pid(engine)
    _end(first)
    monkeypatch.setattr(postgres, "IDLE_PING_SECONDS", 0.0)  # it counts as idle now
    second = _pid(engine)  # no error: the ping found it gone, the pool connected anew
    assert second != first


def test_a_connection_just_used_is_not_pinged_and_fails_as_transient(engine, monkeypatch):
    monkeypatch.setattr(postgres, "IDLE_PING_SECONDS", 3600.0)
    first = _pid(engine)
    _end(first)
    with pytest.raises(OperationalError) as failed:
        _pid(engine)
    assert failed.value.connection_invalidated and is_transient(failed.value)
    assert _pid(engine) != first  # the pool dropped it: the next one is fresh
