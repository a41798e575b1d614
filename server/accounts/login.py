"""Logging in and out, the same for the page and the API (the request's side of it:
cookies and the session; the rows are accounts.sessions)."""

from __future__ import annotations

from datetime import datetime

from flask import request, session
from flask_login import current_user, login_user, logout_user

from server.accounts import sessions
from server.accounts.models import User

# what survives logging in: a venue link the volunteer opened before logging in
KEPT = ("held_checkin",)


def log_in(user: User, *, remember: bool, now: datetime) -> None:
    """A fresh session: nothing from before the login is carried over but KEPT, so the
    CSRF token a page had before login does not work after it (and no fixation)."""
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept)
    sessions.start(user, remember=remember, now=now, ip=request.remote_addr,
                   user_agent=request.user_agent.string)
    login_user(user, remember=remember)


def log_out(*, now: datetime, everywhere: bool = False) -> int:
    """End this login (or every login of the person); harmless when not logged in."""
    ended = 0
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if everywhere:
            ended = sessions.end_all(user, now=now)
        else:
            sessions.end(user.login_token, now=now)
            ended = 1
    logout_user()
    session.clear()
    session["_remember"] = "clear"  # Flask-Login deletes the remember-me cookie on this
    return ended
