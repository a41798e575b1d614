"""The known world of the statistics tests: two districts, towns, streets, villages and
communities, activities held (and not), hours decided, money and goods in and out."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from server.activities import services as activities
from server.activities.models import Programme
from server.core.clock import from_local
from server.donations.services import distribute, funds, intake, pledges
from server.extensions import db
from server.hours import ledger, review


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
    w.mums = Programme(organisation_id=w.team.id, name="全职妈妈成长计划", description="",
                       created_at=now)
    db.session.add(w.mums)
    db.session.flush()
    w.centre = make_org(name="魏善庄镇社会工作服务中心", node=w.town, kind="social_work")
    w.village_group = make_org(name="魏庄村夕阳红", node=w.weizhuang, kind="social_org")
    w.far_org = make_org(name="北苑志愿队", node=w.beiyuan, kind="volunteer_team")
    w.charity = make_org(name="赵庄子爱心救助基金会", node=w.town, kind="charity")
    w.reviewer = make_user(name="赵红梅")
    grant(w.reviewer, "coordinator", w.district)
    grant(w.reviewer, "coordinator", w.other)
    w.people = {n: make_user(name=n) for n in ("甲", "乙", "丙", "丁", "戊")}

    def held(org, node, title, kind, start, forces, minutes_by_person, hours=3,
             programme=None):
        """An activity that took place: each person's hours filed (补录) and waiting."""
        activity = make_activity(org=org, node=node, title=title, kind=kind,
                                 starts_in=start - now, hours=hours, forces=forces,
                                 programme_id=programme.id if programme else None)
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

    # September, 运河园社区, a session of the programme: three forces linked; 甲 60, 乙 90,
    # 丙 30 (丙 later rejected)
    w.lecture, (jia, yi, bing) = held(w.team, w.yunhe, "法律问题进社区", "lecture", at(9, 5),
                                      ["community", "volunteers", "charity"],
                                      {"甲": 60, "乙": 90, "丙": 30}, programme=w.mums)
    # September, 魏庄村: the town centre; 甲 120, 丁 120 (丁's entry stays pending)
    w.visit, (jia2, ding) = held(w.centre, w.weizhuang, "入户走访", "home_visit", at(9, 18),
                                 ["social_workers", "volunteers"], {"甲": 120, "丁": 120})
    # September, 魏庄村, the village group: all five forces; 戊 45
    w.festival, (wu,) = held(w.village_group, w.weizhuang, "慈善公益节", "charity_festival",
                             at(9, 26), list(("community", "social_workers", "organisations",
                                              "volunteers", "charity")), {"戊": 45})
    # August, 运河园社区, the programme again: for "compared with the month before"; 乙 45
    w.august, (yi_aug,) = held(w.team, w.yunhe, "八月讲座", "lecture", at(8, 20), [],
                               {"乙": 45}, programme=w.mums)
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
