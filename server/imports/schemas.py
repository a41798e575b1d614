"""What goes into and comes out of /api/v1/imports."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate as v

from server.core.fields import (
    Id,
    LocalDateTime,
    Text,
    Whole,
)
from server.imports.errors import REASONS
from server.imports.models import ROW_STATUSES, SHEETS

PER_PAGE = 50


class UploadIn(ma.Schema):
    """One multipart/form-data body: the file and the place it belongs to."""

    file = Upload(required=True, metadata={"description": "the roster, .xlsx"})
    node_id = Id(required=True, metadata={
        "description": "the place the roster belongs to; its communities and activities "
                       "are the ones rows may name"})


class PageArgs(ma.Schema):
    sheet = ma.fields.String(load_default="people", validate=v.OneOf(SHEETS))
    status = ma.fields.String(load_default=None, allow_none=True, validate=v.OneOf(ROW_STATUSES))
    page = Whole(load_default=1, validate=v.Range(min=1, max=100_000))
    per_page = Whole(load_default=PER_PAGE, validate=v.Range(min=1, max=500))


class SheetTotalsOut(ma.Schema):
    new = ma.fields.Integer(metadata={"description": "confirm writes these"})
    existing = ma.fields.Integer(metadata={"description": "already there; left as they are"})
    rejected = ma.fields.Integer()
    reasons = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                             metadata={"description": "rejected rows per reason code"})


class TotalsOut(ma.Schema):
    people = ma.fields.Nested(SheetTotalsOut)
    hours = ma.fields.Nested(SheetTotalsOut)


class RowOut(ma.Schema):
    row_no = ma.fields.Integer(metadata={"description": "the row number in Excel"})
    status = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    reason_text = Text("_reason_text", nullable=True)

    cells = ma.fields.List(ma.fields.String(), metadata={
        "description": "the row as written (ID numbers masked)"})

    def _reason_text(self, row) -> str | None:
        return str(REASONS[row.reason]) if row.reason in REASONS else None


class ImportOut(ma.Schema):
    id = ma.fields.Integer()
    node_id = ma.fields.Integer()
    filename = ma.fields.String()
    sha256 = ma.fields.String()
    size = ma.fields.Integer()
    status = ma.fields.String(metadata={
        "description": "waiting (stored; a large file is checked in the background) | "
                       "checking | checked (a preview) | confirmed | failed (see "
                       "error_code and error_message)"})
    rows_total = ma.fields.Integer(metadata={
        "description": "rows counted in the sheets when uploaded (blank rows too)"})
    rows_done = ma.fields.Integer(metadata={"description": "rows checked so far"})
    percent = ma.fields.Integer(metadata={"description": "the check's progress, 0 to 100"})
    error_code = ma.fields.String(allow_none=True, metadata={
        "description": "why the file could not be checked (status failed)"})
    error_message = ma.fields.String(allow_none=True, metadata={
        "description": "the same, for people, in their language"})
    uploaded_at = LocalDateTime()
    confirmed_at = LocalDateTime(allow_none=True)
    written = ma.fields.Dict(metadata={"description": "after confirm: people and hours "
                                                      "written"})
    headers = ma.fields.Dict()
    totals = ma.fields.Nested(TotalsOut)
    sheet = ma.fields.String()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total_rows = ma.fields.Integer(metadata={"description": "rows of this sheet and status"})
    rows = ma.fields.List(ma.fields.Nested(RowOut))
