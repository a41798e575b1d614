"""Exports: ask, write (now if small, else by the scheduler, with progress), hand out, expire.

Asking settles everything that can be refused (the right, the parameters) and estimates the
rows; a small export is written at once in the same request, a large one is queued and the
scheduler's `exports` job writes it. Its progress is written through a connection of its
own, so the page polling it sees it while the export's own transaction is still open. The
file is kept in blocks in the database, so any web node can hand it out, for
EXPORT_KEEP_HOURS, to the person who asked and nobody else.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import IO

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from server.accounts.models import User
from server.core import background
from server.core.errors import WusheError, message_for
from server.core.sqlite import READ_ONLY
from server.exports.errors import (
    ExportExpired,
    ExportFailed,
    ExportNotFound,
    ExportNotReady,
    TooManyExports,
    UnknownExportKind,
)
from server.exports.kinds import KINDS, Kind
from server.exports.models import ExportChunk, ExportJob
from server.extensions import db

CHUNK = 1024 * 1024
OPEN = ("queued", "running")
MAX_OPEN_PER_PERSON = 3
MAX_ATTEMPTS = 3
STALE = timedelta(minutes=30)  # a running export not finished by then was interrupted


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise UnknownExportKind()
    return kind


def ask(kind_name: str, params: dict, *, actor: User, now: datetime) -> ExportJob:
    """Check and record an export; `run_now(job)` says whether to write it at once."""
    kind = kind_of(kind_name)
    prepared = kind.prepare(actor, params, now)
    waiting = db.session.scalar(select(func.count()).select_from(ExportJob).where(
        ExportJob.requested_by_id == actor.id, ExportJob.status.in_(OPEN))) or 0
    if waiting >= MAX_OPEN_PER_PERSON:
        raise TooManyExports(n=waiting)
    job = ExportJob(kind=kind.name, params=prepared.params, title=prepared.title[:200],
                    requested_by_id=actor.id, status="queued", rows_total=prepared.rows,
                    rows_done=0, attempts=0, created_at=now)
    db.session.add(job)
    db.session.flush()
    return job


def run_now(job: ExportJob) -> bool:
    """Small enough to write while the person waits for the page."""
    return job.rows_total <= current_app.config["EXPORT_INLINE_ROWS"]


def write_file(job: ExportJob, *, now: datetime,
               progress: Callable[[int], None] | None = None) -> tuple[IO[bytes], int]:
    """Write the export to a temporary file (only reading the database): the file, at its
    start, and the rows written."""
    kind = kind_of(job.kind)
    actor = db.session.get(User, job.requested_by_id)
    fh = tempfile.TemporaryFile()
    try:
        rows = kind.write(fh, actor, job.params, now, progress or (lambda done: None))
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    return fh, rows


def keep_file(job: ExportJob, fh: IO[bytes], rows: int, *, now: datetime) -> ExportJob:
    """Keep the written file in blocks (in this unit of work): the job is done."""
    size, seq = 0, 0
    while block := fh.read(CHUNK):
        db.session.add(ExportChunk(job_id=job.id, seq=seq, data=block))
        db.session.flush()
        size += len(block)
        seq += 1
    job.status, job.rows_done, job.size = "done", rows, size
    job.rows_total = max(job.rows_total, rows)
    job.started_at = job.started_at or now
    job.finished_at = now
    job.expires_at = now + timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    job.error_code = None
    db.session.flush()
    return job


def perform(job: ExportJob, *, now: datetime) -> ExportJob:
    """Write and keep the file in this unit of work (a small export, while the page waits)."""
    fh, rows = write_file(job, now=now)
    with fh:
        return keep_file(job, fh, rows, now=now)


def write_claimed(job_id: int, *, now: datetime) -> tuple[IO[bytes], int]:
    """The scheduler's way, for a claimed export: write the file in a transaction that only
    reads (its progress is written meanwhile through a connection of its own). The caller
    ends that transaction, then keeps the file (keep_file) in a short one of its own."""
    db.session.connection(execution_options={READ_ONLY: True})
    job = db.session.get(ExportJob, job_id)
    return write_file(job, now=now, progress=progress_reporter(job_id))


# -- the scheduler's side ------------------------------------------------------------

def claim_next(*, now: datetime) -> int | None:
    """Take the oldest waiting export (or one whose writer was interrupted): one process
    only wins it, by the conditional update."""
    return background.claim_oldest(ExportJob, waiting="queued", working="running", now=now,
                                   stale=STALE, max_attempts=MAX_ATTEMPTS)


def progress_reporter(job_id: int, *, every: int = 5000) -> Callable[[int], None]:
    """Record the rows written so far, through a connection of its own (committed at once,
    seen by the page while the export's transaction goes on)."""
    last = [0]

    def report(done: int) -> None:
        if done - last[0] < every:
            return
        last[0] = done
        with db.engine.begin() as conn:
            conn.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                 ExportJob.status == "running")
                         .values(rows_done=done))
    return report


def fail(job_id: int, exc: Exception, *, now: datetime) -> None:
    code = exc.code if isinstance(exc, WusheError) else ExportFailed.code
    # decided in the database (a loaded copy of the export may be older than its claim)
    db.session.execute(
        update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "running")
        .values(status="failed", error_code=code[:40], finished_at=now)
        .execution_options(synchronize_session=False))
    db.session.flush()


def give_up_interrupted(*, now: datetime) -> list[int]:
    """Exports whose writer was interrupted MAX_ATTEMPTS times fail (their page says so,
    instead of a progress bar for ever): their ids."""
    ids = background.interrupted_too_often(ExportJob, working="running", now=now,
                                           stale=STALE, max_attempts=MAX_ATTEMPTS)
    for job_id in ids:
        fail(job_id, ExportFailed(), now=now)
    return ids


def prune(*, now: datetime) -> int:
    """Finished exports past their day go: their file blocks deleted, the record kept (who
    exported what, when) as expired."""
    ids = list(db.session.scalars(select(ExportJob.id).where(
        ExportJob.status.in_(("done", "failed")),
        or_(ExportJob.expires_at < now, ExportJob.expires_at.is_(None)
            & (ExportJob.finished_at < now - timedelta(days=1))))))
    if ids:
        db.session.execute(delete(ExportChunk).where(ExportChunk.job_id.in_(ids)))
        db.session.execute(update(ExportJob).where(ExportJob.id.in_(ids))
                           .values(status="expired"))
    return len(ids)


# -- the person's side ---------------------------------------------------------------

def get_for(job_id: int, *, viewer: User | None) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None or viewer is None or job.requested_by_id != viewer.id:
        raise ExportNotFound()
    return job


def mine(viewer: User, *, limit: int = 20) -> list[ExportJob]:
    return list(db.session.scalars(
        select(ExportJob).where(ExportJob.requested_by_id == viewer.id)
        .order_by(ExportJob.id.desc()).limit(limit)))


def check_ready(job: ExportJob, *, now: datetime) -> None:
    """The file may be handed out now: finished, not expired, and its asker still has the
    right to what it holds."""
    kind = kind_of(job.kind)
    if kind.may_fetch is not None:
        kind.may_fetch(db.session.get(User, job.requested_by_id), job.params)
    if job.status == "expired" or (job.expires_at is not None and job.expires_at < now):
        raise ExportExpired()
    if job.status == "failed":
        raise ExportFailed()
    if job.status != "done":
        raise ExportNotReady()


def blocks(job_id: int) -> Iterator[bytes]:
    """The file, a block at a time (one block in memory)."""
    count = db.session.scalar(select(func.count()).select_from(ExportChunk)
                              .where(ExportChunk.job_id == job_id)) or 0
    for seq in range(count):
        yield db.session.scalar(select(ExportChunk.data).where(
            ExportChunk.job_id == job_id, ExportChunk.seq == seq))


def percent(job: ExportJob) -> int:
    return background.percent(job.rows_done, job.rows_total, finished=job.status == "done")


def error_text(code: str | None) -> str:
    """What a person reads about a failed export: its error's message (the general one
    when that message needs details a stored code does not keep)."""
    return message_for(code, None, fallback=ExportFailed)
