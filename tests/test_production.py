"""The production shape, smoke-tested as an operator would run it: `flask db upgrade` with
the production settings, gunicorn started with deploy/gunicorn.conf.py (two workers) and a
scheduler process, on PostgreSQL and Redis; wait for readiness, log in, sign up, scan, read
the metrics, stop. No development server anywhere. Rate limits live in Redis, so every
worker counts the same attempts."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.loadgen import Client, free_port
from server.accounts.passwords import hash_password
from server.app import create_app
from server.core import clock
from server.extensions import db

pytestmark = [pytest.mark.postgresql, pytest.mark.concurrency]
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "smoke2026ok"
REDIS_DB = 14


class ProxiedClient(Client):
    """What nginx forwards: the request came over https (and, as from a browser, its
    Referer names the site: Flask-WTF checks it on https)."""

    def headers(self, body: bool) -> dict[str, str]:
        return {**super().headers(body), "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "203.0.113.7",
                "Referer": f"https://127.0.0.1:{self.port}/"}


@pytest.fixture
def smoke_db(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"wushe_smoke_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _env(database_url: str, tmp: Path, port: int, holidays: str) -> dict[str, str]:
    env = {**os.environ, "WUSHE_ENV": "production", "DATABASE_URL": database_url,
           # the shipped example, as an operator copies it to /etc/wushe/wushe.toml
           "WUSHE_CONFIG": str(ROOT / "config" / "production.example.toml"),
           "SECRET_KEY": secrets.token_urlsafe(48),
           "WUSHE_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{REDIS_DB}",
           "WUSHE_LOGIN_RATE_LIMIT": "5 per minute", "WUSHE_REQUEST_LOG": "true",
           "WUSHE_HOLIDAYS_DIR": holidays, "WUSHE_SCHEDULER_TICK_SECONDS": "1",
           "WUSHE_SCHEDULER_LEASE_SECONDS": "6", "WUSHE_SCHEDULER_BEAT_SECONDS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
           "WUSHE_BIND": f"127.0.0.1:{port}", "WUSHE_WORKERS": "2"}
    for key in ("WUSHE_TEST_DB", "FLASK_APP"):
        env.pop(key, None)
    return env


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=10)


def _seed(database_url: str, holidays: str) -> dict:
    """An organiser, an activity whose doors are open (it starts in half an hour) and a
    volunteer, through the models."""
    from server.accounts.models import Consent, RoleAssignment, User
    from server.activities.models import Activity
    from server.communities.models import Node, Organisation
    seeder = create_app({"ENV": "testing", "DATABASE_URL": database_url,
                         "HOLIDAYS_DIR": holidays})
    now = clock.now()
    with seeder.app_context():
        district = Node(kind="district", name="通州区", path="/", created_at=now)
        db.session.add(district)
        db.session.flush()
        district.path = f"/{district.id}/"
        org = Organisation(name="运河园社区 BQteam", node_id=district.id, kind="volunteer_team",
                           created_at=now, active=True, description="")
        db.session.add(org)
        people = {}
        for phone, name in (("13800000002", "张丽娜"), ("13800000001", "李秀英")):
            person = User(phone=phone, name=name, password_hash=hash_password(PASSWORD),
                          created_at=now, active=True, care_mode=False, skills=[])
            db.session.add(person)
            db.session.flush()
            db.session.add(Consent(user_id=person.id, kind="privacy", notice_version="2026-11",
                                   accepted_at=now))
            people[name] = person
        db.session.flush()
        db.session.add(RoleAssignment(user_id=people["张丽娜"].id, role="organiser",
                                      node_id=district.id, organisation_id=org.id,
                                      granted_at=now))
        activity = Activity(organisation_id=org.id, node_id=district.id, title="助老服务日",
                            kind="community_event", place="党群服务中心",
                            starts_at=now + timedelta(minutes=30),
                            ends_at=now + timedelta(hours=2), capacity=10, status="published",
                            created_by_id=people["张丽娜"].id, created_at=now, updated_at=now,
                            published_at=now, withdraw_cutoff_hours=0, confirmed_count=0,
                            waitlist_count=0, required_skills=[], forces=[], description="",
                            contact_name="")
        db.session.add(activity)
        db.session.commit()
        seeded = {"activity": activity.id}
        db.session.remove()
        db.engine.dispose()
    return seeded


def _wait_ready(port: int, processes: list, logs: Path) -> dict:
    deadline = time.monotonic() + 90
    plain = Client(port, timeout=5)
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, _tail(logs)
        try:
            status, body, _ = plain.call("GET", "/api/v1/health/ready?strict=1")
        except OSError:
            status, body = None, None
        if status == 200:
            return body
        time.sleep(0.5)
    pytest.fail(f"never ready: {body}\n{_tail(logs)}")


def _tail(logs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                     for p in sorted(logs.glob("*.log")))


class _Answer(dict):
    body = ""


def _get(port: int, path: str, headers: dict) -> tuple[int, _Answer]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        answer = _Answer(response.getheaders())
        answer.body = response.read().decode(errors="replace")
        return response.status, answer
    finally:
        conn.close()


def _login(client: Client, phone: str, password: str = PASSWORD):
    status, data, headers = client.call("GET", "/api/v1/auth/csrf")
    assert status == 200, data
    client._keep_cookies(headers)
    client.csrf = data["csrf_token"]
    status, data, headers = client.call("POST", "/api/v1/auth/login",
                                        {"phone": phone, "password": password})
    client._keep_cookies(headers)
    if status == 200:
        _, data2, headers2 = client.call("GET", "/api/v1/auth/csrf")
        client._keep_cookies(headers2)
        client.csrf = data2["csrf_token"]
    return status, data


def test_production_under_gunicorn_on_postgresql_and_redis(app, smoke_db, tmp_path):
    holidays = app.config["HOLIDAYS_DIR"]
    limits = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    limits.flushdb()
    port = free_port()
    env = _env(smoke_db, tmp_path, port, holidays)
    # migrations: one command, as the guide says
    upgraded = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT,
                              env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    seeded = _seed(smoke_db, holidays)

    web = _start([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                  "wsgi:app"], env, tmp_path / "gunicorn.log")
    scheduler = _start([sys.executable, "-m", "flask", "scheduler", "run"], env,
                       tmp_path / "scheduler.log")
    try:
        ready = _wait_ready(port, [web, scheduler], tmp_path)
        assert ready == {"status": "ready", "checks": {
            "database": "ok", "migrations": "ok", "redis": "ok", "scheduler": "ok"}}

        # the plain-http visitor is sent to https; what nginx forwards as https is served
        plain = Client(port, timeout=10)
        status, _, headers = plain.call("GET", "/login")
        assert status == 302 and headers["Location"].startswith("https://")

        volunteer, organiser = ProxiedClient(port, timeout=20), ProxiedClient(port, timeout=20)
        assert _login(volunteer, "13800000001")[0] == 200
        assert _login(organiser, "13800000002")[0] == 200
        status, body, _ = volunteer.call(
            "POST", f"/api/v1/activities/{seeded['activity']}/signups", {})
        assert status == 201 and body["status"] == "confirmed", body
        status, code, _ = volunteer.call("GET", "/api/v1/me/code")
        assert status == 200, code
        status, body, _ = organiser.call(
            "POST", f"/api/v1/activities/{seeded['activity']}/scans",
            {"code": code["payload"], "direction": "entry", "nonce": "smoke-0001"})
        assert status == 200 and body["result"] == "ok", body

        # compressed, content-hashed, immutable static files
        manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
        status, static = _get(port, f"/static/{manifest['dist/app.css']}",
                              {"Accept-Encoding": "br, gzip", "X-Forwarded-Proto": "https"})
        assert status == 200 and static["Content-Encoding"] == "br"
        assert "immutable" in static["Cache-Control"]

        # rate limits are shared by the workers: the sixth wrong password is refused
        statuses = [_login(ProxiedClient(port, timeout=10), "13800000009", "wrong-pass1")[0]
                    for _ in range(6)]
        assert statuses == [401] * 5 + [429], statuses
        assert limits.keys("*login*"), "the counts are in Redis, where every worker sees them"

        # metrics, from the host: requests, scans, the scheduler and the review queue
        status, headers = _get(port, "/metrics", {})
        body = headers.body
        assert status == 200
        assert 'wushe_scans_total{result="ok",source="organiser_scan"} 1.0' in body
        assert 'route="/api/v1/auth/login",status="429"' in body
        assert "wushe_scheduler_leader 1.0" in body
        assert "wushe_hours_pending_entries" in body
        assert "wushe_http_request_duration_seconds_bucket" in body
        # from outside (as nginx forwards it), /metrics is refused
        status, _, _ = ProxiedClient(port, timeout=10).call("GET", "/metrics")
        assert status == 403
    finally:
        scheduler_exit = _stop(scheduler)
        web_exit = _stop(web)
        limits.flushdb()
        limits.close()
    assert scheduler_exit == 0 and web_exit == 0, _tail(tmp_path)
    log = (tmp_path / "gunicorn.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines and all(len(entry["request_id"]) == 32 for entry in lines)
    assert {"request_id", "method", "route", "status", "ms", "bytes"} == set(lines[0])
    # nothing personal: no phone number, no address, no code
    for secret in ("13800000001", "13800000002", "13800000009", "203.0.113.7",
                   code["payload"]):
        assert secret not in log
