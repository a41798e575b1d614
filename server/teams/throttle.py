"""Invitations by phone are counted per leader, page and API alike. An invitation answers
the same whether or not a number has an account (server.teams.invitations), so it cannot
be used to find out who is on the platform; the budget still bounds how many numbers one
leader can send invitations to (and so messages to people), as registration's bounds the
codes sent per address (server.accounts.throttle)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from server.extensions import limiter


def _leader() -> str:
    return f"invite|{current_user.id if current_user.is_authenticated else 'anonymous'}"


# one budget for the page and the API (a plain limit counts each endpoint apart)
invite_limit = limiter.shared_limit(lambda: current_app.config["INVITE_RATE_LIMIT"],
                                    scope="team_invite", key_func=_leader, methods=["POST"])
