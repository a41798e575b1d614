"""Page endpoints (thin): public fund pages and ledger, pledging, my pledges."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("donation_pages", __name__)
