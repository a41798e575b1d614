"""The scan benchmark's database: an empty schema, migrated, then one activity seeded in bulk.

Rows go in with executemany (no per-row ORM flush) and every account shares one password
hash, so 5,000 volunteers take seconds, not the minutes 5,000 argon2 hashes would.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from loadgen import BenchError

ORGANISER_PHONE = "13600000001"
VOLUNTEER_PHONE_PREFIX = "137"
# other runs (make test) own these; the benchmark drops the schema it is given
FORBIDDEN_DATABASES = {"test", "postgres", "template0", "template1"}


def postgres_url(url: str, database: str) -> str:
    """The plain psycopg URL of `database` on the server `url` names."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, f"/{database}", parts.query, ""))


def prepare_postgres(url: str) -> None:
    """Create the database if missing, then give it an empty public schema."""
    import psycopg
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in FORBIDDEN_DATABASES:
        raise BenchError(f"refusing to use database {name!r}: give a dedicated one "
                         "(e.g. .../wushe_bench)")
    if not name.replace("_", "").isalnum():
        raise BenchError(f"database name {name!r}: letters, digits and _ only")
    plain, admin = postgres_url(url, name), postgres_url(url, "postgres")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(plain, autocommit=True, connect_timeout=10) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
            # each run drops and makes some fifty tables again: where autovacuum is off
            # (as on the machine these figures come from) the catalogs' dead rows pile up
            # run after run (pg_attribute thirty times its live rows), and every new
            # connection and plan reads through them
            conn.execute("VACUUM pg_catalog.pg_attribute, pg_catalog.pg_depend, "
                         "pg_catalog.pg_class, pg_catalog.pg_constraint, "
                         "pg_catalog.pg_trigger, pg_catalog.pg_index, pg_catalog.pg_type, "
                         "pg_catalog.pg_attrdef")
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL: {exc}") from exc


def settings_overrides(database_url: str, secret: str) -> dict:
    """The production settings gunicorn gets from its environment, as create_app() overrides."""
    return {"ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": "memory://", "SESSION_COOKIE_SECURE": False}


def _columns_awaiting_migration() -> None:
    """signups.changed_at (the scanner roster's delta) is in the models before its Alembic
    migration is written (the merger writes it): add it here if the migrations did not.
    A no-op once the migration exists."""
    from sqlalchemy import inspect, text

    from server.extensions import db
    if "changed_at" in {c["name"] for c in inspect(db.engine).get_columns("signups")}:
        return
    kind = "TIMESTAMP WITH TIME ZONE" if db.engine.dialect.name == "postgresql" else "DATETIME"
    with db.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE signups ADD COLUMN changed_at {kind}"))
        conn.execute(text("UPDATE signups SET changed_at = created_at"))
        conn.execute(text("CREATE INDEX ix_signups_changed ON signups (activity_id, changed_at)"))


def migrate_and_seed(database_url: str, secret: str, volunteers: int, password: str) -> dict:
    """flask db upgrade, then one activity with `volunteers` confirmed sign-ups and codes.

    Returns {"activity_id", "payloads"}: the QR texts, in volunteer order.
    """
    import flask_migrate
    from sqlalchemy import insert, select

    from server.accounts.models import RoleAssignment, User
    from server.accounts.passwords import hash_password
    from server.activities.models import Activity, Signup
    from server.app import create_app
    from server.checkin.codes import PERSONAL_PREFIX
    from server.checkin.models import PersonalCode
    from server.communities.models import Node, Organisation
    from server.extensions import db

    app = create_app(settings_overrides(database_url, secret))
    with app.app_context():
        flask_migrate.upgrade()
        _columns_awaiting_migration()
        now = datetime.now(UTC)
        pw_hash = hash_password(password)  # once: every account shares it

        def node(name, kind, parent=None):
            n = Node(name=name, kind=kind, parent=parent, created_at=now)
            db.session.add(n)
            db.session.flush()
            n.path = f"{parent.path if parent else '/'}{n.id}/"
            return n

        district = node("压测区", "district")
        street = node("压测街道", "street", district)
        community = node("压测社区", "community", street)
        org = Organisation(name="压测志愿服务队", kind="volunteer_team", node=community,
                           created_at=now, active=True)
        organiser = User(phone=ORGANISER_PHONE, password_hash=pw_hash, name="压测组织者",
                         home_node_id=community.id, skills=[], created_at=now, active=True,
                         care_mode=False)
        db.session.add_all([org, organiser])
        db.session.flush()
        db.session.add(RoleAssignment(user_id=organiser.id, role="organiser",
                                      node_id=community.id, organisation_id=org.id,
                                      granted_at=now))
        # under way for 10 minutes, three hours long: entries are inside the window
        activity = Activity(
            title="扫码签到压测", kind="community_event", organisation_id=org.id,
            node_id=community.id, place="压测社区活动室", starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=3), capacity=volunteers, status="published",
            created_by_id=organiser.id, created_at=now, updated_at=now, published_at=now,
            confirmed_count=volunteers, waitlist_count=0, withdraw_cutoff_hours=2,
            required_skills=[], forces=["community", "volunteers"], description="",
            contact_name="压测组织者")
        db.session.add(activity)
        db.session.flush()

        phones = [f"{VOLUNTEER_PHONE_PREFIX}{i:08d}" for i in range(1, volunteers + 1)]
        db.session.execute(insert(User), [
            {"phone": p, "password_hash": pw_hash, "name": f"志愿者{i}", "skills": [],
             "home_node_id": community.id, "created_at": now, "active": True,
             "care_mode": False} for i, p in enumerate(phones, start=1)])
        ids = dict(db.session.execute(
            select(User.phone, User.id).where(User.phone.like(f"{VOLUNTEER_PHONE_PREFIX}%"))
        ).all())
        user_ids = [ids[p] for p in phones]
        db.session.execute(insert(Signup), [
            {"activity_id": activity.id, "user_id": uid, "status": "confirmed", "queue_no": n,
             "created_at": now, "presence": "none", "walk_in": False}
            for n, uid in enumerate(user_ids, start=1)])
        tokens = [secrets.token_urlsafe(32) for _ in user_ids]
        db.session.execute(insert(PersonalCode), [
            {"user_id": uid, "token": token, "created_at": now}
            for uid, token in zip(user_ids, tokens, strict=True)])
        db.session.commit()
        activity_id = activity.id
        db.session.remove()
        db.engine.dispose()
    return {"activity_id": activity_id, "payloads": [PERSONAL_PREFIX + t for t in tokens]}
