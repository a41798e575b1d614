"""Reading an uploaded roster as a stream of rows, safely.

openpyxl in read-only mode parses one row at a time; server.imports.xlsx keeps the
file's shared-strings table (its distinct texts) on disk and lets each row go once read,
so memory follows the widest row, not the row count. Before openpyxl sees the file it is
checked as a zip: a bomb (a part that unpacks to far more than the upload) is refused
from the sizes in its directory, which zipfile holds each part to. A sheet's declared
dimensions are never trusted: rows and columns are read up to fixed limits, so
"A1:XFD1048576" costs nothing.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from server.imports import errors, xlsx

MAX_BYTES = 5_000_000          # the upload; MAX_CONTENT_LENGTH (6 MB) bounds the request
MAX_UNPACKED = 400_000_000     # all parts together, unpacked
MAX_RATIO = 250                # unpacked / packed, per part
MAX_PARTS = 2_000
MAX_ROWS = 150_000             # data rows per sheet
MAX_COLS = 30
MAX_SHEETS = 10
HEADER_ROWS = 5                # a title row or two above the header is allowed
# a row's start tag in a sheet's XML (<row r="2">, or with a namespace prefix)
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")

# header text (normalised by `header_key`) → field
COLUMNS = {
    "name": ("姓名", "名字", "志愿者姓名", "name", "fullname"),
    "phone": ("手机号", "手机", "手机号码", "电话", "联系电话", "phone", "mobile",
              "phonenumber", "mobilephone"),
    "community": ("社区", "社区/村", "村", "所在社区", "社区名称", "community", "village"),
    "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "idnumber", "id_number",
                  "idcard"),
    "skills": ("技能", "特长", "专业技能", "skills", "skill"),
    "activity": ("活动", "活动名称", "活动标题", "activity", "activitytitle", "title"),
    "date": ("日期", "活动日期", "服务日期", "date", "activitydate"),
    "hours": ("时长", "服务时长", "小时", "小时数", "hours", "servicehours"),
}
_ALIASES = {alias.replace("_", ""): field for field, names in COLUMNS.items()
            for alias in names}
PEOPLE_REQUIRED = ("name", "phone", "community")
HOURS_REQUIRED = ("phone", "activity", "date", "hours")


def header_key(value) -> str:
    """"手机号 （可选）", "Phone Number*", "ＮＡＭＥ" → "手机号", "phonenumber", "name"."""
    text = unicodedata.normalize("NFKC", str(value or "")).lower()
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s_*:：.-]", "", text)


def field_of(value) -> str | None:
    return _ALIASES.get(header_key(value))


def cell_text(value) -> str:
    """A cell as a person reads it: 13812345678.0 is 13812345678, a date is 2026-03-10."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def check_zip(fh: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(fh) as archive:
            parts = archive.infolist()
            names = {p.filename for p in parts}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise errors.NotAWorkbook()
            if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED:
                raise errors.UnsafeWorkbook()
            for part in parts:
                if part.file_size > 1_000_000 and part.file_size > MAX_RATIO * max(
                        part.compress_size, 1):
                    raise errors.UnsafeWorkbook()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise errors.NotAWorkbook() from None
    finally:
        fh.seek(0)


@dataclass
class Sheet:
    title: str
    kind: str                   # "people" | "hours"
    columns: dict[str, int]     # field → column index
    header_row: int             # as Excel numbers it
    declared_rows: int          # what the sheet says it has (progress bars only)
    header: list[str]           # the header row as written


def _kind(columns: dict[str, int]) -> str | None:
    if {"activity", "date", "hours"} <= columns.keys():
        return "hours"
    if {"name", "phone"} & columns.keys() and "activity" not in columns:
        return "people"
    return None


class Workbook:
    """An opened roster: its people sheet and (optional) hours sheet, read as rows."""

    def __init__(self, fh: IO[bytes]):
        check_zip(fh)
        try:
            self.book = xlsx.load(fh)
        except Exception:  # openpyxl raises many kinds for a broken file  # noqa: BLE001
            raise errors.NotAWorkbook() from None
        try:
            self._find_sheets()
        except BaseException:
            self.close()  # refused: its strings go now, not when collected
            raise

    def _find_sheets(self) -> None:
        self.sheets: dict[str, Sheet] = {}
        for ws in self.book.worksheets[:MAX_SHEETS]:
            found = self._header(ws)
            if found and found.kind not in self.sheets:
                self.sheets[found.kind] = found
        if "people" not in self.sheets and "hours" not in self.sheets:
            raise errors.EmptyWorkbook()
        for kind, required in (("people", PEOPLE_REQUIRED), ("hours", HOURS_REQUIRED)):
            sheet = self.sheets.get(kind)
            if sheet is not None:
                missing = [f for f in required if f not in sheet.columns]
                if missing:
                    raise errors.MissingColumns(columns=", ".join(
                        COLUMNS[f][0] for f in missing))

    def _header(self, ws) -> Sheet | None:
        try:
            for number, row in ws.read_rows(1, HEADER_ROWS, MAX_COLS):
                columns: dict[str, int] = {}
                for index, value in enumerate(row):
                    field = field_of(value)
                    if field and field not in columns:
                        columns[field] = index
                kind = _kind(columns)
                if kind and len(columns) >= 2:
                    declared = min(ws.max_row or 0, MAX_ROWS + number)
                    header = [cell_text(v)[:60] for v in row]
                    while header and header[-1] == "":
                        header.pop()
                    return Sheet(ws.title, kind, columns, number, declared - number, header)
        except Exception:  # noqa: BLE001 - a broken sheet part
            raise errors.NotAWorkbook() from None
        return None

    def rows(self, kind: str) -> Iterator[tuple[int, list, dict]]:
        """(row number, the cells as text, {field: raw value}) for each non-blank row."""
        sheet = self.sheets.get(kind)
        if sheet is None:
            return
        ws = self.book[sheet.title]
        last = sheet.header_row + MAX_ROWS
        try:
            for number, row in ws.read_rows(sheet.header_row + 1, last + 1, MAX_COLS):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                if number > last:
                    raise errors.TooManyRows(rows=MAX_ROWS)
                raw = {f: (row[i] if i < len(row) else None)
                       for f, i in sheet.columns.items()}
                yield number, [cell_text(v)[:200] for v in row[:MAX_COLS]], raw
        except (errors.TooManyRows, GeneratorExit):
            raise
        except Exception:  # noqa: BLE001 - a broken sheet part, half way through
            raise errors.NotAWorkbook() from None

    def row_count(self) -> int:
        """Rows below the headers as the sheets' XML has them (blank rows too), counted
        without reading a cell: the declared dimensions are not to be trusted (and often
        absent), and reading the rows is the slow part this count helps to plan."""
        total = 0
        for sheet in self.sheets.values():
            found, tail = 0, b""
            try:
                with self.book[sheet.title]._get_source() as src:
                    while True:
                        chunk = src.read(1 << 20)
                        data = tail + chunk
                        # a tag cut at the block's end is counted with the next block
                        cut = len(data) - 16 if chunk else len(data)
                        found += sum(1 for m in _ROW_TAG.finditer(data) if m.start() < cut)
                        tail = data[cut:]
                        if not chunk:
                            break
            except Exception:  # noqa: BLE001 - a broken sheet part
                raise errors.NotAWorkbook() from None
            total += min(max(found - sheet.header_row, 0), MAX_ROWS + 1)
        return total

    def close(self) -> None:
        try:
            self.book.close()
        finally:
            xlsx.close_strings(self.book._wushe_strings)
