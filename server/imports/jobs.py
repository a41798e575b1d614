"""Checking a stored roster in the background (the scheduler's `imports` job).

An upload too large to check while the page waits is stored as waiting
(services.check_upload with `later_above`). The job claims the oldest (one process
wins it: server.core.background), checks it with the same code as a small upload, and
calls `checkpoint` after each batch of rows with the count so far written on the
file: the scheduler commits there, so the page sees the progress and no write lock is
held for the whole file. The staged rows are nobody's business until the file is
"checked", so a check that fails or is interrupted leaves nothing behind: its rows are
deleted when it fails and before it is tried again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from server.communities.models import Node
from server.core import background
from server.core.errors import WusheError, message_for
from server.extensions import db
from server.imports import errors, services
from server.imports.models import ImportFile, ImportRow
from server.imports.sheet import Workbook

MAX_ATTEMPTS = 3
STALE = timedelta(minutes=30)  # a check not finished by then was interrupted


class Superseded(Exception):
    """The file is no longer this check's: it was claimed again meanwhile."""


def claim_next(*, now: datetime) -> int | None:
    """The oldest waiting file (or one whose check was interrupted), now checking."""
    return background.claim_oldest(ImportFile, waiting="waiting", working="checking",
                                   now=now, stale=STALE, max_attempts=MAX_ATTEMPTS)


def give_up_interrupted(*, now: datetime) -> list[int]:
    """Files whose check was interrupted MAX_ATTEMPTS times fail (rather than show their
    progress bar for ever): their ids."""
    ids = background.interrupted_too_often(ImportFile, working="checking", now=now,
                                           stale=STALE, max_attempts=MAX_ATTEMPTS)
    for file_id in ids:
        fail(file_id, errors.CheckFailed(), now=now)
    return ids


def _mine(file_id: int, attempt: int):
    return (update(ImportFile).where(ImportFile.id == file_id,
                                     ImportFile.status == "checking",
                                     ImportFile.attempts == attempt)
            .execution_options(synchronize_session=False))


def check_claimed(file_id: int, *, now: datetime, checkpoint: Callable[[], None]) -> None:
    """Check a claimed file's rows, as an upload small enough is checked at once; then it
    is "checked" and its preview is there. Raises the typed error of a file that cannot
    be read (services.check_upload's), or Superseded."""
    file = db.session.get(ImportFile, file_id)
    attempt, total = file.attempts, file.rows_total
    node = db.session.get(Node, file.node_id)
    db.session.execute(delete(ImportRow).where(ImportRow.file_id == file_id))  # a retry
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        if db.session.execute(_mine(file_id, attempt).values(rows_done=done)).rowcount != 1:
            raise Superseded(file_id)
        checkpoint()

    with tempfile.TemporaryFile() as fh:  # on disk: not held in memory while it is read
        fh.write(db.session.scalar(select(ImportFile.content)
                                   .where(ImportFile.id == file_id)))
        fh.seek(0)
        book = Workbook(fh)
        try:
            services.check_rows(book, file_id, node, now=now, progress=progress)
        finally:
            book.close()
    finished = db.session.execute(_mine(file_id, attempt).values(
        status="checked", rows_done=done,
        rows_total=max(total, done))).rowcount
    if finished != 1:
        raise Superseded(file_id)
    services.forget_content(file_id)
    db.session.expire(file)


def fail(file_id: int, exc: Exception, *, now: datetime) -> None:
    """The file could not be checked: it says why (a typed error's code and details),
    and the rows staged so far go."""
    if isinstance(exc, Superseded):
        return  # another check has it now
    if isinstance(exc, WusheError):
        code = exc.code
        params = {k: v for k, v in exc.params.items() if isinstance(v, str | int | float)}
    else:
        code, params = errors.CheckFailed.code, {}
    won = db.session.execute(
        update(ImportFile).where(ImportFile.id == file_id, ImportFile.status == "checking")
        .values(status="failed", error_code=code[:40], error_params=params or None)
        .execution_options(synchronize_session=False)).rowcount
    if won == 1:
        db.session.execute(delete(ImportRow).where(ImportRow.file_id == file_id))
        services.forget_content(file_id)
    db.session.flush()


def percent(file: ImportFile) -> int:
    return background.percent(file.rows_done or 0, file.rows_total or 0,
                              finished=file.status in ("checked", "confirmed"))


def error_text(file: ImportFile) -> str | None:
    """What a person reads about a file that failed: its error's message."""
    if file.status != "failed":
        return None
    return message_for(file.error_code, file.error_params, fallback=errors.CheckFailed)
