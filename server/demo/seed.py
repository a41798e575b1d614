"""Demo data drawn from the seed article (../shared/seeds/): 大兴区魏善庄镇 and its
village stations, 通州区通运街道 and 运河园社区 with its BQteam-贤妈智囊团; their funds and
donations are in seed_donations.py.

Idempotent: a second run finds 大兴区 and only prints the logins again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from server.accounts.models import Consent, RoleAssignment, User
from server.accounts.passwords import hash_password
from server.activities import signups
from server.activities.models import Activity, Programme, Signup
from server.communities.models import Node, Organisation
from server.core.clock import SHANGHAI
from server.demo.seed_donations import seed_donations
from server.extensions import db

DEMO_PASSWORD = "wushe2026"

# (phone, name, role, where)
STAFF = [
    ("13800000001", "李秀英", "resident", "运河园社区"),
    ("13800000002", "张丽娜", "organiser", "运河园社区 BQteam-贤妈智囊团"),
    ("13800000003", "周伟静", "organiser", "魏善庄镇社会工作服务中心"),
    ("13800000004", "王建国", "coordinator", "通运街道"),
    ("13800000005", "赵红梅", "coordinator", "魏善庄镇"),
    ("13800000009", "陈志强", "admin", "大兴区、通州区"),
]
VOLUNTEERS = ("王芳 刘洋 陈静 杨敏 黄磊 赵丽 吴婷 周杰 徐娜 孙涛 马超 朱琳 胡军 郭燕 何平 "
              "高洁 林峰 罗兰 郑欣 梁勇 宋佳 谢明 韩雪 唐亮 冯梅 于洋 董丹 萧红 程刚 曹颖 "
              "阿依古丽·买买提 袁媛 邓超 许晴 傅强 沈蕾").split()
VILLAGES = ("赵庄子村", "西南研垡村", "魏庄村", "东枣林村", "大狼垡村")


def _at(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time `days` from today, as UTC."""
    day = now.astimezone(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(
        now.tzinfo)


def _logins() -> list[tuple[str, str, str, str]]:
    return [(role, phone, name, where) for phone, name, role, where in STAFF]


def _keep_current(now: datetime) -> None:
    """Demo dates are relative to the first seeding: move them to today on later runs,
    so that `make run` a month later still shows upcoming activities."""
    anchor = db.session.scalar(select(func.min(Activity.created_at)))
    if anchor is None:
        return
    days = (now.astimezone(SHANGHAI).date() - anchor.astimezone(SHANGHAI).date()).days
    if days <= 0:
        return
    shift = timedelta(days=days)
    for a in db.session.scalars(select(Activity)):
        for key in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at",
                    "created_at", "updated_at", "published_at"):
            if getattr(a, key) is not None:
                setattr(a, key, getattr(a, key) + shift)
    for s in db.session.scalars(select(Signup)):
        s.created_at += shift
    db.session.flush()


def seed(*, now: datetime) -> list[tuple[str, str, str, str]]:
    if db.session.scalar(select(Node.id).where(Node.name == "大兴区")) is not None:
        _keep_current(now)
        seed_donations(now=now)  # adds them to a demo seeded before donations existed
        return _logins()

    def node(name, kind, parent=None, platform=None, since=None):
        n = Node(name=name, kind=kind, parent=parent, platform_name=platform,
                 platform_since=since, created_at=now)
        db.session.add(n)
        db.session.flush()
        n.path = f"{parent.path if parent else '/'}{n.id}/"
        return n

    daxing = node("大兴区", "district", platform="大兴区社会工作指导中心")
    weishanzhuang = node("魏善庄镇", "town", daxing, "魏善庄镇社会工作服务中心", "2021-10")
    villages = {v: node(v, "village", weishanzhuang, f"{v}社工站") for v in VILLAGES}
    tongzhou = node("通州区", "district", platform="通州区社会工作指导中心")
    tongyun = node("通运街道", "street", tongzhou, "通运街道社会工作指导中心", "2018-12")
    yunheyuan = node("运河园社区", "community", tongyun, "运河园社区社工站")

    def org(name, kind, where, description=""):
        o = Organisation(name=name, kind=kind, node=where, description=description,
                         created_at=now, active=True)
        db.session.add(o)
        return o

    bqteam = org("运河园社区 BQteam-贤妈智囊团", "volunteer_team", yunheyuan,
                 "由社区全职妈妈组成的志愿队伍，全职妈妈成长计划的核心力量。")
    org("运河园社区居委会", "community", yunheyuan)
    tongyun_centre = org("通运街道社会工作指导中心", "social_work", tongyun,
                         "街道社会工作指导中心与社区社工站两级专业社会工作体系。")
    wsz_centre = org("魏善庄镇社会工作服务中心", "social_work", weishanzhuang,
                     "镇村两级“1+N”社会工作服务体系，统筹13个村级社工站。")
    org("赵庄子村村民委员会", "community", villages["赵庄子村"])
    org("赵庄子爱心救助基金", "charity", villages["赵庄子村"],
        "为村民提供大病救助，已开展55次救助。")
    lawyers = org("法律问题进社区公益讲堂志愿团", "social_org", tongyun,
                  "律师与法律专业人才组成的公益讲堂团队。")
    db.session.flush()

    pw = hash_password(DEMO_PASSWORD)

    def person(phone, name, home, birth=date(1988, 3, 15), skills=(), gender="female"):
        u = User(phone=phone, password_hash=pw, name=name, gender=gender, birth_date=birth,
                 home_node_id=home.id, skills=list(skills), created_at=now, active=True,
                 care_mode=False)
        db.session.add(u)
        db.session.flush()
        db.session.add(Consent(user_id=u.id, kind="privacy", notice_version="2026-11",
                               accepted_at=now))
        return u

    resident = person("13800000001", "李秀英", yunheyuan, date(1958, 6, 2), ["elderly_care"])
    zhang = person("13800000002", "张丽娜", yunheyuan, date(1989, 9, 9), ["education"])
    zhou = person("13800000003", "周伟静", weishanzhuang, date(1985, 4, 20), ["psychology"])
    wang = person("13800000004", "王建国", tongyun, date(1976, 1, 5), gender="male")
    zhao = person("13800000005", "赵红梅", weishanzhuang, date(1980, 8, 18))
    chen = person("13800000009", "陈志强", tongyun, date(1979, 11, 30), gender="male")

    def role(user, name, where, organisation=None):
        db.session.add(RoleAssignment(user_id=user.id, role=name, node_id=where.id,
                                      organisation_id=organisation.id if organisation else None,
                                      granted_at=now))

    role(zhang, "organiser", yunheyuan, bqteam)
    role(zhang, "organiser", tongyun, tongyun_centre)
    role(zhou, "organiser", weishanzhuang, wsz_centre)
    role(wang, "organiser", tongyun, lawyers)
    role(wang, "coordinator", tongyun)
    role(zhao, "coordinator", weishanzhuang)
    role(chen, "admin", daxing)
    role(chen, "admin", tongzhou)

    homes = [yunheyuan, *villages.values()]
    skill_sets = [(), ("education",), ("legal",), ("medical",), ("photography",),
                  ("elderly_care",), ("psychology",), ("first_aid",)]
    volunteers = [
        person(f"139{i:08d}", name, homes[i % len(homes)], date(1960 + (i * 7) % 45, 1 + i % 12,
               1 + i % 27), skill_sets[i % len(skill_sets)], "female" if i % 3 else "male")
        for i, name in enumerate(VOLUNTEERS, start=1)]
    db.session.flush()

    mums = Programme(organisation_id=bqteam.id, name="全职妈妈成长计划", created_at=now,
                     description="以社区“宝妈”为切入点，推动年轻志愿队伍“行动起来”“活跃起来”“参与起来”。")
    db.session.add(mums)
    db.session.flush()

    def activity(title, kind, organisation, where, place, days, hour, hours, capacity,
                 status="published", **extra):
        a = Activity(title=title, kind=kind, organisation_id=organisation.id, node_id=where.id,
                     place=place, starts_at=_at(now, days, hour),
                     ends_at=_at(now, days, hour) + timedelta(hours=hours), capacity=capacity,
                     status=status, created_by_id=zhang.id, created_at=now, updated_at=now,
                     published_at=now if status != "draft" else None, confirmed_count=0,
                     waitlist_count=0, withdraw_cutoff_hours=extra.pop("cutoff", 2),
                     required_skills=extra.pop("skills", []),
                     forces=extra.pop("forces", ["community", "social_workers", "volunteers"]),
                     description=extra.pop("description", ""),
                     contact_name=extra.pop("contact", "张丽娜"), **extra)
        db.session.add(a)
        db.session.flush()
        return a

    sharing = activity("成都全职妈妈经验分享会", "programme_session", bqteam, yunheyuan,
                       "运河园社区党群服务中心二楼活动室", 3, 9, 2, 12, programme_id=mums.id,
                       description="全职妈妈成长计划系列活动：邀请成都全职妈妈线上分享育儿与自我成长经验。")
    activity("北京-藏区家庭互动", "programme_session", bqteam, yunheyuan, "运河园社区活动广场",
             6, 14, 3, 30, programme_id=mums.id,
             forces=["community", "social_workers", "organisations", "volunteers"],
             description="与藏区家庭线上连线，孩子们互赠绘画与书信。")
    books = activity("藏区捐赠图书：儿童绘本整理打包", "book_drive", bqteam, yunheyuan,
                     "运河园社区居委会一楼", 5, 9, 3, 8, programme_id=mums.id,
                     forces=["community", "volunteers", "charity"],
                     description="整理、登记并打包捐往白玉县的儿童绘本（此前已寄出133本）。")
    activity("法律问题进社区公益讲堂：老年人防诈骗", "lecture", lawyers, yunheyuan,
             "运河园社区党群服务中心多功能厅", 8, 15, 2, 60, contact="王建国",
             forces=["community", "social_workers", "organisations", "volunteers"],
             description="律师讲解养老诈骗常见手法与维权途径，现场答疑。")
    activity("法律咨询志愿者现场值守", "lecture", lawyers, yunheyuan, "运河园社区党群服务中心",
             8, 14, 4, 4, skills=["legal"], contact="王建国",
             description="为讲堂后的居民个别咨询值守，需要法律专业背景。")
    activity("赵庄子村第五届慈善公益节", "charity_festival", wsz_centre, villages["赵庄子村"],
             "赵庄子村文化广场", 12, 9, 6, 100, min_age=16, insurance_required=True,
             contact="周伟静", forces=["community", "social_workers", "organisations",
                                      "volunteers", "charity"],
             description="连续第五年举办，前四届全村822人次参与，共筹得资金21万余元。")
    activity("乡村图书角捐赠与整理", "book_drive", wsz_centre, villages["西南研垡村"],
             "西南研垡村社工站", 4, 9, 3, 15, contact="周伟静",
             forces=["social_workers", "volunteers", "charity"],
             description="整理基金会捐赠的人文社科、农科种植、心理健康等图书，建立图书角。")
    activity("高龄老人入户走访", "home_visit", wsz_centre, villages["魏庄村"], "魏庄村各户",
             2, 9, 3, 6, min_age=18, skills=["elderly_care"], contact="周伟静",
             description="走访独居高龄老人，送去羽绒服与看护用品，了解急难愁盼。")
    video = activity("社区疫情防控宣传片拍摄", "community_event", bqteam, yunheyuan, "运河园社区",
                     -20, 9, 4, 10, status="finished", skills=["photography"],
                     description="拍摄三段疫情防控知识宣传视频。")
    activity("全职妈妈心理支持小组（筹备中）", "programme_session", bqteam, yunheyuan,
             "运河园社区社工站", 20, 19, 2, 10, status="draft", programme_id=mums.id)
    db.session.flush()

    # the book drive is full with a waitlist; the sharing session half full
    for v in volunteers[:11]:
        signups.sign_up(books.id, user=v, now=now)
    for v in volunteers[11:17]:
        signups.sign_up(sharing.id, user=v, now=now)
    signups.sign_up(sharing.id, user=resident, now=now)
    # a past activity people took part in, so "my activities › past" has something to show
    crew = [v for v in volunteers if "photography" in v.skills][:3] + [resident]
    for i, person in enumerate(crew, start=1):
        db.session.add(Signup(activity_id=video.id, user_id=person.id, status="confirmed",
                              queue_no=i, created_at=video.starts_at - timedelta(days=3)))
    video.confirmed_count = len(crew)
    db.session.flush()
    seed_donations(now=now)
    return _logins()
