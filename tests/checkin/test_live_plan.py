"""The scan's read looks up every table by key, in the plan a connection keeps.

PostgreSQL keeps a generic plan for a prepared statement (psycopg prepares the scan's read
after a few runs), made once, often while scans is nearly empty. An earlier form of the read
joined the last successful scan on `id = (subquery)`: planned on a small table, that became
a hash of the whole scans table, rebuilt in every scan, so the door grew slower with every
person scanned. Here the plans are read back and every table must be reached by an index."""

from __future__ import annotations

import re

from psycopg.sql import Literal

from server.checkin import live
from server.checkin.models import Scan
from server.extensions import db

# what the statement's parameters are, for PREPARE (PostgreSQL) or EXPLAIN (SQLite)
TYPES = {"activity_id": "integer", "token": "varchar", "nonce": "varchar",
         "operator_id": "integer", "token_hash": "varchar", "now": "timestamptz",
         # the write's
         "starts_at": "timestamptz", "ends_at": "timestamptz", "effective": "timestamptz",
         "signup_id": "integer", "scan_seq": "integer", "user_id": "integer",
         "seq": "integer", "duplicate_of_id": "integer", "direction": "varchar",
         "result": "varchar", "source": "varchar", "device": "varchar", "ip": "varchar",
         "code_hint": "varchar", "presence": "varchar"}
VALUES = {"activity_id": 1, "token": "t" * 43, "nonce": "n" * 32, "operator_id": 1,
          "token_hash": "h" * 64, "now": "2026-12-06 09:00:00+00",
          "starts_at": "2026-12-06 09:00:00+00", "ends_at": "2026-12-06 11:00:00+00",
          "effective": "2026-12-06 09:00:00+00", "signup_id": 1, "scan_seq": 0, "user_id": 1,
          "seq": 1, "duplicate_of_id": None, "direction": "entry", "result": "ok",
          "source": "organiser_scan", "device": None, "ip": "127.0.0.1", "code_hint": "x",
          "presence": "in"}


def _postgres_generic_plan(sql: str) -> str:
    names: list[str] = []

    def number(match):
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"
    numbered = re.sub(r"%\((\w+)\)s", number, sql)
    driver = db.session.connection().connection.driver_connection
    cursor = driver.cursor()
    cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    cursor.execute(f"PREPARE scan_door ({', '.join(TYPES[n] for n in names)}) AS {numbered}")
    try:
        # EXPLAIN takes no bound parameters: the values are written in as literals
        values = ", ".join(f"{Literal(VALUES[n]).as_string(driver)}::{TYPES[n]}"
                           for n in names)
        cursor.execute(f"EXPLAIN EXECUTE scan_door ({values})")
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        cursor.execute("DEALLOCATE scan_door")


def _sqlite_plan(sql: str) -> str:
    cursor = db.session.connection().connection.driver_connection.cursor()
    cursor.execute("EXPLAIN QUERY PLAN " + sql, VALUES)
    return "\n".join(row[-1] for row in cursor.fetchall())


def test_the_scan_read_reaches_every_table_by_an_index(make_activity):
    make_activity()  # the tables as a new deployment has them: scans empty
    statements = live._prepared()
    for read in (statements.given, statements.by_login):
        if db.engine.dialect.name == "postgresql":
            plan = _postgres_generic_plan(read.sql)
            assert "Seq Scan" not in plan and "Hash" not in plan, plan
            assert "Index Scan Backward using ix_scans_signup_ok" in plan, plan
        else:
            plan = _sqlite_plan(read.sql)
            full_scans = [line for line in plan.splitlines() if line.startswith("SCAN")]
            assert not full_scans, plan
            assert "ix_scans_signup_ok" in plan, plan


def test_the_door_writes_every_column_of_a_scan():
    """The INSERT is written out: a column added to scans later must be added to it too
    (the ORM would have filled its default; this statement would leave it NULL)."""
    named = re.search(r"INSERT INTO scans \(([^)]*)\)", live._INSERT).group(1)
    written = {column.strip() for column in named.split(",")}
    assert written == {c.name for c in Scan.__table__.columns} - {"id"}


def test_the_scan_write_reaches_its_rows_by_primary_key(make_activity):
    """The write looks its two rows up by primary key, in the generic plan made while the
    tables were new: a condition on status or activity would otherwise let a plan read
    thousands of sign-ups (or activities) to lock one."""
    make_activity()
    statements = live._prepared()
    for write in (statements.insert, statements.insert_and_count):
        if db.engine.dialect.name == "postgresql":
            plan = _postgres_generic_plan(write.sql)
            assert "Seq Scan" not in plan, plan
            used = set(re.findall(r"Index Scan using (\w+) on (\w+)", plan))
            assert used == {("pk_activities", "activities"), ("pk_signups", "signups")}, plan
        else:
            # (SQLite lists RETURNING as a "SCAN scans" of the rows it inserted)
            plan = _sqlite_plan(write.sql)
            found = dict(re.findall(r"^(?:SCAN|SEARCH) (activities|signups)\b(.*)$", plan,
                                    re.MULTILINE))
            assert set(found) == {"activities", "signups"}, plan
            assert all("PRIMARY KEY" in how for how in found.values()), plan
