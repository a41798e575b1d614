"""An uploaded roster and its checked rows: what the preview shows and confirm writes.

The rows are a staging table: checking the file writes only here, so nothing a
volunteer or a report sees changes until the coordinator confirms. Duplicates and
existing accounts are found by set-based statements over these rows (server.imports.
resolve), so memory does not grow with the file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from server.core.db import UTCDateTime, one_of
from server.extensions import db

# waiting: stored, to be checked by the scheduler (too large to check while the page
# waited); checking: being checked; checked: its preview is there; failed: unreadable
FILE_STATUSES = ("waiting", "checking", "checked", "confirmed", "failed")
SHEETS = ("people", "hours")
# new: confirm writes it; existing: already there (an account matched by phone, hours
# imported before), confirm leaves it; rejected: with a reason, confirm skips it
ROW_STATUSES = ("new", "existing", "rejected")


class ImportFile(db.Model):
    __tablename__ = "import_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    # the bytes as uploaded, kept with the record of what was imported from them (a
    # table, not a folder: every web node sees it, and backups carry it)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    status: Mapped[str] = mapped_column(String(10))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # each sheet's header row as written: {"people": [...], "hours": [...]}
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    # what confirm wrote: {"people": n, "hours": n}
    written: Mapped[dict] = mapped_column(JSON, default=dict)
    # the check in the background: rows counted in the sheets when uploaded (for the
    # progress bar; blank rows too), rows checked so far, tries, when the last one began
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # why a file failed: a stable error code and the details its message names
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_params: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (
        CheckConstraint(one_of("status", FILE_STATUSES), name="status"),
        CheckConstraint("rows_done >= 0 AND rows_total >= 0 AND attempts >= 0",
                        name="counts"),
        CheckConstraint("(status = 'failed') = (error_code IS NOT NULL)", name="failed"),
        Index("ix_import_files_status_id", "status", "id"),
    )


class ImportRow(db.Model):
    __tablename__ = "import_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("import_files.id"))
    sheet: Mapped[str] = mapped_column(String(8))
    row_no: Mapped[int] = mapped_column(Integer)  # as Excel numbers it, header is 1
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(24))
    # the cells as written, for the preview and the rejected rows' workbook
    cells: Mapped[list] = mapped_column(JSON, default=list)
    # checked values (None where the row was refused before that column)
    phone: Mapped[str | None] = mapped_column(String(11))
    name: Mapped[str | None] = mapped_column(String(40))
    node_id: Mapped[int | None] = mapped_column(Integer)
    skills: Mapped[list | None] = mapped_column(JSON)
    id_type: Mapped[str | None] = mapped_column(String(20))
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    activity_id: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("uq_import_rows_row", "file_id", "sheet", "row_no", unique=True),
        Index("ix_import_rows_phone", "file_id", "sheet", "phone", "row_no"),
        Index("ix_import_rows_status", "file_id", "sheet", "status", "reason"),
        CheckConstraint(one_of("sheet", SHEETS), name="sheet"),
        CheckConstraint(one_of("status", ROW_STATUSES), name="status"),
        CheckConstraint("(status = 'rejected') = (reason IS NOT NULL)", name="reason"),
    )
