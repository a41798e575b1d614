"""/api/v1 donations: public funds and ledgers, my pledges, the coordinators' desk."""

from __future__ import annotations

blueprints: list = []
