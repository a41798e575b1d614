"""Test fixtures: one database per run, each test inside a rolled-back transaction.

WUSHE_TEST_DB selects the database: "sqlite" (a file, so several connections can
share it) or a PostgreSQL URL. Tests marked `concurrency` or `browser` commit for
real from several connections; they run against the same database and the tables
are emptied after each of them.

WUSHE_TEST_CLOCK (say 2026-12-06T23:58+08:00) runs the suite as if it had started at that
moment: server.core.clock.now, the one reader of the wall clock, runs on from there. Tests
that place things "yesterday" or "an hour ago" must pass at any hour of any day; this finds
the ones that do not without waiting for the night. Only for tests in this process: leave
out `browser` and `concurrency` (Chromium and the processes they start keep the real time).
"""

from __future__ import annotations

import contextvars
import os
from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from server.accounts.passwords import hash_password
from server.app import create_app
from server.core import clock
from server.extensions import db

PASSWORD = "secret123"
_PASSWORD_HASH = hash_password(PASSWORD)


def pytest_configure(config):
    moment = os.environ.get("WUSHE_TEST_CLOCK")
    if moment:
        real = clock.now
        offset = datetime.fromisoformat(moment) - real()
        clock.now = lambda: real() + offset


def pytest_collection_modifyitems(config, items):
    """Tests of one database's own behaviour (marked `postgresql` or `sqlite`) are not
    collected in the other's run (make test runs both): deselected, not skipped, since
    there is nothing there to test."""
    other = "postgresql" if os.environ.get("WUSHE_TEST_DB", "sqlite") == "sqlite" else "sqlite"
    keep = [i for i in items if not i.get_closest_marker(other)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _database_url(tmp_path_factory) -> str:
    chosen = os.environ.get("WUSHE_TEST_DB", "sqlite")
    if chosen == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return chosen


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context,
    `g` and session (bound to the test's connection), not the test's. The response is
    read whole and closed, as a server does once it has sent it, so what waits for that
    (server.core.outbox's after_response handlers) has run when the test looks."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


def _holidays_for_later_years(folder) -> str:
    """Tests build activities relative to today, so their record deadlines can fall in a
    year whose holidays are not published yet (in December, January's). For those years
    only, the tests' calendar is weekends alone, written as the data files an administrator
    would add; tests of the calendar itself read the real data (tests/core/test_workdays.py)."""
    import chinese_calendar
    last_known = max(chinese_calendar.holidays).year
    for year in range(last_known + 1, clock.today().year + 3):
        (folder / f"{year}.toml").write_text("# test data: weekends only\nholidays = []\n"
                                             "workdays = []\n")
    return str(folder)


@pytest.fixture(scope="session")
def holidays_dir(tmp_path_factory) -> str:
    return _holidays_for_later_years(tmp_path_factory.mktemp("holidays"))


@pytest.fixture(scope="session")
def app(tmp_path_factory, holidays_dir):
    app = create_app({"ENV": "testing", "DATABASE_URL": _database_url(tmp_path_factory),
                      "HOLIDAYS_DIR": holidays_dir})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """Rate limits count per test: the limiter's memory would outlive each test."""
    from server.extensions import limiter
    with app.app_context():
        limiter.reset()


@pytest.fixture(autouse=True)
def _db(app, request):
    """A transaction per test, rolled back; or real commits then emptied tables."""
    committing = (request.node.get_closest_marker("concurrency")
                  or request.node.get_closest_marker("browser"))
    ctx = app.app_context()
    ctx.push()
    if committing:
        try:
            yield db.session
        finally:
            db.session.remove()
            _empty_tables()
            ctx.pop()
        return
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    # plain SQLAlchemy sessions: Flask-SQLAlchemy's get_bind() would pick the engine
    # (a second connection) over the test's connection
    db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id)
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()
        ctx.pop()


@pytest.fixture(scope="session")
def gunicorn(app, tmp_path_factory):
    """A real gunicorn (several worker processes) on the test database; started once."""
    from tests.live import serve
    server = serve(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path_factory.mktemp("gunicorn"),
                   holidays_dir=app.config["HOLIDAYS_DIR"])
    yield server
    server.stop()


@pytest.fixture
def connect(gunicorn):
    """connect(user): an HTTP client logged in to the real gunicorn; closed after the test."""
    from tests.live import client
    made = []

    def make(user):
        made.append(client(gunicorn, user))
        return made[-1]
    yield make
    for c in made:
        c.close_all()


@pytest.fixture
def now():
    return clock.now().replace(microsecond=0)


@pytest.fixture
def make_node(now):
    from server.communities.models import Node

    def make(name="运河园社区", kind="community", parent=None, platform_name=None):
        if parent is None and kind != "district":
            chain = {"street": ("district",), "town": ("district",),
                     "community": ("district", "street"), "village": ("district", "town")}
            for level in chain[kind]:
                parent = make(name=f"{name}-{level}-{_seq()}", kind=level, parent=parent)
        node = Node(kind=kind, name=name, parent=parent, created_at=now,
                    platform_name=platform_name)
        db.session.add(node)
        db.session.flush()
        node.path = f"{parent.path if parent else '/'}{node.id}/"
        db.session.flush()
        return node
    return make


_counter = iter(range(1, 10**9))


def _seq() -> int:
    return next(_counter)


@pytest.fixture
def make_org(make_node, now):
    from server.communities.models import Organisation

    def make(name=None, node=None, kind="social_org"):
        org = Organisation(name=name or f"组织{_seq()}", node=node or make_node(),
                           kind=kind, created_at=now, active=True, description="")
        db.session.add(org)
        db.session.flush()
        return org
    return make


@pytest.fixture
def make_user(now):
    from server.accounts.models import Consent, User

    def make(name="李小梅", phone=None, birth_date=date(1990, 5, 1), skills=(), home_node=None,
             **extra):
        user = User(phone=phone or f"139{_seq():08d}", password_hash=_PASSWORD_HASH, name=name,
                    birth_date=birth_date, skills=list(skills), created_at=now, active=True,
                    care_mode=False, home_node_id=home_node.id if home_node else None, **extra)
        db.session.add(user)
        db.session.flush()
        db.session.add(Consent(user_id=user.id, kind="privacy", notice_version="2026-11",
                               accepted_at=now))
        db.session.flush()
        return user
    return make


@pytest.fixture
def grant(now):
    from server.accounts.models import RoleAssignment

    def make(user, role, node, organisation=None):
        ra = RoleAssignment(user_id=user.id, role=role, node_id=node.id,
                            organisation_id=organisation.id if organisation else None,
                            granted_at=now)
        db.session.add(ra)
        db.session.flush()
        db.session.refresh(user)
        return ra
    return make


@pytest.fixture
def make_activity(make_org, make_user, now):
    from server.activities.models import Activity

    def make(org=None, node=None, status="published", starts_in=timedelta(days=3),
             hours=2, capacity=10, creator=None, **fields):
        org = org or make_org()
        starts = now + starts_in
        activity = Activity(
            organisation_id=org.id, node_id=(node or org.node).id,
            title=fields.pop("title", "法律问题进社区公益讲堂"),
            kind=fields.pop("kind", "lecture"), place=fields.pop("place", "运河园社区活动室"),
            starts_at=starts, ends_at=starts + timedelta(hours=hours), capacity=capacity,
            status=status, created_by_id=(creator or make_user(name="组织者")).id,
            created_at=now, updated_at=now, withdraw_cutoff_hours=fields.pop(
                "withdraw_cutoff_hours", 2),
            required_skills=fields.pop("required_skills", []), forces=fields.pop("forces", []),
            confirmed_count=0, waitlist_count=0, description="", contact_name="",
            published_at=fields.pop("published_at", None if status == "draft" else now),
            finished_at=fields.pop("finished_at", now if status == "finished" else None),
            **fields)
        db.session.add(activity)
        db.session.flush()
        return activity
    return make


@pytest.fixture
def give_place(now):
    """held(activity, user): the person held a confirmed place (for activities in the past,
    where signing up is no longer possible)."""
    from sqlalchemy import func, select

    from server.activities.models import Signup

    def held(activity, user):
        last = db.session.scalar(select(func.max(Signup.queue_no)).where(
            Signup.activity_id == activity.id)) or 0
        signup = Signup(activity_id=activity.id, user_id=user.id, status="confirmed",
                        queue_no=last + 1, created_at=activity.created_at)
        db.session.add(signup)
        db.session.flush()
        return signup
    return held


class ApiClient:
    """A test client that carries the CSRF token like the site's JavaScript does."""

    def __init__(self, client):
        self.client = client
        self.refresh_token()

    def refresh_token(self):
        token = self.client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
        self.client.environ_base["HTTP_X_CSRFTOKEN"] = token

    def login(self, user, password=PASSWORD):
        resp = self.client.post("/api/v1/auth/login", json={"phone": user.phone,
                                                            "password": password})
        assert resp.status_code == 200, resp.get_json()
        self.refresh_token()
        return resp

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture
def api(app):
    return ApiClient(app.test_client())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def scan(now):
    """Redeem a scan with sensible defaults: scan(activity, operator, code=..., ...)."""
    from server.checkin.services import ScanRequest, redeem

    def do(activity, operator, *, at=None, direction="entry", source="organiser_scan", **kw):
        req = ScanRequest(activity_id=activity.id, direction=direction, source=source,
                          operator=operator, **kw)
        return redeem(req, now=at or now)
    return do


@pytest.fixture
def channels_as(app):
    """Configure the push adapters for one test (and forget the built ones after it)."""
    saved = {k: app.config[k] for k in app.config if k.startswith(("NOTIFY_", "SMTP_"))}

    def configure(**settings):
        app.config.update(settings)
        app.extensions.pop("wushe_channels", None)
    yield configure
    app.config.update(saved)
    app.extensions.pop("wushe_channels", None)
