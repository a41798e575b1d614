"""Liveness, readiness and metrics, as a proxy, a monitor and Prometheus ask for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from server.core import clock
from server.extensions import db
from server.scheduler import services as scheduler


def _head() -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app
    from flask_migrate import Config
    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.fixture
def migrated(app):
    """The test database is made from the models: say it is at the migrations' head."""
    db.session.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                            "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    db.session.execute(text("DELETE FROM alembic_version"))
    db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": _head()})
    db.session.flush()


def test_liveness_touches_nothing(client):
    resp = client.get("/api/v1/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readiness_says_what_is_missing(client, app):
    # made from the models, not migrated: not ready, and says how to fix it
    resp = client.get("/api/v1/health/ready")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "not_ready" and body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("pending")
    assert body["checks"]["redis"] == "not used"  # rate limits in memory here


def test_readiness_for_the_proxy_and_for_a_monitor(client, migrated, now):
    resp = client.get("/api/v1/health/ready")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["scheduler"] == "none leads"
    # a monitor wants the scheduler too
    assert client.get("/api/v1/health/ready?strict=1").status_code == 503
    scheduler.acquire("sched-1", now=clock.now(), seconds=30)
    db.session.flush()
    resp = client.get("/api/v1/health/ready?strict=1")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ready"


def test_readiness_with_redis(client, app, migrated):
    saved = app.config["RATELIMIT_STORAGE_URI"]
    try:
        app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/13"
        assert client.get("/api/v1/health/ready").get_json()["checks"]["redis"] == "ok"
        app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/13"  # nobody listens
        resp = client.get("/api/v1/health/ready")
        assert resp.status_code == 503
        assert resp.get_json()["checks"]["redis"].startswith("failed")
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = saved


def test_metrics_for_the_host_only(client, app):
    client.get("/api/v1/health")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    body = resp.get_data(as_text=True)
    assert 'wushe_http_requests_total{method="GET",route="/api/v1/health",status="200"}' in body
    assert "wushe_hours_pending_entries 0.0" in body
    assert "wushe_scheduler_leader 0.0" in body
    outside = {"REMOTE_ADDR": "198.51.100.4"}
    assert client.get("/metrics", environ_overrides=outside).status_code == 403
    saved = app.config["METRICS_TOKEN"]
    try:
        app.config["METRICS_TOKEN"] = "t0ken-for-prometheus"
        resp = client.get("/metrics", environ_overrides=outside,
                          headers={"Authorization": "Bearer t0ken-for-prometheus"})
        assert resp.status_code == 200
        assert client.get("/metrics", environ_overrides=outside,
                          headers={"Authorization": "Bearer guess"}).status_code == 403
    finally:
        app.config["METRICS_TOKEN"] = saved


def test_scans_are_counted_once_their_transaction_commits(app, scan, make_activity, make_user,
                                                          grant, now):
    from server.activities import signups
    from server.checkin import codes
    activity = make_activity(starts_in=timedelta(minutes=10))
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    person = make_user()
    signups.sign_up(activity.id, user=person, now=now)

    def counted(result):
        return REGISTRY.get_sample_value(
            "wushe_scans_total", {"result": result, "source": "organiser_scan"}) or 0
    before_ok, before_dup = counted("ok"), counted("already_checked_in")
    payload = codes.personal_payload(codes.active_code(person, now=now))
    scan(activity, organiser, code=payload)
    assert counted("ok") == before_ok  # not yet: nothing is committed
    db.session.commit()
    assert counted("ok") == before_ok + 1
    scan(activity, organiser, code=payload)
    db.session.rollback()  # rolled back: never happened
    assert counted("already_checked_in") == before_dup


def test_every_answer_carries_a_request_id(client):
    resp = client.get("/api/v1/health")
    assert len(resp.headers["X-Request-ID"]) == 32
    given = client.get("/api/v1/health", headers={"X-Request-ID": "nginx-7f3a.1"})
    assert given.headers["X-Request-ID"] == "nginx-7f3a.1"
    odd = client.get("/api/v1/health", headers={"X-Request-ID": "a b<script>"})
    assert odd.headers["X-Request-ID"] != "a b<script>"
