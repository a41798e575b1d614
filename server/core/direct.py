"""Hand-written statements for a hot path, run on the session's own connection.

The scan at the door (checkin.live) is two or three fixed statements. Through SQLAlchemy each
cost about 0.1 ms of the app's CPU beyond the driver's own work: building a result object,
reading the driver's column descriptions (psycopg makes an object per column, per
execution) and matching them to the statement's columns. Here a statement is written once
in SQL, with `:name` parameters, and run on the driver's cursor of the session's
connection, in the session's transaction (so the unit of work commits or rolls it back as
any other, and a test's transaction holds it too). What SQLAlchemy would still have done
is kept:

- parameters and results go through the column types' own processors (UTC datetimes on
  SQLite are text);
- listeners of `before_cursor_execute` see every statement (the statement budgets in the
  tests count them);
- a driver error is raised as SQLAlchemy's (IntegrityError, OperationalError, …), so the
  unit of work retries a deadlock or a lost connection as it does for any other
  statement, and a dead connection is invalidated, not returned to the pool.

The SQL is the caller's, written for the database it runs on; `:name` is a parameter
wherever it appears (write no such text inside a string literal).
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from server.core import sqlite
from server.extensions import db

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


@dataclass
class Statement:
    """One statement for one database: its SQL in the driver's style, the processors of
    the parameters and columns that need one, and its rows' shape (learnt once)."""

    sql: str
    binds: dict[str, Callable[[Any], Any]]
    results: dict[str, Callable[[Any], Any]]
    _row: Callable | None = field(default=None, repr=False)
    _processors: tuple = field(default=(), repr=False)

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for name, process in self.binds.items():
            if out.get(name) is not None:
                out[name] = process(out[name])
        return out

    def row(self, cursor, raw: tuple):
        if self._row is None:
            names = [d[0] for d in cursor.description]
            self._processors = tuple((i, self.results[n]) for i, n in enumerate(names)
                                     if n in self.results)
            self._row = namedtuple("Row", names)._make
        values = list(raw)
        for i, process in self._processors:
            if values[i] is not None:
                values[i] = process(values[i])
        return self._row(values)


def prepare(sql: str, *, binds: Mapping[str, TypeEngine] | None = None,
            results: Mapping[str, TypeEngine] | None = None) -> Statement:
    """The statement for the session's database (call it once the app is set up, and keep
    it per database). `binds` and `results` name the parameters and columns whose type
    converts values (dates); the rest go to the driver as they are."""
    dialect = db.engine.dialect
    if dialect.paramstyle == "pyformat":  # psycopg
        sql = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
    elif dialect.name != "sqlite":  # sqlite3 takes :name as it is
        raise ValueError(f"server.core.direct runs on SQLite and PostgreSQL (psycopg), "
                         f"not on {dialect.name} ({dialect.paramstyle})")
    bind_fns = {name: fn for name, typ in (binds or {}).items()
                if (fn := typ.dialect_impl(dialect).bind_processor(dialect)) is not None}
    result_fns = {name: fn for name, typ in (results or {}).items()
                  if (fn := typ.dialect_impl(dialect).result_processor(dialect, None))
                  is not None}
    return Statement(sql=sql, binds=bind_fns, results=result_fns)


def session_begun() -> bool:
    """Whether this request's (or app context's) session has begun a transaction, without
    making a session to ask: a request answered without one (a scan at the door, the health
    check) never builds it."""
    return db.session.registry.has() and db.session().in_transaction()


class OnSession:
    """The session's connection (and its transaction), taken once for several statements.

    each_commits=True: the statements' work is committed here, not by the session, where
    nothing has begun a transaction yet (a request's first statements):
    - PostgreSQL: each statement runs as its own transaction, committed as it ends (no
      BEGIN, no COMMIT: two round trips fewer). Where the session has not begun, on a
      connection taken from the engine's pool for these statements alone, without the
      session's machinery, and handed back on leaving; where it has begun, but not yet on
      the server, on its connection, in autocommit;
    - SQLite: where the session has not begun, all of them in one transaction of a
      connection taken from the pool (BEGIN IMMEDIATE on entering, as every transaction
      here begins; COMMIT on leaving, ROLLBACK if the block raised), handed back after.
    Inside a transaction already begun on the server (a test's, or after other statements
    of the request) they run in it, as without the flag. So write statements that are right
    both ways: each takes the locks it needs and checks what it relies on, and nothing
    leans on a lock an earlier statement took. Use it as a context manager: on leaving, the
    connection is as the session (or the pool) expects it, and `committed` says whether the
    block committed its work itself (else the session's commit will).
    """

    def __init__(self, *, each_commits: bool = False) -> None:
        self._restore = False  # PostgreSQL: autocommit set here, unset on leaving
        self._begun = False  # SQLite: BEGIN sent here, COMMIT (or ROLLBACK) on leaving
        self.committed = False
        self._own: Any = None  # a connection taken from the pool for these statements
        self._cursor: Any = None  # PostgreSQL: one cursor for all of them
        self.conn: Any = None
        if each_commits:
            # the session's own bind (a test's connection), else the app's engine
            bind = db.session.session_factory.kw.get("bind") or db.engine
            if isinstance(bind, Engine) and not session_begun():
                if self._take_own(bind):
                    return
        self.conn = db.session.connection()
        self.driver = self.conn.connection.driver_connection
        self.dialect, self.dispatch = self.conn.dialect, self.conn.dispatch
        if each_commits and self.dialect.name == "postgresql":
            self._autocommit()

    def _take_own(self, bind: Engine) -> bool:
        """A pooled connection of these statements' own (see the class), if the database
        allows one; False (and nothing taken) where the session's way is to be used."""
        name = bind.dialect.name
        if name not in ("postgresql", "sqlite"):
            return False
        self._own = bind.raw_connection()
        self.driver = self._own.driver_connection
        self.dialect, self.dispatch = bind.dialect, bind.dispatch
        if name == "sqlite":
            try:
                sqlite.begin(self.driver)  # IMMEDIATE: waits in the busy handler, as any begin
            except BaseException:
                self._give_back()
                raise
            self._begun = True
            return True
        self._autocommit()
        if self._restore:
            return True
        # not idle (the pool rolls back what it is given back, so this should not happen):
        # work here would be rolled back on return, so the session's way
        self._give_back()
        return False

    def _commit(self) -> None:
        """SQLite: COMMIT on the driver's connection, a failure raised as any statement's."""
        try:
            self.driver.execute("COMMIT")
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._failed(exc, "COMMIT", None) from exc

    def _roll_back(self) -> None:
        """SQLite, leaving on an error: the block's work undone. A connection that cannot
        is given back as it is (the pool rolls back, or drops an invalidated one), and the
        block's own error is the one raised."""
        try:
            if self.driver.in_transaction:
                self.driver.execute("ROLLBACK")
        except self.dialect.loaded_dbapi.Error:
            pass

    def _failed(self, exc: Exception, sql: str, params: Any) -> DBAPIError:
        """A driver's error as SQLAlchemy raises it (so the unit of work retries a deadlock,
        a busy database or a lost connection); a dead connection is invalidated, not given
        back to the pool."""
        dialect = self.dialect
        invalidated = dialect.is_disconnect(exc, self.driver, None)
        if invalidated:
            (self._own if self._own is not None else self.conn).invalidate(exc)
        return DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error,
                                   connection_invalidated=invalidated, dialect=dialect)

    def _give_back(self) -> None:
        if self._own is not None:
            self._own.close()  # back to the pool (which rolls back anything left open)
            self._own = None

    def _autocommit(self) -> None:
        if (not self.driver.autocommit
                and self.driver.info.transaction_status == TransactionStatus.IDLE):
            self.driver.autocommit = True
            self._restore = True

    @property
    def each_commits(self) -> bool:
        """Whether the work here is committed by this block, not the session (see the
        class): each statement as it ends (PostgreSQL), or all on leaving (SQLite)."""
        return self._restore or self._begun

    def __enter__(self) -> OnSession:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None
            if self._begun:
                self._begun = False
                if exc_type is None:
                    self._commit()
                    self.committed = True
                else:
                    self._roll_back()
            elif self._restore:
                self.committed = True  # each statement committed as it ended
                if not self.driver.closed:
                    self.driver.autocommit = False  # no transaction is open: psycopg allows it
        finally:
            self._restore = False
            self._give_back()

    def fetch_one(self, statement: Statement, values: Mapping[str, Any]):
        """Its first row (processed), or None."""
        return self._run(statement, values, rows=True)

    def execute(self, statement: Statement, values: Mapping[str, Any]) -> None:
        """A statement that returns no rows."""
        self._run(statement, values, rows=False)

    def _run(self, statement: Statement, values: Mapping[str, Any], *, rows: bool):
        dialect = self.dialect
        sql, params = statement.sql, statement.params(values)
        cursor = self._cursor if self._cursor is not None else self.driver.cursor()
        keep = False
        try:
            # (a pool's own connection has no SQLAlchemy Connection: listeners get None)
            for listener in self.dispatch.before_cursor_execute:
                sql, params = listener(self.conn, cursor, sql, params, None, False)
            cursor.execute(sql, params)
            raw = cursor.fetchone() if rows else None
            # psycopg's cursor serves the next statement too (making one is a tenth of a
            # statement's work in the app); SQLite's is closed, see below
            keep = dialect.name == "postgresql"
            return None if raw is None else statement.row(cursor, raw)
        except dialect.loaded_dbapi.Error as exc:
            raise self._failed(exc, sql, params) from exc
        finally:
            if keep:
                self._cursor = cursor
            else:
                self._cursor = None
                cursor.close()  # SQLite: a RETURNING statement left open would keep the commit out
