"""Records that wait for the scheduler (exports to write, rosters to check): the oldest is
claimed by one process only, and its progress is shown as a percentage.

A model used here has `id`, `status`, `attempts`, `started_at` and `rows_done`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from server.extensions import db


def claim_oldest(model, *, waiting: str, working: str, now: datetime, stale: timedelta,
                 max_attempts: int) -> int | None:
    """Take the oldest waiting record (or one whose worker was interrupted: working since
    before `stale`, tried fewer than `max_attempts` times) and mark it working. The update
    is conditional on the status and attempt seen, so of several processes (schedulers,
    web workers) asking at once exactly one wins each record, an interrupted one too."""
    candidates = db.session.execute(
        select(model.id, model.status, model.attempts).where(or_(
            model.status == waiting,
            (model.status == working) & (model.started_at < now - stale)
            & (model.attempts < max_attempts)))
        .order_by(model.id).limit(5)).all()
    for ident, status, attempts in candidates:
        won = db.session.execute(
            update(model).where(model.id == ident, model.status == status,
                                model.attempts == attempts)
            .values(status=working, started_at=now, attempts=attempts + 1, rows_done=0)
            .execution_options(synchronize_session=False)).rowcount
        if won == 1:
            return ident
    return None


def interrupted_too_often(model, *, working: str, now: datetime, stale: timedelta,
                          max_attempts: int) -> list[int]:
    """Records whose worker was interrupted `max_attempts` times (working since before
    `stale`, not to be claimed again): their ids, for the domain to mark failed rather than
    show a progress bar for ever."""
    return list(db.session.scalars(select(model.id).where(
        model.status == working, model.started_at < now - stale,
        model.attempts >= max_attempts).order_by(model.id)))


def percent(done: int, total: int, *, finished: bool) -> int:
    """0 to 99 while it runs (a count estimated beforehand may be short), 100 once done."""
    if finished:
        return 100
    if not total:
        return 0
    return min(99, done * 100 // total)
