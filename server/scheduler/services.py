"""The leader lease and the bookkeeping of job runs.

Several scheduler processes may run (two per deployment, one on each of two machines);
only the holder of the unexpired lease runs jobs. The lease is taken and renewed by one
conditional UPDATE (it is ours, or it has expired), which the database decides for one
process at a time; a leader that dies stops renewing and another takes over once the
lease expires (SCHEDULER_LEASE_SECONDS). Jobs do not rely on the lease alone: each effect
has a unique key (server/scheduler/jobs.py), so even two leaders for a moment (a paused
process resuming) would not do anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.scheduler.models import JobRun, Lease

LEASE = "scheduler"
MAX_FAILURES_KEPT = 20


def acquire(holder: str, *, now: datetime, seconds: int, name: str = LEASE) -> bool:
    """Take or renew the lease; True if `holder` leads until now + seconds."""
    expires = now + timedelta(seconds=seconds)
    renewed = db.session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder,
                            Lease.expires_at > now)
        .values(renewed_at=now, expires_at=expires)).rowcount
    if renewed:
        return True
    taken = db.session.execute(
        update(Lease).where(Lease.name == name, Lease.expires_at <= now)
        .values(holder=holder, term=Lease.term + 1, acquired_at=now, renewed_at=now,
                expires_at=expires)).rowcount
    if taken:
        return True
    if db.session.get(Lease, name) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Lease(name=name, holder=holder, term=1, acquired_at=now,
                                 renewed_at=now, expires_at=expires))
    except IntegrityError:  # another process created it first: it leads
        return False
    return True


def release(holder: str, *, now: datetime, name: str = LEASE) -> None:
    """Step down at once (a clean shutdown), so a standby need not wait for expiry."""
    db.session.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                       .values(expires_at=now))


def leader(*, now: datetime, name: str = LEASE) -> Lease | None:
    lease = db.session.get(Lease, name)
    return lease if lease is not None and lease.expires_at > now else None


def holds(holder: str, *, now: datetime, name: str = LEASE) -> Lease | None:
    lease = leader(now=now, name=name)
    return lease if lease is not None and lease.holder == holder else None


def close_interrupted(holder: str, *, now: datetime) -> int:
    """Runs other processes left "running" when they stopped (killed, lost the lease):
    marked failed, so the admin page does not show them running for ever. Their records
    are done again by the next run, once each."""
    return db.session.execute(
        update(JobRun).where(JobRun.status == "running", JobRun.holder != holder)
        .values(status="failed", finished_at=now,
                message="interrupted: its scheduler stopped during the run")).rowcount or 0


def start_run(job: str, *, holder: str, term: int | None, now: datetime) -> JobRun:
    run = JobRun(job=job, holder=holder, term=term, started_at=now, status="running",
                 done=0, failed=0, failures=[])
    db.session.add(run)
    db.session.flush()
    return run


def finish_run(run_id: int, *, now: datetime, done: int, failures: list[dict],
               failed: int | None = None, message: str | None = None) -> JobRun:
    run = db.session.get(JobRun, run_id)
    run.finished_at, run.done = now, done
    run.failed = len(failures) if failed is None else failed
    run.failures = failures[:MAX_FAILURES_KEPT]
    run.message = message
    run.status = ("failed" if message and not done else
                  "partial" if run.failed else "ok")
    db.session.flush()
    return run


def latest_runs(jobs: list[str]) -> dict[str, dict[str, JobRun | None]]:
    """Per job: its last run, its last good run and its last run with failures."""
    def last(job: str, *statuses: str) -> JobRun | None:
        query = select(JobRun).where(JobRun.job == job)
        if statuses:
            query = query.where(JobRun.status.in_(statuses))
        return db.session.scalar(query.order_by(JobRun.started_at.desc(), JobRun.id.desc())
                                 .limit(1))
    return {job: {"last": last(job), "last_ok": last(job, "ok"),
                  "last_failed": last(job, "partial", "failed")} for job in jobs}


def recent_failures(*, since: datetime, limit: int = 50) -> list[JobRun]:
    return list(db.session.scalars(
        select(JobRun).where(JobRun.status.in_(("partial", "failed")),
                             JobRun.started_at >= since)
        .order_by(JobRun.id.desc()).limit(limit)))


def prune_runs(*, now: datetime, keep_ok_days: int = 3, keep_failed_days: int = 90) -> int:
    from sqlalchemy import delete
    ok = db.session.execute(delete(JobRun).where(
        JobRun.status.in_(("ok", "skipped")),
        JobRun.started_at < now - timedelta(days=keep_ok_days))).rowcount
    failed = db.session.execute(delete(JobRun).where(
        JobRun.started_at < now - timedelta(days=keep_failed_days))).rowcount
    return (ok or 0) + (failed or 0)
