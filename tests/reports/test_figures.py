"""A known world, built through the services, and every figure of the dashboard checked
exactly: for each place (its subtree only, never a sibling branch), each stored period,
the period before, the children, a custom run of months, and a rebuild from scratch
giving the same rows as the incremental refresh."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from server.activities import services as activities
from server.core.clock import from_local
from server.donations import distribute, funds, intake, pledges
from server.extensions import db
from server.hours import ledger, review
from server.reports import figures, rollups
from server.reports.models import StatValue
from server.reports.periods import parse
from server.scheduler import jobs


def at(month: int, day: int, hour: int = 9) -> datetime:
    return from_local(datetime(2026, month, day, hour))


OCTOBER = at(10, 12)


@pytest.fixture
def world(make_node, make_org, make_user, make_activity, grant, give_place, now):
    """大兴区 → 魏善庄镇 → 魏庄村 (station), 东枣林村 (none)
           → 通运街道 → 运河园社区 (station)
       通州区 → 北苑街道 → 北苑社区 (another branch: never in 大兴区's figures)"""
    w = SimpleNamespace()
    w.district = make_node(name="大兴区", kind="district")
    w.town = make_node(name="魏善庄镇", kind="town", parent=w.district)
    w.weizhuang = make_node(name="魏庄村", kind="village", parent=w.town)
    w.weizhuang.platform_name = "魏庄村社工站"
    w.dongzao = make_node(name="东枣林村", kind="village", parent=w.town)
    w.street = make_node(name="通运街道", kind="street", parent=w.district)
    w.yunhe = make_node(name="运河园社区", parent=w.street)
    w.yunhe.platform_name = "运河园社区社工站"
    w.other = make_node(name="通州区", kind="district")
    w.other_street = make_node(name="北苑街道", kind="street", parent=w.other)
    w.beiyuan = make_node(name="北苑社区", parent=w.other_street)

    w.team = make_org(name="BQteam-贤妈智囊团", node=w.yunhe, kind="volunteer_team")
    w.centre = make_org(name="魏善庄镇社会工作服务中心", node=w.town, kind="social_work")
    w.village_group = make_org(name="魏庄村夕阳红", node=w.weizhuang, kind="social_org")
    w.far_org = make_org(name="北苑志愿队", node=w.beiyuan, kind="volunteer_team")
    w.charity = make_org(name="赵庄子爱心救助基金会", node=w.town, kind="charity")
    w.reviewer = make_user(name="赵红梅")
    grant(w.reviewer, "coordinator", w.district)
    grant(w.reviewer, "coordinator", w.other)
    w.people = {n: make_user(name=n) for n in ("甲", "乙", "丙", "丁", "戊")}

    def held(org, node, title, kind, start, forces, minutes_by_person, hours=3):
        """An activity that took place: each person's hours filed (补录) and waiting."""
        activity = make_activity(org=org, node=node, title=title, kind=kind,
                                 starts_in=start - now, hours=hours, forces=forces)
        end = start + timedelta(hours=hours)
        entries = []
        for name, minutes in minutes_by_person.items():
            person = w.people[name]
            give_place(activity, person)
            entries.append(ledger.file_retroactive(actor=person, activity=activity,
                                                   user=person, minutes=minutes,
                                                   evidence="签到表为证", now=end))
        activities.finish(activity, actor=None, now=end)
        return activity, entries

    # September, 运河园社区: three forces linked; 甲 60, 乙 90, 丙 30 (丙 later rejected)
    w.lecture, (jia, yi, bing) = held(w.team, w.yunhe, "法律问题进社区", "lecture", at(9, 5),
                                      ["community", "volunteers", "charity"],
                                      {"甲": 60, "乙": 90, "丙": 30})
    # September, 魏庄村: the town centre; 甲 120, 丁 120 (丁's entry stays pending)
    w.visit, (jia2, ding) = held(w.centre, w.weizhuang, "入户走访", "home_visit", at(9, 18),
                                 ["social_workers", "volunteers"], {"甲": 120, "丁": 120})
    # September, 魏庄村, the village group: all five forces; 戊 45
    w.festival, (wu,) = held(w.village_group, w.weizhuang, "慈善公益节", "charity_festival",
                             at(9, 26), list(("community", "social_workers", "organisations",
                                              "volunteers", "charity")), {"戊": 45})
    # August, 运河园社区: for "compared with the month before"; 乙 45
    w.august, (yi_aug,) = held(w.team, w.yunhe, "八月讲座", "lecture", at(8, 20), [],
                               {"乙": 45})
    # September in the other district: never counted in 大兴区
    w.far, (far,) = held(w.far_org, w.beiyuan, "北苑活动", "community_event", at(9, 10),
                         ["volunteers"], {"甲": 170})
    # not held: cancelled, and not yet finished
    cancelled = make_activity(org=w.team, node=w.yunhe, starts_in=at(9, 12) - now,
                              title="取消的活动")
    cancelled.status, cancelled.cancel_reason = "cancelled", "下雨"
    make_activity(org=w.team, node=w.yunhe, starts_in=at(9, 29) - now, title="未结束的活动")

    for entry in (jia, yi, jia2, wu, yi_aug, far):
        review.approve(entry.id, reviewer=w.reviewer, now=OCTOBER)
    review.reject(bing.id, reviewer=w.reviewer, reason="未到场", now=OCTOBER)
    # 甲 at the lecture: 60 → 40 (a reversal and an approved replacement)
    review.adjust(jia.id, reviewer=w.reviewer, minutes=40, reason="迟到", now=OCTOBER)
    del ding  # pending: not counted

    # money and goods, a fund of 魏庄村 hosted by the charity
    w.fund = funds.create_fund(
        {"kind": "fund", "title": "魏庄村助老基金", "purpose": "助老", "criteria": "高龄老人",
         "how_to_give": "村委会", "host_id": w.charity.id, "node_id": w.weizhuang.id,
         "target_amount": Decimal("10000.00"), "accepts_money": True, "accepts_goods": True},
        actor=w.reviewer, now=at(8, 1))
    donor = w.people["乙"]
    standing = pledges.create_pledge(w.fund, {"kind": "money", "amount": Decimal("500.00")},
                                     actor=donor, now=at(9, 3))
    gone = pledges.create_pledge(w.fund, {"kind": "money", "amount": Decimal("300.00")},
                                 actor=donor, now=at(9, 4))
    pledges.transition(gone, "withdraw", actor=donor, reason="计划有变", now=at(9, 6))
    books = pledges.create_pledge(w.fund, {"kind": "goods", "lines": [
        {"category": "picture_books", "item": "儿童绘本", "unit": "book", "quantity": 10}]},
        actor=donor, now=at(9, 4))
    intake.record(standing, {"version": standing.version, "amount": Decimal("200.00"),
                             "receipt_waived": True, "received_on": at(9, 8).date()},
                  actor=w.reviewer, now=at(9, 8, 15))
    intake.record(books, {"version": books.version, "receipt_waived": True,
                          "received_on": at(9, 9).date(), "lines": [
                              {"pledge_line_id": books.lines[0].id, "accepted": 10,
                               "rejected": 0, "unit_value": Decimal("15.00")}]},
                  actor=w.reviewer, now=at(9, 9, 15))
    distribute.distribute(w.fund.id, {"kind": "money", "amount": Decimal("100.00"),
                                      "recipient_kind": "household", "recipient_name": "张大爷",
                                      "decision_ref": "村委会2026-09", "signed_by": "张大爷",
                                      "distributed_on": at(9, 20).date()},
                          actor=w.reviewer, now=at(9, 20, 15))
    distribute.distribute(w.fund.id, {"kind": "goods", "recipient_kind": "household",
                                      "recipient_name": "李奶奶", "signed_by": "李奶奶",
                                      "distributed_on": at(9, 21).date(), "lines": [
                                          {"category": "picture_books", "item": "儿童绘本",
                                           "unit": "book", "quantity": 4}]},
                          actor=w.reviewer, now=at(9, 21, 15))
    db.session.flush()
    return w


def _figures(node, period):
    return figures.read([node.id], parse(period))[node.id]


EXPECTED_SEPTEMBER = {
    # place: activities, person_times, volunteers, minutes, organisations, community_orgs,
    #        linked3
    "district": (3, 4, 3, 40 + 90 + 120 + 45, 3, 2, 2),
    "town": (2, 2, 2, 120 + 45, 2, 1, 1),
    "street": (1, 2, 2, 40 + 90, 1, 1, 1),
    "yunhe": (1, 2, 2, 130, 1, 1, 1),
    "dongzao": (0, 0, 0, 0, 0, 0, 0),
    "other": (1, 1, 1, 170, 1, 1, 0),
}


def test_every_figure_of_every_place_for_september(world):
    assert rollups.rebuild(now=OCTOBER) > 0
    for place, (acts, times, people, minutes, orgs, local, linked3) in (
            EXPECTED_SEPTEMBER.items()):
        f = _figures(getattr(world, place), "2026-09")
        got = (f.activities, f.get("person_times"), f.get("volunteers"), f.get("minutes"),
               f.get("organisations"), f.get("community_orgs"), f.get("linked3"))
        assert got == (acts, times, people, minutes, orgs, local, linked3), place
    district = _figures(world.district, "2026-09")
    assert district.by_kind["lecture"] == 1 and district.by_kind["home_visit"] == 1
    assert district.by_kind["charity_festival"] == 1 and district.by_kind["training"] == 0
    assert district.forces == {"community": 2, "social_workers": 2, "organisations": 1,
                               "volunteers": 3, "charity": 2}
    assert district.hours == Decimal("4.9")  # 295 minutes
    # money: the standing pledge only; what arrived and what went out, cash and goods apart
    assert district.yuan("money_pledged") == Decimal("500.00")
    assert district.yuan("money_received") == Decimal("200.00")
    assert district.yuan("money_distributed") == Decimal("100.00")
    assert (district.get("goods_received"), district.yuan("goods_received_value")) == (
        10, Decimal("150.00"))
    assert (district.get("goods_distributed"), district.yuan("goods_distributed_value")) == (
        4, Decimal("60.00"))
    # the fund is 魏庄村's: its street sibling sees none of it
    assert _figures(world.street, "2026-09").yuan("money_received") == 0
    assert _figures(world.town, "2026-09").yuan("money_received") == Decimal("200.00")


def test_quarter_year_the_month_before_and_a_custom_run(world):
    rollups.rebuild(now=OCTOBER)
    q3 = _figures(world.district, "2026-Q3")
    # August adds 乙 once more (a second person-time, the same person)
    assert (q3.activities, q3.get("person_times"), q3.get("volunteers")) == (4, 5, 3)
    assert q3.get("minutes") == 295 + 45
    assert _figures(world.district, "2026").get("person_times") == 5
    august = _figures(world.yunhe, "2026-08")
    assert (august.activities, august.get("person_times"), august.get("minutes")) == (1, 1, 45)
    custom = figures.read([world.district.id], parse("2026-08..2026-09"))[world.district.id]
    assert custom.values == q3.values  # the same months, added up on request
    assert _figures(world.district, "2026-10").values == {}


def test_coverage_and_children(world):
    rollups.rebuild(now=OCTOBER)
    assert (figures.coverage(world.district).places,
            figures.coverage(world.district).with_station) == (3, 2)
    assert figures.coverage(world.town).share == Decimal("50")
    found = figures.read([world.town.id, world.street.id], parse("2026-09"))
    assert found[world.town.id].activities + found[world.street.id].activities == 3


def test_the_scheduler_keeps_them_current_and_a_rebuild_agrees(world, make_user):
    first = jobs.stats(OCTOBER + timedelta(hours=1))  # the first run computes everything
    assert first.done > 0
    assert _figures(world.district, "2026-09").get("minutes") == 295
    # a decision later on: the next run recomputes September (and its quarter and year)
    later = OCTOBER + timedelta(days=1)
    entry = db.session.scalar(select(ledger.HourEntry).where(
        ledger.HourEntry.user_id == world.people["丁"].id))
    review.approve(entry.id, reviewer=world.reviewer, now=later)
    periods, _ = rollups.to_refresh(now=later + timedelta(minutes=1))
    assert {p.key for p in periods} == {"2026-09", "2026-Q3", "2026"}
    assert jobs.stats(later + timedelta(minutes=1)).done == 3
    district = _figures(world.district, "2026-09")
    assert (district.get("minutes"), district.get("person_times"),
            district.get("volunteers")) == (295 + 120, 5, 4)
    # what changed just before a run is read once more by the next (OVERLAP), then no more
    assert jobs.stats(later + timedelta(minutes=15)).done == 3
    assert jobs.stats(later + timedelta(minutes=30)).done == 0
    kept = sorted(tuple(r) for r in db.session.execute(
        select(StatValue.node_id, StatValue.period, StatValue.metric, StatValue.key,
               StatValue.value)))
    rollups.rebuild(now=later + timedelta(hours=1))
    rebuilt = sorted(tuple(r) for r in db.session.execute(
        select(StatValue.node_id, StatValue.period, StatValue.metric, StatValue.key,
               StatValue.value)))
    assert kept == rebuilt
