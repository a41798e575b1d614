"""A place's own records beside the places below it: a town's own fund and the town
centre's lecture held at the town itself are in the town's figures, so the villages' rows
alone did not add up to them. A row "…本级" shows them, in the page, its chart, the list
behind a figure, the API and the Excel download; the distinct counts have none."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import openpyxl
import pytest

from server.activities import services as activities
from server.donations.services import funds, intake, pledges
from server.extensions import db
from server.hours import ledger, review
from server.reports import rollups
from tests.pages import login, text
from tests.reports.conftest import OCTOBER, at


def spec_ref(prop: dict) -> str:
    """The schema a property refers to (directly, or through allOf / anyOf)."""
    ref = prop.get("$ref") or next(p["$ref"] for p in prop.get("allOf", prop.get("anyOf", []))
                                   if "$ref" in p)
    return ref.rsplit("/", 1)[1]


@pytest.fixture
def town_itself(world, make_activity, give_place, now):
    """September at 魏善庄镇 itself: the centre's lecture (甲 30 minutes) and a gift of
    ¥80 to the town's own fund."""
    lecture = make_activity(org=world.centre, node=world.town, title="镇级讲座",
                            kind="lecture", starts_in=at(9, 15) - now, hours=2)
    person = world.people["甲"]
    give_place(lecture, person)
    entry = ledger.file_retroactive(actor=person, activity=lecture, user=person, minutes=30,
                                    evidence="签到表为证", now=at(9, 15, 11))
    activities.finish(lecture, actor=None, now=at(9, 15, 11))
    review.approve(entry.id, reviewer=world.reviewer, now=OCTOBER)
    fund = funds.create_fund(
        {"kind": "fund", "title": "魏善庄镇慈善基金", "purpose": "济困", "criteria": "困难家庭",
         "how_to_give": "镇民政科", "host_id": world.charity.id, "node_id": world.town.id,
         "target_amount": Decimal("5000.00"), "accepts_money": True, "accepts_goods": False},
        actor=world.reviewer, now=at(8, 1))
    gift = pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("80.00")},
                                 actor=world.people["丙"], now=at(9, 2))
    intake.record(gift, {"version": gift.version, "amount": Decimal("80.00"),
                         "receipt_waived": True, "received_on": at(9, 3).date()},
                  actor=world.reviewer, now=at(9, 3) + timedelta(minutes=15))
    db.session.flush()
    rollups.rebuild(now=OCTOBER)
    return world


def test_the_api_gives_the_town_s_own_row_beside_its_villages(api, town_itself):
    w = town_itself
    api.login(w.reviewer)
    body = api.get(f"/api/v1/stats/{w.town.id}?period=2026-09").get_json()
    total = body["figures"]
    assert (total["activities"], total["person_times"], total["hours"],
            total["money_received"]) == (3, 3, "3.3", "280.00")
    rows = {c["place"]["name"]: c["figures"] for c in body["children"]}
    assert sorted(rows) == ["东枣林村", "魏庄村"]
    own = body["own"]["figures"]
    assert (own["activities"], own["person_times"], own["hours"], own["money_received"],
            own["money_pledged"]) == (1, 1, "0.5", "80.00", "80.00")
    # the rows add up to the town's figure, for every figure that adds up
    for name in ("activities", "person_times", "linked3", "goods_received"):
        assert own[name] + sum(r[name] for r in rows.values()) == total[name], name
    for name in ("hours", "money_received", "money_pledged", "money_distributed"):
        parts = Decimal(own[name]) + sum(Decimal(r[name]) for r in rows.values())
        assert parts == Decimal(total[name]), name
    # a person counted at the town may count again in a village: no own figure for those
    assert not {"volunteers", "organisations", "community_orgs"} & set(own)
    # and what is there is what the published document says (integers, decimal strings)
    spec = api.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    own_schema = schemas[spec_ref(schemas["DashboardOut"]["properties"]["own"])]
    figures = schemas[spec_ref(own_schema["properties"]["figures"])]["properties"]
    assert set(figures) == set(own)
    for name, value in own.items():
        assert isinstance(value, int if figures[name]["type"] == "integer" else str), name
    # the district holds nothing itself: no row
    district = api.get(f"/api/v1/stats/{w.district.id}?period=2026-09").get_json()
    assert district["own"] is None
    assert district["figures"]["money_received"] == "280.00"
    # nor does a village, which has no places below
    village = api.get(f"/api/v1/stats/{w.weizhuang.id}?period=2026-09").get_json()
    assert village["own"] is None and village["children"] == []


def test_the_list_behind_a_figure_compares_the_town_itself(api, town_itself):
    w = town_itself
    api.login(w.reviewer)
    money = api.get(f"/api/v1/stats/{w.town.id}/figures/money_received"
                    "?period=2026-09").get_json()
    assert money["value"] == "280.00"
    assert money["own"] == {"value": "80.00", "previous": "0.00"}
    hours = api.get(f"/api/v1/stats/{w.town.id}/figures/hours?period=2026-09").get_json()
    assert hours["own"] == {"value": "0.5", "previous": "0.0"}
    people = api.get(f"/api/v1/stats/{w.town.id}/figures/volunteers"
                     "?period=2026-09").get_json()
    assert people["own"] is None  # not a figure that adds up
    # nothing at the town itself in either month: no row
    goods = api.get(f"/api/v1/stats/{w.town.id}/figures/goods_received"
                    "?period=2026-09").get_json()
    assert goods["own"] is None


def test_the_page_its_chart_and_the_download_show_the_row(client, town_itself):
    w = town_itself
    login(client, w.reviewer)
    html = text(client.get(f"/stats/{w.town.id}?period=2026-09"))
    table = re.search(r'<table class="stats-table" id="children-table">(.*?)</table>', html,
                      re.S).group(1)
    row = re.search(r"<tr><th scope=\"row\">魏善庄镇本级</th>(.*?)</tr>", table, re.S)
    assert row, table
    cells = [re.sub(r"<[^>]+>|\s", "", c) for c in re.findall(r"<td>(.*?)</td>", row.group(1),
                                                               re.S)]
    assert cells == ["1", "1", "0.5", "¥80.00"]
    charts = json.loads(unescape(re.search(
        r'<script type="application/json" id="chart-data">(.*?)</script>', html,
        re.S).group(1)))
    assert charts["children"]["labels"] == ["东枣林村", "魏庄村", "魏善庄镇本级"]
    assert charts["children"]["series"][0]["data"] == [0, 2, 1]

    listed = text(client.get(f"/stats/{w.town.id}/figures/money_received?period=2026-09"))
    own = re.search(r"<th scope=\"row\">魏善庄镇本级</th>(.*?)</tr>", listed, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s", "", own) == "¥80.00¥0.00"

    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/stats/{w.town.id}/export.xlsx?period=2026-09").data))
    sheet = book["下属地区"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header, last = rows[0], rows[-1]
    assert last[0] == "魏善庄镇本级"
    by = dict(zip(header, last, strict=True))
    assert by["开展服务（次）"] == 1 and by["志愿者"] is None
    assert [r[0] for r in rows[1:]] == ["东枣林村", "魏庄村", "魏善庄镇本级"]


def test_a_distinct_count_says_why_its_places_do_not_add_up(client, town_itself):
    login(client, town_itself.reviewer)
    people = text(client.get(f"/stats/{town_itself.town.id}/figures/volunteers"
                             "?period=2026-09"))
    assert "下属地区之和可能多于总数" in people and "魏善庄镇本级" not in people
    money = text(client.get(f"/stats/{town_itself.town.id}/figures/money_received"
                            "?period=2026-09"))
    assert "下属地区之和可能多于总数" not in money


def test_the_table_has_no_row_of_zeros_for_what_it_does_not_show(client, world, now):
    """The town's own fund only took a pledge this month: the table (activities, person-
    times, hours, money received) has nothing of the town's own to show; the download,
    which has every figure, keeps the row."""
    w = world
    fund = funds.create_fund(
        {"kind": "fund", "title": "魏善庄镇慈善基金", "purpose": "济困", "criteria": "困难家庭",
         "how_to_give": "镇民政科", "host_id": w.charity.id, "node_id": w.town.id,
         "target_amount": Decimal("5000.00"), "accepts_money": True, "accepts_goods": False},
        actor=w.reviewer, now=at(8, 1))
    pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("80.00")},
                          actor=w.people["丙"], now=at(9, 2))
    db.session.flush()
    rollups.rebuild(now=OCTOBER)
    login(client, w.reviewer)
    html = text(client.get(f"/stats/{w.town.id}?period=2026-09"))
    assert "魏善庄镇本级" not in html
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/stats/{w.town.id}/export.xlsx?period=2026-09").data))
    rows = [[c.value for c in r] for r in book["下属地区"].iter_rows()]
    assert rows[-1][0] == "魏善庄镇本级"
