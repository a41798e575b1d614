"""What the API says about an export."""

from __future__ import annotations

import marshmallow as ma
from flask import url_for

from server.core.fields import Count, LocalDateTime, Text
from server.exports import services


class ExportJobOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String(metadata={"description": "the file's name"})
    status = ma.fields.String(metadata={
        "description": "queued | running | done | failed | expired"})
    rows_total = ma.fields.Integer(metadata={"description": "rows expected (estimated when "
                                                            "asked; exact once done)"})
    rows_done = ma.fields.Integer()
    percent = Count(services.percent, metadata={"minimum": 0, "maximum": 100})
    size = ma.fields.Integer(allow_none=True, metadata={"description": "bytes, once done"})
    error_code = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    expires_at = LocalDateTime(allow_none=True)
    file_url = Text(
        lambda job: url_for("exports.download", job_id=job.id) if job.status == "done"
        else None, nullable=True,
        metadata={"description": "where to download the file, once done"})

