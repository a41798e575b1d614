"""PostgreSQL connections that PostgreSQL may have ended (a restart, a failover, an idle
timeout on the way): a connection idle for a while is pinged when it is taken from the
pool, and replaced if it is gone.

SQLAlchemy's pool_pre_ping pings on every checkout, a round trip per request. A connection
taken again within IDLE_PING_SECONDS is not pinged: it was just working. If it was ended
meanwhile, its first statement fails, the pool drops it, and a request's unit of work
(its before-request gates included) retries on a fresh one (core.http.is_transient).
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from server.extensions import db

IDLE_PING_SECONDS = 10.0
_RETURNED = "wushe_returned_at"


def _setup(engine) -> None:
    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, record, proxy) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure: this connection is gone
            # the pool drops this connection and takes another (up to three times)
            raise DisconnectionError(str(exc)) from exc


def install(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    with app.app_context():
        _setup(db.engine)
