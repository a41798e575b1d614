"""/api/v1/health: liveness (is this process up?) and readiness (can it serve?).

Liveness touches nothing: a load balancer or systemd asks it often, and it is the
benchmark's trivial baseline. Readiness checks what a request needs: the database answers,
its schema is at the migrations' head, Redis answers (when rate limits live there); and it
reports whether a scheduler leads. A web node serves without a scheduler (reminders wait,
pages do not), so the proxy's check passes without one; a monitor asks with `strict=1` and
hears 503 when no scheduler leads.
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from sqlalchemy import text

from server.core import clock
from server.core.api import Blueprint
from server.extensions import db

health = Blueprint("health", __name__, url_prefix="/api/v1/health",
                   description="Is the server up, and can it serve?")
blueprints = [health]


class HealthOut(ma.Schema):
    status = ma.fields.String()


class ReadyArgs(ma.Schema):
    strict = ma.fields.Boolean(load_default=False, metadata={
        "description": "also require a leading scheduler (for a monitor, not the proxy)"})


class ReadyOut(ma.Schema):
    status = ma.fields.String(metadata={"description": "ready | not_ready"})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), metadata={
        "description": "database, migrations, redis, scheduler: ok, or what is wrong"})


@health.route("")
@health.response(200, HealthOut)
def alive():
    """Answers without touching the database."""
    return {"status": "ok"}


def _database() -> str:
    db.session.execute(text("SELECT 1"))
    return "ok"


def _migrations() -> str:
    from alembic.migration import MigrationContext
    heads = current_app.extensions.get("wushe_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory
        from flask_migrate import Config
        directory = current_app.extensions["migrate"].directory
        config = Config()
        config.set_main_option("script_location", directory)
        heads = frozenset(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["wushe_migration_heads"] = heads
    current = frozenset(MigrationContext.configure(db.session.connection()).get_current_heads())
    return "ok" if current == heads else "pending: run `flask db upgrade`"


def _redis() -> str:
    uri = current_app.config["RATELIMIT_STORAGE_URI"]
    if not uri.startswith(("redis://", "rediss://")):
        return "not used"
    import redis
    client = redis.Redis.from_url(uri, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _scheduler() -> str:
    from server.scheduler import services
    return "ok" if services.leader(now=clock.now()) else "none leads"


CHECKS = {"database": _database, "migrations": _migrations, "redis": _redis,
          "scheduler": _scheduler}
REQUIRED = ("database", "migrations", "redis")


@health.route("/ready")
@health.arguments(ReadyArgs, location="query")
@health.response(200, ReadyOut)
@health.alt_response(503, schema=ReadyOut, description="something it needs is not there")
def ready(args):
    """Readiness: database, migrations, Redis; with strict=1 a leading scheduler too."""
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - a failed check is the answer, not a 500
            db.session.rollback()
            checks[name] = f"failed: {type(exc).__name__}"
    needed = REQUIRED + (("scheduler",) if args["strict"] else ())
    good = all(checks[name] in ("ok", "not used") for name in needed)
    return {"status": "ready" if good else "not_ready", "checks": checks}, 200 if good else 503
