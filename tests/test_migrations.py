"""`upgrade head` on an empty database yields exactly the models' schema."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from server.app import create_app
from server.extensions import db


@pytest.fixture
def empty_database_url(app, tmp_path):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"wushe_migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_head_matches_models_then_downgrades_clean(empty_database_url):
    fresh = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            tables = set(inspect(conn).get_table_names())
        assert diff == []
        assert set(db.metadata.tables) <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _insert(conn, table, **values):
    """A row with the values given; other required columns get a plain filler."""
    from datetime import UTC, datetime

    import sqlalchemy as sa
    meta = sa.MetaData()
    t = sa.Table(table, meta, autoload_with=conn)
    row = {}
    for col in t.columns:
        if col.name in values or col.nullable or col.primary_key:
            continue
        fillers = ((sa.JSON, []), (sa.Boolean, False), (sa.Integer, 0),
                   (sa.DateTime, datetime.now(UTC)))
        row[col.name] = next((v for kind, v in fillers if isinstance(col.type, kind)), "x")
    row.update(values)
    return conn.execute(t.insert().values(**row)).inserted_primary_key[0]


def test_existing_rows_are_brought_in_line_before_the_constraints(empty_database_url):
    """Duplicates set aside, look-alike phones made one spelling, successful scans numbered,
    finished activities given their finish time: the upgrade runs on a lived-in database."""
    from datetime import UTC, datetime, timedelta
    fresh = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    t0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    with fresh.app_context():
        upgrade(revision="08793d6fa9a2")
        with db.engine.begin() as conn:
            node = _insert(conn, "nodes", kind="district", name="大兴区", path="/1/")
            org = _insert(conn, "organisations", node_id=node, kind="social_org", name="组织")
            alike = _insert(conn, "users", phone="138０００００００1", name="全角", skills=[])
            other = _insert(conn, "users", phone="13800000002", name="协调员", skills=[])
            for _ in range(2):  # the same grant twice (NULL organisation)
                _insert(conn, "role_assignments", user_id=other, role="coordinator",
                        node_id=node, granted_at=t0)
            for token in ("a" * 30, "b" * 30):  # two codes that both worked
                _insert(conn, "personal_codes", user_id=alike, token=token, created_at=t0)
            act = _insert(conn, "activities", organisation_id=org, node_id=node, title="讲座",
                          kind="lecture", place="活动室", starts_at=t0,
                          ends_at=t0 + timedelta(hours=2), capacity=10, status="finished",
                          created_by_id=other, created_at=t0, updated_at=t0 + timedelta(hours=3),
                          confirmed_count=1, waitlist_count=0, hours_rounding="minute",
                          withdraw_cutoff_hours=2, required_skills=[], forces=[])
            signup = _insert(conn, "signups", activity_id=act, user_id=alike,
                             status="confirmed", queue_no=1, created_at=t0, presence="out")
            for minutes, direction in ((5, "entry"), (60, "exit"), (70, "entry"), (110, "exit")):
                _insert(conn, "scans", activity_id=act, user_id=alike, signup_id=signup,
                        direction=direction, result="ok", source="organiser_scan",
                        server_time=t0 + timedelta(minutes=minutes),
                        effective_time=t0 + timedelta(minutes=minutes))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT phone FROM users WHERE id = :i"),
                                {"i": alike}).scalar() == "13800000001"
            assert conn.execute(text("SELECT count(*) FROM role_assignments")).scalar() == 1
            assert conn.execute(text("SELECT token FROM personal_codes WHERE revoked_at IS "
                                     "NULL")).scalars().all() == ["b" * 30]
            assert conn.execute(text("SELECT seq FROM scans ORDER BY effective_time")
                                ).scalars().all() == [1, 2, 3, 4]
            assert conn.execute(text("SELECT scan_seq FROM signups")).scalar() == 4
            assert conn.execute(text("SELECT finished_at FROM activities")).scalar()
        db.engine.dispose()


def test_top_level_places_sharing_a_name_are_told_apart_before_the_index(
        empty_database_url):
    """Districts of one name written at the same moment (before uq_nodes_root_name): the
    first keeps the name, the others get a number, and the upgrade goes through."""
    fresh = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    with fresh.app_context():
        upgrade(revision="ff16aff99ce0")
        with db.engine.begin() as conn:
            ids = [_insert(conn, "nodes", kind="district", name=name, path="/")
                   for name in ("新区", "新区", "新区 (2)", "新区", "大兴区")]
            _insert(conn, "nodes", kind="town", name="新区", parent_id=ids[0], path="/")
        upgrade()
        with db.engine.connect() as conn:
            names = dict(conn.execute(text(
                "SELECT id, name FROM nodes WHERE parent_id IS NULL")).all())
            assert [names[i] for i in ids] == ["新区", "新区 (3)", "新区 (2)", "新区 (4)",
                                               "大兴区"]
            assert conn.execute(text(
                "SELECT name FROM nodes WHERE parent_id IS NOT NULL")).scalar() == "新区"
        db.engine.dispose()
