"""/api/v1/health: liveness for load balancers, and the benchmark's trivial baseline."""

from __future__ import annotations

import marshmallow as ma

from server.core.api import Blueprint

health = Blueprint("health", __name__, url_prefix="/api/v1/health",
                   description="Is the server up?")
blueprints = [health]


class HealthOut(ma.Schema):
    status = ma.fields.String()


@health.route("")
@health.response(200, HealthOut)
def alive():
    """Answers without touching the database."""
    return {"status": "ok"}
