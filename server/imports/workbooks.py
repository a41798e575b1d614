"""Workbooks we hand out: the empty template, and a file's rejected rows with reasons.
Both are written with openpyxl's write-only mode, row by row, to a temporary file."""

from __future__ import annotations

import tempfile
from typing import IO

from openpyxl import Workbook
from sqlalchemy import select

from server.core.sheets import text_row
from server.extensions import db
from server.imports.errors import REASONS
from server.imports.models import ImportFile, ImportRow

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PEOPLE_HEADER = ["姓名", "手机号", "社区", "身份证号（可选）", "技能（可选，用顿号分隔）"]
HOURS_HEADER = ["手机号", "活动", "日期", "时长（小时）"]
SHEET_TITLES = {"people": "志愿者", "hours": "服务时长"}


def template() -> IO[bytes]:
    """The roster template: a volunteers sheet and a past hours sheet, one example each."""
    book = Workbook(write_only=True)
    people = book.create_sheet(SHEET_TITLES["people"])
    people.append(PEOPLE_HEADER)
    people.append(["张三", "13812345678", "运河园社区", "", "法律、心理"])
    hours = book.create_sheet(SHEET_TITLES["hours"])
    hours.append(HOURS_HEADER)
    hours.append(["13812345678", "法律问题进社区公益讲堂", "2026-03-10", 2])
    return _saved(book)


def rejected(file: ImportFile) -> IO[bytes]:
    """Every refused row as it was written, with its row number and the reason, so the
    coordinator can correct them and upload just those."""
    book = Workbook(write_only=True)
    for sheet in ("people", "hours"):
        ws = book.create_sheet(SHEET_TITLES[sheet])
        ws.append(text_row(ws, ["行号", "原因", *(file.headers or {}).get(sheet, [])]))
        after = 0
        while True:
            rows = db.session.execute(
                select(ImportRow.row_no, ImportRow.reason, ImportRow.cells)
                .where(ImportRow.file_id == file.id, ImportRow.sheet == sheet,
                       ImportRow.status == "rejected", ImportRow.row_no > after)
                .order_by(ImportRow.row_no).limit(1000)).all()
            if not rows:
                break
            for row in rows:
                ws.append(text_row(ws, [row.row_no, str(REASONS.get(row.reason, row.reason)),
                                        *row.cells]))
            after = rows[-1].row_no
    return _saved(book)


def _saved(book: Workbook) -> IO[bytes]:
    fh = tempfile.TemporaryFile()
    try:
        book.save(fh)
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    return fh
