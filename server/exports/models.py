"""An export asked for, its progress, and the file it produced (kept in the database in
blocks, so that any web node can hand it out, whichever process wrote it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import UTCDateTime, one_of
from server.extensions import db

STATUSES = ("queued", "running", "done", "failed", "expired")


class ExportJob(db.Model):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # the file's name as the person will save it
    title: Mapped[str] = mapped_column(String(200))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)  # estimated when asked
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("rows_done >= 0 AND rows_total >= 0 AND attempts >= 0",
                        name="counts"),
        CheckConstraint("status <> 'done' OR size IS NOT NULL", name="done_has_file"),
        Index("ix_export_jobs_status_id", "status", "id"),
    )


class ExportChunk(db.Model):
    """One block of a finished export's file, in order."""

    __tablename__ = "export_chunks"

    job_id: Mapped[int] = mapped_column(ForeignKey("export_jobs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
