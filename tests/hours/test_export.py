"""The hours export: what the workbook holds, who may have it, and for which days.

The .xlsx is read back with the standard library (it is a zip of XML sheets).

    大兴区 (district)  ← admin
    ├── A街道 (street)  ← coordinator_a
    │   └── A社区  org A: act_mar (2026-03-10), act_apr (2026-04-20), act_newyear, act_oldyear
    └── B街道 (street)  ← coordinator_b
        └── B社区  org B: act_b (2026-03-10)
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from types import SimpleNamespace
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest

from server.core.clock import from_local
from server.core.errors import Forbidden, ValidationError
from server.extensions import db
from server.hours import review
from server.hours.export import XLSX_MIME, export_hours, volunteer_number
from server.hours.models import HourEntry, HourReview
from tests.pages import EN, login, text

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
PHONE_1 = "13812345678"
PHONE_2 = "13987654321"
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


# -- reading an .xlsx back ------------------------------------------------------------

def _col_index(ref: str) -> int:
    letters = "".join(ch for ch in ref if ch.isalpha())
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(data: bytes) -> dict[str, list[list]]:
    """{sheet name: rows}; each row a list of values (str, int, float or None)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    shared = []
    if "xl/sharedStrings.xml" in zf.namelist():
        for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
    rels = {r.get("Id"): r.get("Target") for r in
            ET.fromstring(zf.read("xl/_rels/workbook.xml.rels")).findall("rel:Relationship", NS)}
    sheets = {}
    for sheet in ET.fromstring(zf.read("xl/workbook.xml")).find("m:sheets", NS):
        target = rels[sheet.get(f"{{{NS['r']}}}id")].lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        rows = []
        for row in ET.fromstring(zf.read(path)).iter(f"{{{NS['m']}}}row"):
            values: list = []
            for cell in row.findall("m:c", NS):
                idx = _col_index(cell.get("r"))
                values.extend([None] * (idx + 1 - len(values)))
                kind, v = cell.get("t"), cell.find("m:v", NS)
                if kind == "s":
                    values[idx] = shared[int(v.text)]
                elif kind == "inlineStr":
                    values[idx] = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
                elif kind == "str":
                    values[idx] = v.text
                elif v is not None:
                    number = float(v.text)
                    values[idx] = int(number) if number.is_integer() else number
            rows.append(values)
        sheets[sheet.get("name")] = rows
    return sheets


def as_dicts(rows: list[list]) -> list[dict]:
    header = rows[0]
    return [{h: (r[i] if i < len(r) else None) for i, h in enumerate(header)} for r in rows[1:]]


def all_text(data: bytes) -> str:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return "".join(zf.read(name).decode("utf-8", "replace") for name in zf.namelist())


# -- the world ------------------------------------------------------------------------

def _at(now, year, month, day, hour=10, minute=0):
    """starts_in for make_activity: a Beijing wall-clock time."""
    return from_local(datetime(year, month, day, hour, minute)) - now


@pytest.fixture
def w(make_node, make_org, make_user, make_activity, grant, now):
    w = SimpleNamespace(now=now)
    w.district = make_node(name="大兴区", kind="district")
    w.street_a = make_node(name="A街道", kind="street", parent=w.district)
    w.street_b = make_node(name="B街道", kind="street", parent=w.district)
    w.community_a = make_node(name="A社区", parent=w.street_a)
    w.community_b = make_node(name="B社区", parent=w.street_b)
    w.org_a = make_org(name="A社工站", node=w.community_a)
    w.org_b = make_org(name="B志愿队", node=w.community_b)
    w.coordinator_a = make_user(name="协调员A")
    grant(w.coordinator_a, "coordinator", w.street_a)
    w.coordinator_b = make_user(name="协调员B")
    grant(w.coordinator_b, "coordinator", w.street_b)
    w.admin = make_user(name="区管理员")
    grant(w.admin, "admin", w.district)
    w.organiser_a = make_user(name="组织者A")
    grant(w.organiser_a, "organiser", w.community_a, organisation=w.org_a)

    w.v1 = make_user(name="王一", phone=PHONE_1)
    w.v2 = make_user(name="李二", phone=PHONE_2)
    w.v3 = make_user(name="张三")
    w.v4 = make_user(name="赵四")

    w.act_mar = make_activity(org=w.org_a, title="三月讲堂", starts_in=_at(now, 2026, 3, 10))
    w.act_apr = make_activity(org=w.org_a, title="四月走访", starts_in=_at(now, 2026, 4, 20))
    # 00:10 on 1 January in Beijing is still 31 December in UTC: inside 2026
    w.act_newyear = make_activity(org=w.org_a, title="元旦活动",
                                  starts_in=_at(now, 2026, 1, 1, 0, 10))
    # 23:30 on 31 December 2025 in Beijing: outside 2026
    w.act_oldyear = make_activity(org=w.org_a, title="跨年夜",
                                  starts_in=_at(now, 2025, 12, 31, 23, 30))
    w.act_b = make_activity(org=w.org_b, title="B社区讲堂", starts_in=_at(now, 2026, 3, 10))

    def entry(user, activity, minutes, decision="approved", kind="attendance", flags=()):
        e = HourEntry(user_id=user.id, activity_id=activity.id, kind=kind, minutes=minutes,
                      sources=["organiser_scan"], flags=list(flags), created_at=now)
        db.session.add(e)
        db.session.flush()
        if decision:
            db.session.add(HourReview(entry_id=e.id, decision=decision,
                                      reviewer_id=w.coordinator_a.id, decided_at=now,
                                      reason="不实" if decision == "rejected" else None))
            db.session.flush()
        return e

    # v1 at March: 120 approved, then adjusted to 90 (a reversal of -120 and a replacement)
    w.original = entry(w.v1, w.act_mar, 120, decision=None)
    review.approve(w.original.id, reviewer=w.coordinator_a, now=now)
    w.replacement = review.adjust(w.original.id, reviewer=w.coordinator_a, minutes=90,
                                  reason="漏签退，按实际时长", now=now)
    w.reversal = db.session.query(HourEntry).filter_by(reverses_id=w.original.id).one()
    w.v2_mar = entry(w.v2, w.act_mar, 120, flags=["auto_checkout"])
    w.pending = entry(w.v3, w.act_mar, 100, decision=None)
    w.rejected = entry(w.v4, w.act_mar, 100, decision="rejected")
    w.v1_apr = entry(w.v1, w.act_apr, 60, kind="retroactive", flags=["retroactive"])
    w.v2_newyear = entry(w.v2, w.act_newyear, 30)
    w.v2_oldyear = entry(w.v2, w.act_oldyear, 45)
    w.v1_b = entry(w.v1, w.act_b, 50)
    return w


def export(w, actor=None, node=None, start=YEAR[0], end=YEAR[1]):
    return read_xlsx(export_hours(actor or w.coordinator_a, node or w.street_a, start, end,
                                  w.now))


# -- what the workbook holds ----------------------------------------------------------

def test_one_row_per_approved_entry_reversals_included(w):
    sheets = export(w)
    assert list(sheets) == ["明细", "汇总"]
    rows = as_dicts(sheets["明细"])
    ids = [r["记录编号"] for r in rows]
    assert sorted(ids) == sorted([w.original.id, w.reversal.id, w.replacement.id, w.v2_mar.id,
                                  w.v1_apr.id, w.v2_newyear.id])
    assert w.pending.id not in ids and w.rejected.id not in ids  # pending, rejected: no
    assert w.v1_b.id not in ids and w.v2_oldyear.id not in ids   # other street, other year
    # activities in date order
    assert [r["活动名称"] for r in rows][0] == "元旦活动"
    assert [r["活动名称"] for r in rows][-1] == "四月走访"

    by_id = {r["记录编号"]: r for r in rows}
    reversal = by_id[w.reversal.id]
    assert reversal["类型"] == "冲销" and reversal["时长（分钟）"] == -120
    assert reversal["时长（小时）"] == -2 and reversal["对应记录"] == w.original.id
    assert reversal["说明"] == "漏签退，按实际时长"
    replacement = by_id[w.replacement.id]
    assert replacement["类型"] == "更正" and replacement["时长（分钟）"] == 90
    assert replacement["时长（小时）"] == 1.5 and replacement["对应记录"] == w.original.id
    first = by_id[w.original.id]
    assert first["类型"] == "签到记录" and first["时长（分钟）"] == 120
    assert first["志愿者编号"] == volunteer_number(w.v1.id) == f"WS{w.v1.id:08d}"
    assert first["姓名"] == "王一" and first["手机号"] == "138****5678"
    assert first["地点"] == "运河园社区活动室" and first["社区/村"] == "A社区"
    assert first["组织单位"] == "A社工站" and first["审核人"] == "协调员A"
    assert first["记录方式"] == "组织者扫码"
    assert by_id[w.v2_mar.id]["标记"] == "自动签退"
    assert by_id[w.v1_apr.id]["类型"] == "补录"
    # dates are Excel serial days: 2026-03-10 and 2026-01-01 (Beijing), not UTC's 31 Dec
    assert first["活动日期"] == (date(2026, 3, 10) - date(1899, 12, 30)).days
    assert by_id[w.v2_newyear.id]["活动日期"] == (date(2026, 1, 1) - date(1899, 12, 30)).days
    assert isinstance(first["审核时间"], float)


def test_summary_nets_out_reversals(w):
    sheets = export(w)
    summary = {r["姓名"]: r for r in as_dicts(sheets["汇总"])}
    assert set(summary) == {"王一", "李二"}  # pending and rejected people have no hours
    v1 = summary["王一"]
    assert v1["总时长（分钟）"] == 90 + 60 and v1["总时长（小时）"] == 2.5
    assert v1["参加活动数"] == 2 and v1["志愿者编号"] == volunteer_number(w.v1.id)
    assert v1["手机号"] == "138****5678"
    assert summary["李二"]["总时长（分钟）"] == 120 + 30
    detail_total = sum(r["时长（分钟）"] for r in as_dicts(sheets["明细"]))
    assert detail_total == sum(r["总时长（分钟）"] for r in summary.values()) == 300


def test_phone_numbers_are_masked_everywhere(w):
    data = export_hours(w.admin, w.district, *YEAR, w.now)
    content = all_text(data)
    assert PHONE_1 not in content and PHONE_2 not in content
    assert "138****5678" in content and "139****4321" in content


def test_sheets_have_a_frozen_header_widths_and_a_filter(w):
    data = export_hours(w.coordinator_a, w.street_a, *YEAR, w.now)
    sheet1 = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert 'ySplit="1"' in sheet1 and 'state="frozen"' in sheet1
    assert "<cols>" in sheet1 and '<autoFilter ref="A1:R7"/>' in sheet1


def test_an_empty_period_still_gives_the_headers(w):
    sheets = export(w, start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert len(sheets["明细"]) == 1 and sheets["明细"][0][0] == "记录编号"
    assert len(sheets["汇总"]) == 1


# -- the period -----------------------------------------------------------------------

def test_period_filters_by_beijing_start_day_inclusive(w):
    march = as_dicts(export(w, start=date(2026, 3, 10), end=date(2026, 3, 10))["明细"])
    assert {r["活动名称"] for r in march} == {"三月讲堂"}
    new_year = as_dicts(export(w, start=date(2026, 1, 1), end=date(2026, 1, 1))["明细"])
    assert [r["记录编号"] for r in new_year] == [w.v2_newyear.id]
    old_year = as_dicts(export(w, start=date(2025, 12, 31), end=date(2025, 12, 31))["明细"])
    assert [r["记录编号"] for r in old_year] == [w.v2_oldyear.id]


def test_bad_periods_are_refused(w):
    with pytest.raises(ValidationError) as exc:
        export_hours(w.coordinator_a, w.street_a, date(2026, 3, 2), date(2026, 3, 1), w.now)
    assert exc.value.errors == {"end": ["after_start"]}
    with pytest.raises(ValidationError) as exc:
        export_hours(w.coordinator_a, w.street_a, date(2026, 1, 1), date(2027, 1, 2), w.now)
    assert exc.value.code == "period_too_long" and exc.value.status == 422
    # 366 days (a leap year) is allowed
    export_hours(w.coordinator_a, w.street_a, date(2028, 1, 1), date(2028, 12, 31), w.now)


# -- who may export -------------------------------------------------------------------

def test_only_coordinators_and_admins_covering_the_node(w):
    for actor, node in ((w.coordinator_b, w.street_a), (w.coordinator_b, w.community_a),
                        (w.coordinator_a, w.district), (w.organiser_a, w.community_a),
                        (w.v1, w.community_a), (None, w.community_a)):
        with pytest.raises(Forbidden):
            export_hours(actor, node, *YEAR, w.now)
    # a lower node of one's own subtree, and an admin above
    assert len(export(w, node=w.community_a)["明细"]) == 7
    everything = as_dicts(export(w, actor=w.admin, node=w.district)["明细"])
    assert {r["记录编号"] for r in everything} >= {w.v1_b.id, w.v2_mar.id}
    b_only = as_dicts(export(w, actor=w.coordinator_b, node=w.street_b)["明细"])
    assert [r["记录编号"] for r in b_only] == [w.v1_b.id]


def test_scope_check_comes_before_the_period_check(w):
    with pytest.raises(Forbidden):
        export_hours(w.coordinator_b, w.street_a, date(2026, 3, 2), date(2026, 3, 1), w.now)


# -- the API --------------------------------------------------------------------------

def _url(node, start="2026-01-01", end="2026-12-31", path="/api/v1/hours/export.xlsx"):
    return f"{path}?node_id={node.id}&start={start}&end={end}"


def download(client, url):
    """GET a file; the response is closed (the temporary file behind it goes with it)."""
    with client.get(url) as resp:
        return resp, resp.get_data()


def test_api_downloads_the_workbook(api, w):
    api.login(w.coordinator_a)
    resp, data = download(api, _url(w.street_a))
    assert resp.status_code == 200, data[:300]
    assert resp.mimetype == XLSX_MIME
    assert resp.headers["Cache-Control"] == "no-store"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename=\"wushe-hours-{w.street_a.id}-2026-01-01-2026-12-31.xlsx\"" in disposition
    assert ("filename*=UTF-8''" + quote("志愿服务时长_A街道_2026-01-01至2026-12-31.xlsx")
            in disposition)
    assert int(resp.headers["Content-Length"]) == len(data)
    assert len(read_xlsx(data)["明细"]) == 7


def test_api_refuses_another_street_and_bad_periods(api, w):
    api.login(w.coordinator_b)
    resp = api.get(_url(w.street_a))
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    resp = api.get(_url(w.street_b, start="2026-01-01", end="2027-06-30"))
    assert resp.status_code == 422 and resp.get_json()["code"] == "period_too_long"
    resp = api.get(_url(w.street_b, start="2026-05-01", end="2026-04-01"))
    # the reason as a person reads it (zh_CN by default), never the token
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"end": ["结束时间须晚于开始时间。"]}
    resp = api.get(_url(w.street_b, start="not-a-day"))
    assert resp.status_code == 422 and "start" in resp.get_json()["errors"]
    resp = api.get("/api/v1/hours/export.xlsx?node_id=999999&start=2026-01-01&end=2026-01-02")
    assert resp.status_code == 404


def test_api_needs_a_login(api, w):
    resp = api.get(_url(w.street_a))
    assert resp.status_code == 401


def test_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/hours/export.xlsx"]["get"]
    assert op["summary"] and XLSX_MIME in op["responses"]["200"]["content"]
    assert {p["name"] for p in op["parameters"]} >= {"node_id", "start", "end"}


# -- the pages ------------------------------------------------------------------------

def test_form_offers_only_the_coordinators_subtree(client, w):
    login(client, w.coordinator_a)
    resp = client.get("/coordinator/hours-export", headers=EN)
    assert resp.status_code == 200
    page = text(resp)
    assert "Export hours" in page and "A街道" in page and "A社区" in page
    assert "B街道" not in page and "B社区" not in page
    assert 'action="/coordinator/hours-export"' in page


def test_page_download_and_refusals(client, w):
    login(client, w.coordinator_a)
    resp, data = download(client, _url(w.community_a, path="/coordinator/hours-export.xlsx"))
    assert resp.status_code == 200 and resp.mimetype == XLSX_MIME
    assert len(read_xlsx(data)["明细"]) == 7
    resp = client.get(_url(w.street_a, start="2026-01-01", end="2027-06-30",
                           path="/coordinator/hours-export.xlsx"), headers=EN)
    assert resp.status_code == 422
    assert "at most 366 days" in text(resp) and "<form" in text(resp)
    resp = client.get(_url(w.street_b, path="/coordinator/hours-export.xlsx"))
    assert resp.status_code == 403


def test_people_without_a_staff_role_get_403(client, w):
    login(client, w.organiser_a)
    assert client.get("/coordinator/hours-export").status_code == 403
    assert client.get(_url(w.community_a, path="/coordinator/hours-export.xlsx")
                      ).status_code == 403


# -- the spliced rows are what XlsxWriter itself would write ------------------------------

def _sheet_data(data: bytes, part: str) -> str:
    """The sheet's <sheetData>, each number style index replaced by its format code (two
    workbooks may number the same styles differently)."""
    from server.hours.export import STYLE_TOKENS, style_tokens

    zf = zipfile.ZipFile(io.BytesIO(data))
    codes = {token: code for code, token in STYLE_TOKENS.items()}
    names = {index.decode(): codes[token]
             for token, index in style_tokens(zf.read("xl/styles.xml"))}
    xml = zf.read(part).decode()
    xml = xml[xml.index("<sheetData>"):xml.index("</sheetData>")]
    return re.sub(r' s="(\d+)"', lambda m: f' s="{names.get(m.group(1), m.group(1))}"', xml)


def test_rendered_rows_match_xlsxwriters_own(w):
    """Write the values read back through XlsxWriter (constant_memory, the same formats
    and columns): its sheet XML must be the spliced one, byte for byte."""
    import xlsxwriter

    from server.hours.export import DETAIL_COLUMNS, DETAIL_PART, STYLE_TOKENS

    data = export_hours(w.coordinator_a, w.street_a, *YEAR, w.now)
    rows = read_xlsx(data)["明细"]
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    header = wb.add_format({"bold": True, "bg_color": "#E8F3EC", "border": 1,
                            "text_wrap": True, "valign": "vcenter"})
    formats = {code: wb.add_format({"num_format": code}) for code in STYLE_TOKENS}
    ws = wb.add_worksheet("明细")
    for col, (_title, width, code) in enumerate(DETAIL_COLUMNS):
        ws.set_column(col, col, width, formats[code] if code else None)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            code = DETAIL_COLUMNS[c][2]
            if r == 0:
                ws.write_string(r, c, value, header)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            elif value is not None:
                ws.write_number(r, c, value, formats[code] if code else None)
    wb.close()
    assert len(rows) == 7
    assert _sheet_data(data, DETAIL_PART) == _sheet_data(out.getvalue(), DETAIL_PART)


@pytest.mark.parametrize("value", [
    "平常的说明", "a < b & c > d \"quoted\"", " leading and trailing ", "tab\tand\nnewline",
    "bell\x07 and nul\x00", "literal _x0041_ escape", "\ufffe", "😀" * 20000,
])
def test_inline_strings_are_escaped_like_xlsxwriter(value):
    import xlsxwriter

    from server.hours.export import inline

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    wb.add_worksheet().write_string(0, 0, value)
    wb.close()
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert xml[xml.index("<is>"):xml.index("</is>") + 5] == inline(value)


def test_tricky_text_survives_the_round_trip(w, now):
    reason = "<b>不实</b> & 补录 \x07"
    e = HourEntry(user_id=w.v3.id, activity_id=w.act_apr.id, kind="retroactive", minutes=30,
                  sources=["retroactive"], flags=["retroactive"], created_at=now,
                  reason=reason)
    db.session.add(e)
    db.session.flush()
    db.session.add(HourReview(entry_id=e.id, decision="approved", reviewer_id=None,
                              decided_at=now))
    db.session.flush()
    rows = {r["记录编号"]: r for r in as_dicts(export(w)["明细"])}
    assert rows[e.id]["说明"] == "<b>不实</b> & 补录 _x0007_"  # Excel shows the bell as is
    assert rows[e.id]["审核人"] is None


def test_an_activity_netting_to_zero_is_not_counted(w, now):
    """Approved, then corrected to 0 minutes: three rows, no hours, no activity."""
    e = HourEntry(user_id=w.v2.id, activity_id=w.act_apr.id, kind="attendance", minutes=60,
                  sources=["self"], flags=["self_checkin"], created_at=now)
    db.session.add(e)
    db.session.flush()
    review.approve(e.id, reviewer=w.coordinator_a, now=now)
    review.adjust(e.id, reviewer=w.coordinator_a, minutes=0, reason="未实际参加", now=now)
    sheets = export(w)
    apr = [r for r in as_dicts(sheets["明细"])
           if r["活动名称"] == "四月走访" and r["姓名"] == "李二"]
    assert sorted(r["时长（分钟）"] for r in apr) == [-60, 0, 60]
    li = next(r for r in as_dicts(sheets["汇总"]) if r["姓名"] == "李二")
    assert li["参加活动数"] == 2 and li["总时长（分钟）"] == 150


def test_every_code_a_record_can_carry_has_its_words_in_the_sheet():
    """Sources and flags are written in Chinese words; a code with none would be written
    raw (phone_lookup, assisted, filed_by_organiser were)."""
    from server.checkin.models import SOURCES
    from server.hours.export import FLAG_TEXT, SOURCE_TEXT
    from server.hours.models import FLAGS
    assert set(FLAGS) <= set(FLAG_TEXT)
    assert set(SOURCES) <= set(SOURCE_TEXT)
