"""/api/v1/stats: the same figures, lists and scope as the pages, as JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.reports import rollups
from tests.reports.conftest import OCTOBER


@pytest.fixture
def ready(world):
    rollups.rebuild(now=OCTOBER)
    return world


def test_a_district_s_figures_for_september(api, ready):
    api.login(ready.reviewer)
    assert [p["name"] for p in api.get("/api/v1/stats/places").get_json()] == ["大兴区", "通州区"]
    body = api.get(f"/api/v1/stats/{ready.district.id}?period=2026-09").get_json()
    assert body["place"]["name"] == "大兴区"
    assert (body["period"]["key"], body["previous"]["key"]) == ("2026-09", "2026-08")
    f = body["figures"]
    assert (f["activities"], f["person_times"], f["volunteers"], f["hours"]) == (3, 4, 3, "4.9")
    assert (f["organisations"], f["community_orgs"], f["linked3"]) == (3, 2, 2)
    assert (f["money_pledged"], f["money_received"], f["money_distributed"]) == (
        "500.00", "200.00", "100.00")
    assert (f["goods_received"], f["goods_received_value"]) == (10, "150.00")
    assert body["previous_figures"]["activities"] == 1
    assert body["forces"]["volunteers"] == 3 and body["by_kind"]["lecture"] == 1
    assert body["coverage"] == {"places": 3, "with_station": 2, "share": "67"}
    assert body["programmes"] == [{"id": ready.mums.id, "name": "全职妈妈成长计划",
                                   "activities": 1, "participants": 2, "person_times": 2,
                                   "hours": "2.2"}]
    assert [(c["place"]["name"], c["figures"]["activities"]) for c in body["children"]] == [
        ("通运街道", 1), ("魏善庄镇", 2)]
    assert [m["figures"]["activities"] for m in body["trend"]][7:9] == [1, 3]
    quarter = api.get(f"/api/v1/stats/{ready.district.id}?period=2026-Q3").get_json()
    assert quarter["figures"]["person_times"] == 5 and quarter["previous"]["key"] == "2026-Q2"


def test_the_records_behind_a_figure_and_its_comparisons(api, ready):
    api.login(ready.reviewer)
    body = api.get(f"/api/v1/stats/{ready.district.id}/figures/volunteers"
                   "?period=2026-09").get_json()
    assert body["list"] == "people" and (body["value"], body["previous"]) == (3, 1)
    assert [(c["place"]["name"], c["value"]) for c in body["children"]] == [
        ("通运街道", 2), ("魏善庄镇", 2)]
    assert sorted(p["name"] for p in body["people"]) == ["乙", "戊", "甲"]
    assert all("*" in p["phone"] for p in body["people"])  # masked
    assert body["next_page"] is None
    money = api.get(f"/api/v1/stats/{ready.district.id}/figures/money_received"
                    "?period=2026-09").get_json()
    assert money["value"] == "200.00"
    assert [(g["kind"], g["amount"]) for g in money["gifts"]] == [("money", "200.00")]
    # the goods figures open the goods lines, with quantities and values that add up to them
    for figure, value, listed in (("goods_received", 10, "goods_in"),
                                  ("goods_received_value", "150.00", "goods_in"),
                                  ("goods_distributed", 4, "goods_out"),
                                  ("goods_distributed_value", "60.00", "goods_out")):
        goods = api.get(f"/api/v1/stats/{ready.district.id}/figures/{figure}"
                        "?period=2026-09").get_json()
        assert (goods["list"], goods["value"]) == (listed, value)
        rows = goods[listed]
        assert sum(r["quantity"] for r in rows) == (10 if listed == "goods_in" else 4)
        assert sum(Decimal(r["value"]) for r in rows) == Decimal(
            "150.00" if listed == "goods_in" else "60.00")
        assert all(r["item"] and r["unit"] for r in rows)
        if listed == "goods_out":
            assert all(r["recipient"] for r in rows)
    lectures = api.get(f"/api/v1/stats/{ready.district.id}/figures/activities"
                       "?period=2026-09&kind=lecture").get_json()
    assert [a["title"] for a in lectures["activities"]] == ["法律问题进社区"]


def test_scope_and_bad_questions(api, ready, make_user, grant):
    station = make_user(name="运河园社工")
    grant(station, "coordinator", ready.yunhe)
    api.login(station)
    for place in (ready.district, ready.street, ready.beiyuan):
        resp = api.get(f"/api/v1/stats/{place.id}?period=2026-09")
        assert resp.status_code == 404 and resp.get_json()["code"] == "stats_place_not_found"
        assert api.get(f"/api/v1/stats/{place.id}/figures/activities").status_code == 404
    mine = api.get(f"/api/v1/stats/{ready.yunhe.id}?period=2026-09").get_json()
    assert mine["figures"]["person_times"] == 2 and mine["children"] == []
    for period in ("2026-13", "2026-Q5", "１９９９", "２０２６", "2026-１２", "٢٠٢٦",
                   "2026-09..2025-01", "9999-01", "x" * 21):
        resp = api.get(f"/api/v1/stats/{ready.yunhe.id}?period={period}")
        assert resp.status_code == 422, period
        assert resp.get_json()["code"] in ("bad_period", "validation_error"), period
    resp = api.get(f"/api/v1/stats/{ready.yunhe.id}/figures/nonsense")
    assert resp.status_code == 404 and resp.get_json()["code"] == "unknown_figure"
    assert api.get(f"/api/v1/stats/{ready.yunhe.id}/figures/activities?page=-1"
                   ).status_code == 422


def test_a_volunteer_reads_no_statistics(api, ready):
    api.login(ready.people["甲"])
    assert api.get("/api/v1/stats/places").get_json() == []
    assert api.get(f"/api/v1/stats/{ready.yunhe.id}").status_code == 404


def test_the_pledges_behind_money_pledged_add_up_to_it(api, ready):
    """A withdrawn pledge counts for nothing in the figure, so it is not in the list."""
    api.login(ready.reviewer)
    base = f"/api/v1/stats/{ready.district.id}"
    figure = api.get(f"{base}?period=2026-09").get_json()["figures"]["money_pledged"]
    listed = api.get(f"{base}/figures/money_pledged?period=2026-09").get_json()
    rows = listed["pledges"]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(figure) == Decimal("500.00")
