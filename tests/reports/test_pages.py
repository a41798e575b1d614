"""The dashboard pages as a coordinator uses them: figures of their places only, the list
behind a figure, the Excel download read back with openpyxl and the period report read
back with pypdf."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import openpyxl
import pypdf
import pytest

from server.reports import rollups
from tests.pages import EN, login, text
from tests.reports.conftest import OCTOBER


@pytest.fixture
def ready(world):
    rollups.rebuild(now=OCTOBER)
    return world


def card(html: str, figure: str) -> str:
    found = re.search(rf'data-figure="{figure}">\s*<span class="stat-card__label">[^<]*</span>'
                      rf'\s*<strong class="stat-card__value">(.*?)</strong>', html, re.S)
    assert found, figure
    return re.sub(r"<[^>]+>|\s", "", unescape(found.group(1)))


def test_a_coordinator_reads_their_district(client, ready):
    login(client, ready.reviewer)
    start = client.get("/stats")
    assert start.status_code == 302  # their first place: 大兴区 (path order)
    resp = client.get(f"/stats/{ready.district.id}?period=2026-09")
    html = text(resp)
    assert resp.status_code == 200
    assert (card(html, "activities"), card(html, "person_times"), card(html, "volunteers"),
            card(html, "organisations"), card(html, "linked3")) == ("3", "4", "3", "3", "2")
    assert card(html, "money_received") == "¥200.00"
    assert "2026年9月" in html and "2026年8月" in html  # compared with the month before
    charts = json.loads(unescape(re.search(
        r'<script type="application/json" id="chart-data">(.*?)</script>', html,
        re.S).group(1)))
    assert charts["children"]["labels"] == ["通运街道", "魏善庄镇"]
    assert charts["children"]["series"][0]["data"] == [1, 2]
    assert len(charts["trend"]["labels"]) == 12  # the months of its year
    assert charts["trend"]["series"][0]["data"][7:9] == [1, 3]  # August, September
    # the charts' numbers are in tables too, for screen readers and for copying
    assert 'id="trend-table"' in html and 'id="children-table"' in html
    assert "北苑" not in html  # the other district is never part of 大兴区


def test_a_station_coordinator_never_sees_above_or_beside(client, ready, make_user, grant):
    station = make_user(name="运河园社工")
    grant(station, "coordinator", ready.yunhe)
    login(client, station)
    assert client.get("/stats").headers["Location"].endswith(f"/stats/{ready.yunhe.id}")
    for place in (ready.district, ready.street, ready.town, ready.beiyuan):
        resp = client.get(f"/stats/{place.id}?period=2026-09", headers=EN)
        assert resp.status_code == 404, place.name
        assert "no statistics of this place" in text(resp)
        assert client.get(f"/stats/{place.id}/report.pdf").status_code == 404
        assert client.get(f"/stats/{place.id}/export.xlsx").status_code == 404
    html = text(client.get(f"/stats/{ready.yunhe.id}?period=2026-09"))
    assert card(html, "activities") == "1" and card(html, "person_times") == "2"
    assert "通运街道" not in html  # no trail above it


def test_a_volunteer_has_no_statistics(client, ready):
    login(client, ready.people["甲"])
    assert client.get("/stats").status_code == 403
    assert client.get(f"/stats/{ready.yunhe.id}").status_code == 404


def test_the_list_behind_a_figure_and_a_bad_period(client, ready):
    login(client, ready.reviewer)
    html = text(client.get(f"/stats/{ready.district.id}/figures/activities?period=2026-09"))
    for title in ("法律问题进社区", "入户走访", "慈善公益节"):
        assert title in html
    assert "八月讲座" not in html and "北苑活动" not in html and "取消的活动" not in html
    lectures = text(client.get(f"/stats/{ready.district.id}/figures/activities"
                               "?period=2026-09&kind=lecture"))
    assert "法律问题进社区" in lectures and "入户走访" not in lectures
    people = text(client.get(f"/stats/{ready.district.id}/figures/volunteers?period=2026-Q3"))
    assert all(name in people for name in ("甲", "乙", "戊")) and "丁" not in people
    resp = client.get(f"/stats/{ready.district.id}?period=2026-13", headers=EN)
    assert resp.status_code == 422 and "quarter (2026-Q3)" in text(resp)
    resp = client.get(f"/stats/{ready.district.id}/figures/nonsense", headers=EN)
    assert resp.status_code == 404


def test_the_excel_download_has_the_figures_of_the_page(client, ready):
    login(client, ready.reviewer)
    resp = client.get(f"/stats/{ready.district.id}/export.xlsx?period=2026-09")
    assert resp.status_code == 200
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True)
    rows = [r for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    flat = {r[0]: r[1:] for r in rows if r and r[0]}
    assert any("大兴区" in str(r[0]) for r in rows if r and r[0])
    assert flat["开展服务（次）"][0] == 3 and flat["志愿者参与（人次）"][0] == 4
    listed = client.get(f"/stats/{ready.district.id}/export.xlsx?period=2026-09"
                        "&figure=activities")
    sheet = openpyxl.load_workbook(io.BytesIO(listed.data), read_only=True).worksheets[0]
    titles = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(titles) == sorted(["法律问题进社区", "入户走访", "慈善公益节"])


def test_the_period_report_reads_like_the_article(client, ready):
    login(client, ready.reviewer)
    resp = client.get(f"/stats/{ready.district.id}/report.pdf?period=2026-09")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    assert len(reader.pages) == 1
    words = re.sub(r"\s", "", reader.pages[0].extract_text())
    assert "大兴区2026年9月五社联动工作情况" in words
    assert "2026年9月，大兴区共开展服务3次" in words
    assert "志愿者参与4人次（3人）" in words
    assert "到账200.00元" in words and "拨付100.00元" in words
    assert "辖区3个村（社区）中，2个已建社工站" in words


def _ask(client, token, node, figure="volunteers", period="2026-Q3"):
    return client.post(f"/stats/{node.id}/exports", headers=EN,
                       data={"figure": figure, "period": period, "csrf_token": token})


def test_the_whole_list_behind_a_figure_is_an_export_of_ones_own(client, ready):
    token = login(client, ready.reviewer)
    page = text(client.get(f"/stats/{ready.district.id}/figures/volunteers?period=2026-Q3"))
    assert f'action="/stats/{ready.district.id}/exports"' in page
    resp = _ask(client, token, ready.district)
    assert resp.status_code == 303
    job_page = resp.headers["Location"]
    assert "Your file is ready" in text(client.get(job_page, headers=EN))
    with client.get(job_page + "/file") as got:
        sheet = openpyxl.load_workbook(io.BytesIO(got.get_data()), read_only=True).worksheets[0]
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["甲", "乙", "戊"])
    assert _ask(client, token, ready.district, figure="nonsense").status_code == 404
    assert _ask(client, token, ready.district, period="2026-13").status_code == 422


def test_a_station_coordinator_cannot_export_beside_or_above(client, ready, make_user, grant):
    station = make_user(name="运河园社工")
    grant(station, "coordinator", ready.yunhe)
    token = login(client, station)
    for place in (ready.district, ready.beiyuan):
        resp = _ask(client, token, place)
        assert resp.status_code == 404 and "no statistics of this place" in text(resp)
    assert _ask(client, token, ready.yunhe).status_code == 303


def test_a_large_list_is_not_sent_directly(client, ready, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_DIRECT_MAX_ROWS", 2)
    login(client, ready.reviewer)
    resp = client.get(f"/stats/{ready.district.id}/export.xlsx?period=2026-Q3&figure=volunteers",
                      headers=EN)
    assert resp.status_code == 422 and "background export" in text(resp)


def test_a_month_under_way_says_so_and_an_empty_one_points_back(client, ready, monkeypatch):
    """On the first of a month the dashboard opens on a month with nothing in it yet,
    compared with the whole of the last: it says so, and the last month is a tap away."""
    from datetime import datetime

    from server.core import clock
    from server.core.clock import from_local
    monkeypatch.setattr(clock, "now", lambda: from_local(datetime(2026, 10, 1, 9, 0)))
    login(client, ready.reviewer)
    html = text(client.get(f"/stats/{ready.district.id}"))
    assert "2026年10月截至10月1日 周四，与2026年9月全期相比。" in html
    empty = re.search(r'data-testid="nothing-yet">(.*?)</div>', html, re.S)
    assert empty and "2026年10月还没有记录。" in empty.group(1)
    assert f'href="/stats/{ready.district.id}?period=2026-09">查看2026年9月</a>' in html
    # a month under way below the whole of the last has not fallen: no red arrow, but
    # what the last month came to; a month that is over still shows its falls
    cards = html[html.index('class="stats-cards"'):html.index("</section>")]
    assert "stat-down" not in cards and "↓" not in cards
    assert re.search(r'class="stat-before">2026年9月合计：[1-9]', cards)
    monkeypatch.setattr(clock, "now", lambda: from_local(datetime(2026, 11, 5, 9, 0)))
    login(client, ready.reviewer)  # five weeks on: a new session
    over = text(client.get(f"/stats/{ready.district.id}?period=2026-10"))
    cards = over[over.index('class="stats-cards"'):over.index("</section>")]
    assert "stat-before" not in cards and '<span class="stat-down">↓ ' in cards
    monkeypatch.setattr(clock, "now", lambda: from_local(datetime(2026, 10, 1, 9, 0)))
    # a month that is over reads as before, and one under way with figures has no hint
    past = text(client.get(f"/stats/{ready.district.id}?period=2026-09"))
    assert "2026年9月，与2026年8月相比。" in past and "nothing-yet" not in past
    monkeypatch.setattr(clock, "now", lambda: from_local(datetime(2026, 9, 30, 9, 0)))
    running = text(client.get(f"/stats/{ready.district.id}"))
    assert "2026年9月截至9月30日 周三" in running and "nothing-yet" not in running


def test_the_money_behind_a_figure_reads_as_money_everywhere_else(client, ready):
    """¥200.00 with the locale's date, as the fund pages write it: not ¥200.00 beside an
    ISO date, or ¥-3000.00 for a reversal."""
    login(client, ready.reviewer)
    zh = text(client.get(f"/stats/{ready.district.id}/figures/money_received?period=2026-09"))
    assert '<span class="money">¥200.00</span>' in zh
    assert not re.search(r"\b2026-09-\d\d\b", zh)
    en = text(client.get(f"/stats/{ready.district.id}/figures/money_received?period=2026-09",
                         headers=EN))
    assert re.search(r"Sep \d+, 2026", en)
