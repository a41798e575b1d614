"""SQLite, the embedded default, made safe for concurrent writers.

pysqlite begins transactions lazily and only before writes, so a sign-up that
counts places and then inserts could interleave with another. Every transaction
here starts with BEGIN IMMEDIATE instead: writers queue up and a read-then-write is
atomic. PostgreSQL uses row locks (with_for_update) instead.

Writers wait for the lock in SQLite's own busy handler (up to BUSY_TIMEOUT_MS). Retrying
BEGIN IMMEDIATE in short sleeps instead was measured (scan_bench, 4 workers): the same
scans a second for a quarter more CPU, so the busy handler stays.
"""

from __future__ import annotations

import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from server.extensions import db

READ_ONLY = "wushe_read_only"  # an execution option; PostgreSQL ignores it
BUSY_TIMEOUT_MS = 30000


def _setup(engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL stays consistent after a crash; only the last commits before a
        # power cut may be lost. The embedded default trades that for fast scans.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # READ_ONLY: a long read (an export written in the background) that must not hold
        # the write lock, so that others, its own progress included, can write meanwhile
        begin(conn.connection.dbapi_connection,
              read_only=bool(conn.get_execution_options().get(READ_ONLY)))


def begin(dbapi_connection, *, read_only: bool = False) -> None:
    """Every SQLite transaction begins here, on the driver's connection (the session's, by
    the listener above, and server.core.direct's own): IMMEDIATE, or DEFERRED for a long
    read. A statement through SQLAlchemy (events, result) would cost more than BEGIN."""
    statement = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
    try:
        dbapi_connection.execute(statement)
    except sqlite3.OperationalError as exc:
        # as SQLAlchemy raises a driver's error: the unit of work retries it (core.http)
        raise OperationalError(statement, None, exc) from exc


def install(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        _setup(db.engine)
