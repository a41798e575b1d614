"""Invitations by phone are counted per leader, page and API alike: each answer tells
whether a number has an account (an unknown one is user_not_found), as registration's
does, so the budget bounds how many numbers one leader can probe
(server.accounts.throttle counts registrations per address for the same reason)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from server.extensions import limiter


def _leader() -> str:
    return f"invite|{current_user.id if current_user.is_authenticated else 'anonymous'}"


# one budget for the page and the API (a plain limit counts each endpoint apart)
invite_limit = limiter.shared_limit(lambda: current_app.config["INVITE_RATE_LIMIT"],
                                    scope="team_invite", key_func=_leader, methods=["POST"])
