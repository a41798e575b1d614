"""The statistics downloads write what people typed as text: a title or a name that looks
like a formula or a link is a string cell, never a formula Excel or WPS would run."""

from __future__ import annotations

import io
from urllib.parse import quote

import openpyxl
import pytest

from server.activities.models import Activity
from server.extensions import db
from server.reports import rollups
from tests.pages import login
from tests.reports.conftest import OCTOBER
from tests.sheets import HOSTILE, formulas_and_links


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_title_that_looks_like_a_formula_stays_text(client, world, hostile):
    activity = db.session.query(Activity).filter_by(title="法律问题进社区").one()
    activity.title = hostile
    world.team.name = hostile + " 队"
    rollups.rebuild(now=OCTOBER)
    login(client, world.reviewer)
    base = f"/stats/{world.district.id}/export.xlsx?period=2026-09"
    for url in (base, base + "&figure=activities"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
        assert formulas_and_links(resp.data) == [], url
    listed = openpyxl.load_workbook(io.BytesIO(client.get(base + "&figure=activities").data))
    assert hostile in [c.value for row in listed.worksheets[0].iter_rows() for c in row]


def test_kinds_and_states_are_written_in_words(client, world):
    """As the page shows them: 志愿服务队, 资金, not volunteer_team, money."""
    rollups.rebuild(now=OCTOBER)
    login(client, world.reviewer)
    base = f"/stats/{world.district.id}/export.xlsx?period=2026-09&figure="
    codes = {"volunteer_team", "social_work", "social_org", "charity", "money", "goods",
             "withdrawn", "released", "declined"}
    named = client.get(base + "money_received").headers["Content-Disposition"]
    assert quote(f"{world.district.name}-2026年9月-到账资金（元）.xlsx") in named
    for figure in ("organisations", "money_received", "money_pledged", "money_distributed",
                   "goods_received", "goods_distributed"):
        book = openpyxl.load_workbook(io.BytesIO(client.get(base + figure).data))
        cells = {c.value for row in book.worksheets[0].iter_rows(min_row=2) for c in row}
        assert not cells & codes, (figure, cells & codes)


def test_a_range_of_one_month_is_named_as_that_month(app):
    from server.reports.labels import period_label
    from server.reports.periods import parse
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert period_label(parse("2026-03..2026-03")) == "2026年3月"
        assert period_label(parse("2026-03..2026-05")) == "2026年3月至2026年5月"


def test_the_goods_figures_list_their_lines_with_quantities(client, world):
    """"发放物资 4 件" opens the goods handed out, quantity and value, which add up to it
    on the page and in the download, not a list of money payouts."""
    rollups.rebuild(now=OCTOBER)
    login(client, world.reviewer)
    page = client.get(f"/stats/{world.district.id}/figures/goods_distributed?period=2026-09",
                      headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "儿童绘本" in page and "4 本" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/stats/{world.district.id}/export.xlsx?period=2026-09&figure=goods_received").data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:6] == ("日期", "基金", "物品", "数量", "单位", "价值（元）")
    assert sum(r[3] for r in rows[1:]) == 10 and all(r[2] == "儿童绘本" for r in rows[1:])
