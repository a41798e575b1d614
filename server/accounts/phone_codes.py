"""SMS codes to reset a password or log in (being written: see the issue)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from server.accounts.models import PhoneCode
from server.extensions import db

KEEP_DAYS = 30


def prune(*, now: datetime) -> int:
    """Codes are kept a month (for the limits and for questions), then removed."""
    return db.session.execute(delete(PhoneCode).where(
        PhoneCode.created_at < now - timedelta(days=KEEP_DAYS))).rowcount or 0
