"""Logins as rows: one per device, ended by logging out, listed on the profile.

Flask's session is a signed cookie the server cannot take back, and Flask-Login's
remember-me cookie lives 30 days. Both carry only a random token here; the token's row
(stored as its SHA-256) says whose it is, until when, and whether it has ended. Logging
out ends the row, so a copied session or remember cookie stops working at once; "log
out of all devices" ends every row of the person.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import lazyload

from server.accounts.models import LoginSession, RoleAssignment, User
from server.core.db import UTCDateTime
from server.extensions import db

TOKEN_PREFIX = "s1."  # what a session cookie's user id looks like now


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hash(token: str) -> str | None:
    """What a login's row stores for this cookie token (None: not a token of ours). For a
    statement that checks the login itself (checkin.live) instead of loading the person."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return _hash(token)


def start(user: User, *, remember: bool, now: datetime, ip: str | None = None,
          user_agent: str | None = None) -> str:
    """A new login for this device; returns the token the cookies carry."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    cfg = current_app.config
    lifetime = (timedelta(days=cfg["REMEMBER_COOKIE_DURATION_DAYS"]) if remember
                else timedelta(hours=cfg["LOGIN_SESSION_HOURS"]))
    db.session.add(LoginSession(user_id=user.id, token_hash=_hash(token), remember=remember,
                                created_at=now, expires_at=now + lifetime, ip=ip,
                                user_agent=(user_agent or "")[:200] or None))
    db.session.flush()
    user.login_token = token
    return token


@cache
def _user_query():
    """Built once: every request runs it, and building it cost more than running it."""
    return (select(User).join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.token_hash == bindparam("token_hash"),
                   LoginSession.ended_at.is_(None),
                   LoginSession.expires_at > bindparam("now", type_=UTCDateTime()),
                   User.active.is_(True))
            # the roles only when asked for (a scan authorises in its own query), and then
            # with their places, in one query
            .options(lazyload(User.roles).joinedload(RoleAssignment.node),
                     lazyload(User.roles).joinedload(RoleAssignment.organisation)))


def user_for(token: str, *, now: datetime) -> User | None:
    """The person a cookie's token belongs to, if the login is live: one query (their
    roles, with their nodes and organisations, in a second one if something asks)."""
    hashed = token_hash(token)
    if hashed is None:
        return None
    user = db.session.scalars(_user_query(), {"token_hash": hashed, "now": now}
                              ).unique().first()
    if user is not None:
        user.login_token = token
    return user


def end(token: str | None, *, now: datetime) -> None:
    if token:
        db.session.execute(update(LoginSession).where(
            LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=now))


def end_all(user: User, *, now: datetime) -> int:
    """Every device of this person is logged out; returns how many were."""
    return db.session.execute(update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
        LoginSession.expires_at > now).values(ended_at=now)).rowcount


def live(user: User, *, now: datetime) -> list[LoginSession]:
    return list(db.session.scalars(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
        LoginSession.expires_at > now).order_by(LoginSession.created_at.desc())))


def is_current(row: LoginSession, user: User) -> bool:
    token = getattr(user, "login_token", None)
    return bool(token) and row.token_hash == _hash(token)
