"""Hours export: a node's approved hours for a period, as an Excel workbook.

Sheet 明细 has one row per approved entry (reversals included, so column sums are the
ledger's totals); sheet 汇总 has one row per volunteer. Only coordinators and admins whose
scope covers the node may export; the period is by the activity's start date in Beijing
time, both days included, at most MAX_DAYS days.

Memory stays flat and 100,000 rows take seconds:

- the entries are streamed from the database in batches of plain columns (a server-side
  cursor on PostgreSQL; no ORM objects); the volunteer summary is added up from those same
  rows as they pass (one snapshot: the sheets always agree), holding one small record per
  volunteer;
- XlsxWriter (constant_memory mode, which flushes each row to a temporary file) writes the
  workbook: styles, properties, both headers, frozen panes, widths, autofilters and the
  summary rows;
- the detail rows, by far the bulk, are rendered here as the same <row>/<c> inline-string
  XML XlsxWriter's constant_memory mode writes, to a temporary file, and spliced into its
  sheet when the final zip is written. XlsxWriter spends ~5 µs per cell in pure Python
  (1.7 million cells: most of the export's time); f-strings with the repeating cells
  (activity, person) escaped once are ~10x faster. tests/hours/test_export.py checks the
  spliced rows against XlsxWriter's own, byte for byte.
  (XlsxWriter's in_memory option would switch constant_memory off, so it is not used.)

The workbook is in Chinese whatever the interface language: it is the record a street or
community files (志愿服务记录), not a page.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO

import xlsxwriter
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import aliased

from server.accounts import permissions
from server.accounts.models import User
from server.accounts.privacy import mask_phone
from server.activities.models import Activity
from server.communities.models import Node, Organisation
from server.core.clock import from_local, local
from server.core.errors import Forbidden, ValidationError
from server.core.sheets import XLSX_OPTIONS
from server.extensions import db
from server.hours import sheet_xml
from server.hours.models import HourEntry, HourReview
from server.hours.sheet_xml import EXCEL_EPOCH, inline, number, serial

MAX_DAYS = 366
MAX_ROWS = 1_048_575  # Excel's last row, less the header
BATCH = 2000  # rows fetched from the cursor at a time
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_LEVEL = 3  # deflate level: ~4x faster than the default 6, the file ~5% larger

KIND_TEXT = {"attendance": "签到记录", "retroactive": "补录", "replacement": "更正",
             "reversal": "冲销", "imported": "名册导入"}
FLAG_TEXT = {"auto_checkout": "自动签退", "duplicate_scans": "重复扫码",
             "self_checkin": "自助签到", "poster_checkin": "海报码签到", "walk_in": "现场加入",
             "forced": "强制登记", "retroactive": "补录", "no_location": "无定位",
             "paper": "纸质签到", "assisted": "按姓名或手机号查找",
             "late_scan": "活动结束后上传的扫码", "filed_by_organiser": "组织者代为补录"}
SOURCE_TEXT = {"organiser_scan": "组织者扫码", "self": "自助签到", "self_poster": "海报码自助签到",
               "offline_upload": "离线上传", "manual_search": "手动查找", "automatic": "自动签退",
               "retroactive": "补录", "paper": "纸质签到", "phone_lookup": "按手机号查找",
               "import": "名册导入"}
# every code a record can carry has its words here (tests/hours/test_export.py checks):
# a person reading the sheet never sees a raw code

# (header, width in characters, number format of the column or None)
DATE, HOURS, DATETIME = "yyyy-mm-dd", "0.00", "yyyy-mm-dd hh:mm"
DETAIL_COLUMNS = (
    ("记录编号", 10, None), ("类型", 8, None), ("对应记录", 10, None), ("志愿者编号", 13, None),
    ("姓名", 10, None), ("手机号", 13, None), ("活动日期", 11, DATE), ("活动名称", 30, None),
    ("地点", 24, None), ("社区/村", 14, None), ("组织单位", 24, None), ("时长（分钟）", 10, None),
    ("时长（小时）", 10, HOURS), ("记录方式", 16, None), ("标记", 18, None), ("审核人", 10, None),
    ("审核时间", 17, DATETIME), ("说明", 30, None),
)
SUMMARY_COLUMNS = (
    ("姓名", 10, None), ("志愿者编号", 13, None), ("手机号", 13, None), ("参加活动数", 11, None),
    ("总时长（分钟）", 13, None), ("总时长（小时）", 13, HOURS),
)
DETAIL_PART = "xl/worksheets/sheet1.xml"  # XlsxWriter names sheets in the order added
# the style index each number format gets is known only once XlsxWriter has written
# styles.xml: the rendered rows carry these bytes and the splice replaces them
STYLE_TOKENS = {DATE: b"\x01", HOURS: b"\x02", DATETIME: b"\x03"}

_DAY = timedelta(days=1)


class PeriodTooLong(ValidationError):
    code = "period_too_long"
    message = _l("Choose a period of at most %(days)s days.")


class TooManyRows(ValidationError):
    code = "too_many_rows"
    message = _l("More rows than a spreadsheet holds: choose a shorter period or a smaller "
                 "area.")


@dataclass
class ExportResult:
    rows: int
    volunteers: int


def volunteer_number(user_id: int) -> str:
    """WS00000042: the number printed for a volunteer (the user id, zero-padded)."""
    return f"WS{user_id:08d}"


def check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationError(errors={"end": ["after_start"]})
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodTooLong(days=MAX_DAYS, errors={"end": ["period_too_long"]})


def check_access(actor: User | None, node: Node) -> None:
    if not permissions.covers(actor, node, "coordinator", "admin"):
        raise Forbidden()


def export_filename(node: Node, start: date, end: date) -> str:
    return f"志愿服务时长_{node.name}_{start.isoformat()}至{end.isoformat()}.xlsx"


def export_hours(actor: User | None, node: Node, start_date: date, end_date: date,
                 now: datetime) -> bytes:
    """The workbook as bytes (fine for tests and scripts; the endpoints stream a file)."""
    out = io.BytesIO()
    write_export(out, actor, node, start_date, end_date, now)
    return out.getvalue()


def _scope(node: Node, start_date: date, end_date: date) -> tuple:
    begins = from_local(datetime.combine(start_date, time.min))
    ends = from_local(datetime.combine(end_date + _DAY, time.min))
    return (permissions.under(Node.path, [node.path]),
            Activity.starts_at >= begins, Activity.starts_at < ends)


def count_rows(actor: User | None, node: Node, start_date: date, end_date: date) -> int:
    """Check the right and the period, and count the detail rows the export would have
    (one grouped query: what decides whether it is written now or in the background)."""
    check_access(actor, node)
    check_period(start_date, end_date)
    return db.session.scalar(
        select(func.count()).select_from(HourEntry)
        .join(HourReview, HourReview.entry_id == HourEntry.id)
        .join(Activity, HourEntry.activity_id == Activity.id)
        .join(Node, Activity.node_id == Node.id)
        .where(HourReview.decision == "approved", *_scope(node, start_date, end_date))) or 0


def write_export(output: IO[bytes] | str, actor: User | None, node: Node, start_date: date,
                 end_date: date, now: datetime,
                 progress: Callable[[int], None] | None = None) -> ExportResult:
    """Check the right and the period, then write the .xlsx to `output` (file or path);
    `progress(rows written)` is called every few thousand rows."""
    check_access(actor, node)
    check_period(start_date, end_date)
    in_scope = _scope(node, start_date, end_date)
    with tempfile.TemporaryFile() as rows_fh, tempfile.TemporaryFile() as shell_fh:
        rows, volunteers = render_detail_rows(rows_fh, in_scope, progress)
        _write_shell(shell_fh, node, start_date, end_date, now, rows, volunteers)
        _splice(output, shell_fh, rows_fh, rows)
    return ExportResult(rows=rows, volunteers=len(volunteers))


# -- the detail rows: rendered here ----------------------------------------------------

def _labels(table: dict[str, str]):
    """JSON list text -> the escaped "label、label" cell, memoised: few lists repeat."""
    seen: dict[str | None, str] = {}

    def text(raw: str | None) -> str:
        found = seen.get(raw)
        if found is None:
            try:
                codes = json.loads(raw) if raw else []
            except ValueError:
                codes = []
            label = "、".join(table.get(c, c) for c in codes or ())
            found = seen[raw] = inline(label) if label else ""
        return found
    return text


def _activity_cells(condition) -> dict[int, tuple[str, str, str, str, str]]:
    """Per activity, its cells: date serial, title, place, node, organisation."""
    rows = db.session.execute(
        select(Activity.id, Activity.starts_at, Activity.title, Activity.place, Node.name,
               Organisation.name)
        .join(Node, Activity.node_id == Node.id)
        .join(Organisation, Activity.organisation_id == Organisation.id)
        .where(*condition))
    found = {}
    for act_id, starts_at, title, place, node_name, org_name in rows:
        day = (local(starts_at).date() - EXCEL_EPOCH.date()).days
        found[act_id] = (str(day), inline(title), inline(place), inline(node_name),
                         inline(org_name))
    return found


def detail_query(in_scope):
    reviewer = aliased(User)
    return (
        select(HourEntry.id, HourEntry.kind, HourEntry.reverses_id, HourEntry.replaces_id,
               HourEntry.user_id, User.name, User.phone, HourEntry.activity_id,
               HourEntry.minutes, cast(HourEntry.sources, String),
               cast(HourEntry.flags, String), reviewer.name, HourReview.decided_at,
               func.coalesce(HourEntry.reason, HourReview.reason))
        .join(HourReview, HourReview.entry_id == HourEntry.id)
        .join(Activity, HourEntry.activity_id == Activity.id)
        .join(Node, Activity.node_id == Node.id)
        .join(User, HourEntry.user_id == User.id)
        .outerjoin(reviewer, HourReview.reviewer_id == reviewer.id)
        .where(HourReview.decision == "approved", *in_scope)
        .order_by(Activity.starts_at, Activity.id, HourEntry.id)
        .execution_options(yield_per=BATCH))


@dataclass
class Volunteer:
    user_id: int
    name: str
    masked_phone: str
    activities: int = 0  # with non-zero net minutes
    minutes: int = 0


def render_detail_rows(fh: IO[bytes], in_scope, progress: Callable[[int], None] | None = None
                       ) -> tuple[int, list[Volunteer]]:
    """Write the 明细 data rows (row 2 on) as sheet XML to `fh`.

    Returns the row count and the 汇总 rows, added up from the very rows written (the
    same snapshot, so the two sheets always agree). The rows come activity by activity,
    so only one activity's per-person sums are open at a time: memory grows with the
    number of volunteers, not of rows.
    """
    activities = _activity_cells(in_scope)
    sources, flags = _labels(SOURCE_TEXT), _labels(FLAG_TEXT)
    kinds = {code: inline(text) for code, text in KIND_TEXT.items()}
    people: dict[int, tuple[str, str, str, Volunteer]] = {}
    reviewers: dict[str, str] = {}
    open_sums: dict[int, int] = {}  # user id -> net minutes at the current activity
    current = None

    def close_activity() -> None:
        for user_id, net in open_sums.items():
            volunteer = people[user_id][3]
            volunteer.minutes += net
            volunteer.activities += net != 0
        open_sums.clear()

    s_date, s_hours, s_datetime = (STYLE_TOKENS[f].decode() for f in (DATE, HOURS, DATETIME))
    row, chunk = 1, []
    result = db.session.execute(detail_query(in_scope))
    for (entry_id, kind, reverses_id, replaces_id, user_id, name, phone, act_id, minutes,
         source_json, flag_json, reviewer_name, decided_at, reason) in result:
        row += 1
        if row > MAX_ROWS + 1:
            raise TooManyRows()
        if act_id != current:
            close_activity()
            current = act_id
        open_sums[user_id] = open_sums.get(user_id, 0) + minutes
        person = people.get(user_id)
        if person is None:
            masked = mask_phone(phone)
            person = people[user_id] = (inline(volunteer_number(user_id)), inline(name),
                                        inline(masked), Volunteer(user_id, name, masked))
        cells = activities.get(act_id)
        if cells is None:  # its start moved into the period since the query above
            cells = activities[act_id] = _activity_cells([Activity.id == act_id])[act_id]
        day, title, place, node_name, org_name = cells
        if reviewer_name:
            reviewer_cell = reviewers.get(reviewer_name)
            if reviewer_cell is None:
                reviewer_cell = reviewers[reviewer_name] = inline(reviewer_name)
        linked = reverses_id or replaces_id
        source_cell, flag_cell = sources(source_json), flags(flag_json)
        r = row
        chunk.append(
            f'<row r="{r}"><c r="A{r}"><v>{entry_id}</v></c>'
            f'<c r="B{r}" t="inlineStr">{kinds.get(kind) or inline(kind)}</c>')
        if linked:
            chunk.append(f'<c r="C{r}"><v>{linked}</v></c>')
        chunk.append(
            f'<c r="D{r}" t="inlineStr">{person[0]}</c>'
            f'<c r="E{r}" t="inlineStr">{person[1]}</c>'
            f'<c r="F{r}" t="inlineStr">{person[2]}</c>'
            f'<c r="G{r}" s="{s_date}"><v>{day}</v></c>'
            f'<c r="H{r}" t="inlineStr">{title}</c>'
            f'<c r="I{r}" t="inlineStr">{place}</c>'
            f'<c r="J{r}" t="inlineStr">{node_name}</c>'
            f'<c r="K{r}" t="inlineStr">{org_name}</c>'
            f'<c r="L{r}"><v>{minutes}</v></c>'
            f'<c r="M{r}" s="{s_hours}"><v>{number(round(minutes / 60, 2))}</v></c>')
        if source_cell:
            chunk.append(f'<c r="N{r}" t="inlineStr">{source_cell}</c>')
        if flag_cell:
            chunk.append(f'<c r="O{r}" t="inlineStr">{flag_cell}</c>')
        if reviewer_name:
            chunk.append(f'<c r="P{r}" t="inlineStr">{reviewer_cell}</c>')
        chunk.append(f'<c r="Q{r}" s="{s_datetime}"><v>{number(serial(decided_at))}</v></c>')
        if reason:
            chunk.append(f'<c r="R{r}" t="inlineStr">{inline(reason)}</c>')
        chunk.append("</row>")
        if len(chunk) >= 8 * BATCH:
            fh.write("".join(chunk).encode())
            chunk.clear()
            if progress is not None:
                progress(row - 1)
    fh.write("".join(chunk).encode())
    close_activity()
    return row - 1, sorted((p[3] for p in people.values()), key=lambda v: v.user_id)


# -- the rest of the workbook: XlsxWriter -----------------------------------------------

def _write_shell(fh: IO[bytes], node: Node, start: date, end: date, now: datetime,
                 rows: int, volunteers: list[Volunteer]) -> None:
    """The workbook with 明细's header only (its rows are spliced in) and all of 汇总."""
    wb = xlsxwriter.Workbook(fh, XLSX_OPTIONS)
    try:
        wb.set_properties({
            "title": "志愿服务时长", "author": "五社通", "company": node.name,
            "subject": f"{node.name} {start.isoformat()}至{end.isoformat()}",
            "created": local(now).replace(tzinfo=None)})
        header = wb.add_format({"bold": True, "bg_color": "#E8F3EC", "border": 1,
                                "text_wrap": True, "valign": "vcenter"})
        formats = {code: wb.add_format({"num_format": code}) for code in STYLE_TOKENS}
        detail = wb.add_worksheet("明细")
        _prepare(detail, header, formats, DETAIL_COLUMNS)
        detail.autofilter(0, 0, rows, len(DETAIL_COLUMNS) - 1)
        summary = wb.add_worksheet("汇总")
        _prepare(summary, header, formats, SUMMARY_COLUMNS)
        _write_summary(summary, formats[HOURS], volunteers)
    finally:
        wb.close()


def _prepare(ws, header, formats, columns) -> None:
    """Widths, each column's number format (the splice finds their styles), the frozen
    header row."""
    for col, (title, width, code) in enumerate(columns):
        ws.set_column(col, col, width, formats[code] if code else None)
        ws.write_string(0, col, title, header)
    ws.freeze_panes(1, 0)


def _write_summary(ws, hours_format, volunteers: list[Volunteer]) -> None:
    for row, v in enumerate(volunteers, start=1):
        ws.write_string(row, 0, v.name)
        ws.write_string(row, 1, volunteer_number(v.user_id))
        ws.write_string(row, 2, v.masked_phone)
        ws.write_number(row, 3, v.activities)
        ws.write_number(row, 4, v.minutes)
        ws.write_number(row, 5, round(v.minutes / 60, 2), hours_format)
    ws.autofilter(0, 0, len(volunteers), len(SUMMARY_COLUMNS) - 1)


# -- the splice ---------------------------------------------------------------------------


def style_tokens(styles_xml: bytes) -> list[tuple[bytes, bytes]]:
    """(token, the style index XlsxWriter gave its number format), from styles.xml."""
    return sheet_xml.style_tokens(styles_xml, STYLE_TOKENS)


def _splice(output: IO[bytes] | str, shell_fh: IO[bytes], rows_fh: IO[bytes],
            rows: int) -> None:
    """Copy the XlsxWriter workbook to `output`, with the rendered rows inside 明细."""
    last_col = xlsxwriter.utility.xl_col_to_name(len(DETAIL_COLUMNS) - 1)
    sheet_xml.splice(output, shell_fh, rows_fh, part=DETAIL_PART,
                     dimension=f"A1:{last_col}{rows + 1}", tokens=STYLE_TOKENS,
                     compresslevel=ZIP_LEVEL)
