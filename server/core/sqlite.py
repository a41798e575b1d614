"""SQLite, the embedded default, made safe for concurrent writers.

pysqlite begins transactions lazily and only before writes, so a sign-up that
counts places and then inserts could interleave with another. Every transaction
here starts with BEGIN IMMEDIATE instead: writers queue up and a read-then-write is
atomic. PostgreSQL uses row locks (with_for_update) instead.

Waiting for the write lock: SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms
and more between tries, so with several processes writing short transactions (scans at
the door) a waiter sleeps far longer than the lock is held. BEGIN IMMEDIATE is retried
here with short sleeps (50 µs, doubling to 1 ms) until the busy timeout instead.
"""

from __future__ import annotations

import sqlite3
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from server.extensions import db

READ_ONLY = "wushe_read_only"  # an execution option; PostgreSQL ignores it
BUSY_TIMEOUT_MS = 30000
_FIRST_WAIT, _LONGEST_WAIT = 0.00005, 0.001


def _begin_writing(dbapi_connection) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock in short steps (up to the timeout)."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")  # each try answers at once
    try:
        wait, deadline = _FIRST_WAIT, time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    # as SQLAlchemy raises it: the unit of work retries it (core.http)
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            time.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)
    finally:
        # other waits (a checkpoint, a migration's lock) keep SQLite's own handler
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


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
        read_only = conn.get_execution_options().get(READ_ONLY)
        # on the driver's connection: every transaction begins here, and a statement
        # through SQLAlchemy (events, result) would cost more than BEGIN itself
        dbapi_connection = conn.connection.dbapi_connection
        if read_only:
            dbapi_connection.execute("BEGIN DEFERRED")
        else:
            _begin_writing(dbapi_connection)


def install(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        _setup(db.engine)
