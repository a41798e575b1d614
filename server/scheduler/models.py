"""The scheduler's own tables: who leads (the lease), what each job did (runs), and
APScheduler's job store (its table, declared here so migrations create it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import UTCDateTime, one_of
from server.extensions import db

RUN_STATUSES = ("running", "ok", "partial", "failed", "skipped")


class Lease(db.Model):
    """One row per lease: whoever holds an unexpired lease leads; `term` grows by one each
    time another holder takes it, so every run says under which leadership it ran."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    term: Mapped[int] = mapped_column(Integer, default=1)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("term >= 1", name="term"),)


class JobRun(db.Model):
    """One run of one job: how many records it handled, which failed and why."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str] = mapped_column(String(120))
    term: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8))
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # the first failures: [{"subject": "activity 12", "error": "…"}]
    failures: Mapped[list[dict]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_job_runs_job_started", "job", "started_at"),
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        CheckConstraint("done >= 0 AND failed >= 0", name="counts"),
    )


# APScheduler's SQLAlchemyJobStore keeps the jobs' next run times here. It declares the
# same table in a MetaData of its own and creates it if missing; declaring it here too lets
# the migrations create it, so `flask db upgrade` leaves nothing for the scheduler to add.
apscheduler_jobs = Table(
    "apscheduler_jobs", db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
