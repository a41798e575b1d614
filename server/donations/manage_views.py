"""Page endpoints (thin) for coordinators: the pledge queue, intake, distributions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("donation_desk", __name__)
