"""/api/v1 endpoints (thin): filled in below."""

blueprints: list = []
