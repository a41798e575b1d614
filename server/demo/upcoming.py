"""The demo's present and future: two activities under way at the moment of seeding (the
scanners work at once, whatever the time of day), one that ended half an hour ago and waits
to be closed (by its organiser, or by the scheduler an hour after its end), and the coming
weeks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.activities import signups
from server.activities.models import Programme
from server.demo.history import MUMS
from server.demo.story import Story
from server.demo.world import VOLUNTEERS, World
from server.extensions import db

BQTEAM = "运河园社区 BQteam-贤妈智囊团"
CENTRE = "魏善庄镇社会工作服务中心"
LAWYERS = "法律问题进社区公益讲堂志愿团"
# found again by title: the demo is current while this one is under way (seed.py)
LIVE_TITLE = "运河园社区助老服务日：义剪、量血压、陪老人聊天"
LIVE_TOWN_TITLE = "魏庄村高龄老人助餐送餐"
ENDED_TITLE = "运河园社区垃圾分类桶站值守"


def _quarter(moment: datetime) -> datetime:
    """Down to the quarter hour: activities start at 9:00 or 14:15, not at 14:07:31."""
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def seed_present(s: Story, w: World) -> None:
    zhang, zhou = w["张丽娜"], w["周伟静"]
    hour = _quarter(s.now)
    # started about an hour ago, ends in about two: 张丽娜 scans 李秀英's code at once
    starts = hour - timedelta(hours=1)
    live = s.activity(zhang, w.orgs[BQTEAM], LIVE_TITLE, "community_event",
                      "运河园社区党群服务中心一楼大厅", starts, 3, 12, contact_name="张丽娜",
                      created=s.now - timedelta(days=6),
                      description="为社区高龄老人义务理发、测量血压，陪老人聊聊天。")
    crew = w.crew("王芳 陈静 吴婷 唐亮 徐娜 何平 李秀英")
    s.sign_up(live, crew, s.now - timedelta(days=2))
    for i, person in enumerate(crew[:4]):  # already inside; 李秀英 is on her way
        s.scan(live, zhang, person, starts - timedelta(minutes=9 - 3 * i))

    starts = hour - timedelta(minutes=30)
    meals = s.activity(zhou, w.orgs[CENTRE], LIVE_TOWN_TITLE, "home_visit",
                       "魏庄村社工站（送餐入户）", starts, 2.5, 8, node=w.nodes["魏庄村"],
                       contact_name="周伟静", created=s.now - timedelta(days=5), min_age=18,
                       description="为独居高龄老人送餐上门，顺带看看家里冷不冷、药够不够。")
    crew = w.crew("于洋 董丹 程刚 袁媛 邓超")
    s.sign_up(meals, crew, s.now - timedelta(days=1))
    for i, person in enumerate(crew[:2]):
        s.scan(meals, zhou, person, starts - timedelta(minutes=5 - 2 * i))

    # ended half an hour ago; two never scanned out, and nobody has closed it yet: its
    # organiser may mark it finished, or the scheduler does an hour after its end
    starts = hour - timedelta(hours=3, minutes=30)
    sorting = s.activity(zhang, w.orgs[BQTEAM], ENDED_TITLE, "community_event",
                         "运河园社区3号楼垃圾分类桶站", starts, 3, 4, contact_name="张丽娜",
                         created=s.now - timedelta(days=8),
                         description="在桶站旁指导居民分类投放，记录混投情况。")
    crew = w.crew("黄磊 郭燕 高洁")
    s.sign_up(sorting, crew, s.now - timedelta(days=3))
    for i, person in enumerate(crew):
        s.scan(sorting, zhang, person, starts - timedelta(minutes=6 - 2 * i))
    s.scan(sorting, zhang, crew[1], starts + timedelta(hours=3, minutes=2), "exit")


def seed_future(s: Story, w: World) -> None:
    zhang, zhou, wang = w["张丽娜"], w["周伟静"], w["王建国"]
    bqteam, centre, lawyers = w.orgs[BQTEAM], w.orgs[CENTRE], w.orgs[LAWYERS]
    mums = db.session.scalar(select(Programme).where(  # made with its first session
        Programme.organisation_id == bqteam.id, Programme.name == MUMS))

    def activity(actor, organisation, title, kind, place, days, hour, hours, capacity,
                 **fields):
        return s.activity(actor, organisation, title, kind, place, s.at(days, hour), hours,
                          capacity, **fields)

    sharing = activity(zhang, bqteam, "成都全职妈妈经验分享会", "programme_session",
                       "运河园社区党群服务中心二楼活动室", 3, 9, 2, 12, programme_id=mums.id,
                       description="全职妈妈成长计划系列活动：邀请成都全职妈妈线上分享育儿与自我成长经验。")
    activity(zhang, bqteam, "北京-藏区家庭互动", "programme_session", "运河园社区活动广场",
             6, 14, 3, 30, programme_id=mums.id,
             forces=["community", "social_workers", "organisations", "volunteers"],
             description="与藏区家庭线上连线，孩子们互赠绘画与书信。")
    books = activity(zhang, bqteam, "藏区捐赠图书：儿童绘本整理打包", "book_drive",
                     "运河园社区居委会一楼", 5, 9, 3, 8, programme_id=mums.id,
                     forces=["community", "volunteers", "charity"],
                     description="整理、登记并打包捐往白玉县的儿童绘本（此前已寄出133本）。")
    activity(wang, lawyers, "法律问题进社区公益讲堂：老年人防诈骗", "lecture",
             "运河园社区党群服务中心多功能厅", 8, 15, 2, 60, contact_name="王建国",
             node=w.nodes["运河园社区"],
             forces=["community", "social_workers", "organisations", "volunteers"],
             description="律师讲解养老诈骗常见手法与维权途径，现场答疑。")
    activity(wang, lawyers, "法律咨询志愿者现场值守", "lecture", "运河园社区党群服务中心",
             8, 14, 4, 4, required_skills=["legal"], contact_name="王建国",
             node=w.nodes["运河园社区"],
             description="为讲堂后的居民个别咨询值守，需要法律专业背景。")
    activity(zhou, centre, "赵庄子村第五届慈善公益节", "charity_festival", "赵庄子村文化广场",
             12, 9, 6, 100, node=w.nodes["赵庄子村"], min_age=16, insurance_required=True,
             contact_name="周伟静",
             forces=["community", "social_workers", "organisations", "volunteers", "charity"],
             description="连续第五年举办，前四届全村822人次参与，共筹得资金21万余元。")
    activity(zhou, centre, "乡村图书角捐赠与整理", "book_drive", "西南研垡村社工站", 4, 9, 3, 15,
             node=w.nodes["西南研垡村"], contact_name="周伟静",
             forces=["social_workers", "volunteers", "charity"],
             description="整理基金会捐赠的人文社科、农科种植、心理健康等图书，建立图书角。")
    activity(zhou, centre, "高龄老人入户走访", "home_visit", "魏庄村各户", 2, 9, 3, 6,
             node=w.nodes["魏庄村"], min_age=18, required_skills=["elderly_care"],
             contact_name="周伟静",
             description="走访独居高龄老人，送去羽绒服与看护用品，了解急难愁盼。")
    activity(zhang, bqteam, "全职妈妈心理支持小组（筹备中）", "programme_session",
             "运河园社区社工站", 20, 19, 2, 10, programme_id=mums.id, publish=False)

    # the book drive is full with a waitlist; this morning someone gave up their place
    # and 李秀英, first in line, was promoted: her messages say so, with "I can't come"
    volunteers = [w[name] for name in VOLUNTEERS]
    early = s.now - timedelta(days=2)
    places = [signups.sign_up(books.id, user=v, now=early) for v in volunteers[:8]]
    signups.sign_up(books.id, user=w["李秀英"], now=early)
    for v in volunteers[8:11]:
        signups.sign_up(books.id, user=v, now=early)
    signups.withdraw(places[0], actor=volunteers[0], now=s.now - timedelta(hours=3))
    for v in [*volunteers[11:17], w["李秀英"]]:
        signups.sign_up(sharing.id, user=v, now=s.now)
