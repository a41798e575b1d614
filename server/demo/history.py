"""The demo's past: a year of weekly elderly-care visits that earned 李秀英 her first star,
and last week's activities whose hours wait in every reviewer's queue.

Scans go through check-in (organiser scans, an offline phone uploading later, a volunteer
scanning the venue code, someone who never scanned out), attendance closes through
activities.finish, and decisions through hours.review, each at its own moment.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.activities.models import Programme
from server.demo.story import Story
from server.demo.world import World
from server.extensions import db
from server.hours import certificates, ledger, review
from server.hours import services as hours
from server.hours.models import HourEntry

BQTEAM = "运河园社区 BQteam-贤妈智囊团"
CENTRE = "魏善庄镇社会工作服务中心"
LAWYERS = "法律问题进社区公益讲堂志愿团"
MUMS = "全职妈妈成长计划"
SERIES_WEEKS = 46  # weekly for the past year, less the weeks it paused
PAUSED = {8, 9, 21, 33, 34}  # weeks back: Spring Festival, summer heat, National Day
SERIES_POOL = "王芳 陈静 黄磊 吴婷 徐娜 何平".split()
HOME = (39.9021, 116.6853)  # where 运河园社区 is (what a phone reports there)
VILLAGE = (39.6633, 116.4261)


def seed_history(s: Story, w: World) -> None:
    _weekly_visits(s, w)
    _video(s, w)
    _lecture(s, w)
    _reading(s, w)
    _book_corner(s, w)
    # 王芳 asks BQteam for a certificate: the issuing bodies' reviewers have one to decide
    certificates.request_certificate(w["王芳"], w.orgs[BQTEAM], now=s.at(-1, 20),
                                     purpose="申请社区志愿者优秀个人评选")
    db.session.flush()


def _weekly_visits(s: Story, w: World) -> None:
    """Every Tuesday morning, BQteam volunteers keep a lonely elder company: 李秀英 has
    not missed a week, three hours each (about 120 hours: one star at 100)."""
    zhang, resident = w["张丽娜"], w["李秀英"]
    programme = Programme(organisation_id=w.orgs[BQTEAM].id, name="银龄相伴·每周助老",
                          created_at=s.at(-7 * SERIES_WEEKS - 14, 10),
                          description="每周二上午，志愿者结对陪伴社区独居老人：聊天读报、代购药品、打扫整理。")
    db.session.add(programme)
    db.session.flush()
    # the latest Tuesday at least a day ago, so the series never reaches today
    last = s.today - timedelta(days=1 + (s.today.weekday() - 1 - 1) % 7)
    number = 0
    for weeks_back in range(SERIES_WEEKS - 1, -1, -1):
        if weeks_back in PAUSED:
            continue
        number += 1
        day = (last - timedelta(weeks=weeks_back) - s.today).days
        starts = s.at(day, 9)
        visit = s.activity(zhang, w.orgs[BQTEAM], f"银龄相伴：陪伴独居老人（第{number}期）",
                           "home_visit", "运河园社区独居老人家中（社工站集合）", starts, 3, 6,
                           programme_id=programme.id, contact_name="张丽娜",
                           created=starts - timedelta(days=9),
                           description="结对陪伴独居老人：聊天读报、代购药品、打扫整理。")
        pool = [w[SERIES_POOL[(number + k) % len(SERIES_POOL)]] for k in range(2)]
        if weeks_back == 0:
            pool = w.crew("王芳 陈静")
        crew = [resident, *pool]
        s.sign_up(visit, crew, starts - timedelta(days=5, hours=3))
        for i, person in enumerate(crew):
            s.scan(visit, zhang, person, starts - timedelta(minutes=12 - 4 * i))
        # most leave at noon; now and then 李秀英 goes early to fetch her grandson, and
        # at the last visit 王芳 was scanned out an hour early by mistake
        for i, person in enumerate(crew):
            left = timedelta(hours=3, minutes=1 + 2 * i)
            if person is resident and number % 6 == 0:
                left = timedelta(hours=2, minutes=30)
            elif weeks_back == 0 and person is pool[0]:
                left = timedelta(hours=2)
            s.scan(visit, zhang, person, starts + left, "exit")
        s.finish(visit, starts + timedelta(hours=10))
        if number == 17:  # scanned in by mistake and never there: refused, with the reason
            wrong = _entry(visit, pool[1])
            review.reject(wrong.id, reviewer=zhang, now=starts + timedelta(days=1),
                          reason="当天未到岗：签到为误扫，已与本人核实。")
        s.approve_all(visit, zhang, starts + timedelta(days=1, hours=2))
    # 王芳 says so: an open correction request for 张丽娜
    hours.request_correction(_entry(visit, pool[0]), user=pool[0], now=starts + timedelta(
        days=2), message="我当天12点才离开，签退时被提前扫了，麻烦核实更正为3小时。")


def _video(s: Story, w: World) -> None:
    """Three weeks ago: the photographers' public-health videos, approved long since."""
    zhang = w["张丽娜"]
    starts = s.at(-20, 9)
    video = s.activity(zhang, w.orgs[BQTEAM], "社区疫情防控宣传片拍摄", "community_event",
                       "运河园社区", starts, 4, 10, required_skills=["photography"],
                       description="拍摄三段疫情防控知识宣传视频。")
    crew = w.crew("杨敏 朱琳")
    s.sign_up(video, crew, starts - timedelta(days=3))
    for i, person in enumerate(crew):
        s.scan(video, zhang, person, starts - timedelta(minutes=5 + i))
        s.scan(video, zhang, person, starts + timedelta(hours=3, minutes=50 + i), "exit")
    s.finish(video, starts + timedelta(hours=5), actor=zhang)
    s.approve_all(video, zhang, starts + timedelta(days=2))


def _lecture(s: Story, w: World) -> None:
    """Twelve days ago, the lawyers' lecture: its hours fall due in two days (王建国)."""
    wang = w["王建国"]
    starts = s.at(-12, 15)
    lecture = s.activity(wang, w.orgs[LAWYERS], "法律问题进社区公益讲堂：遗嘱与继承", "lecture",
                         "运河园社区党群服务中心多功能厅", starts, 2, 40,
                         node=w.nodes["运河园社区"], contact_name="王建国",
                         forces=["community", "social_workers", "organisations", "volunteers"],
                         description="律师讲解遗嘱订立与继承常见纠纷，现场答疑。")
    crew = w.crew("刘洋 罗兰 陈静")
    s.sign_up(lecture, crew, starts - timedelta(days=4))
    for i, person in enumerate(crew):
        s.scan(lecture, wang, person, starts - timedelta(minutes=20 - 3 * i))
        s.scan(lecture, wang, person, starts + timedelta(hours=2, minutes=15), "exit")
    s.finish(lecture, starts + timedelta(hours=9))


def _reading(s: Story, w: World) -> None:
    """Two days ago, BQteam's reading afternoon: every way of checking in, pending review
    (张丽娜, and 王建国 and 陈志强 above her)."""
    zhang = w["张丽娜"]
    starts = s.at(-2, 14)
    ends = starts + timedelta(hours=2, minutes=30)
    mums = Programme(organisation_id=w.orgs[BQTEAM].id, name=MUMS,
                     created_at=s.now - timedelta(days=400),
                     description="以社区“宝妈”为切入点，推动年轻志愿队伍“行动起来”“活跃起来”“参与起来”。")
    db.session.add(mums)
    db.session.flush()
    reading = s.activity(zhang, w.orgs[BQTEAM], "全职妈妈成长计划：亲子绘本共读会",
                         "programme_session", "运河园社区党群服务中心二楼图书角", starts, 2.5, 15,
                         contact_name="张丽娜", programme_id=mums.id,
                         forces=["community", "organisations", "volunteers"],
                         description="妈妈志愿者带领社区孩子共读绘本，并整理准备寄往白玉县的绘本。")
    crew = w.crew("赵丽 朱琳 郭燕 高洁 杨敏 李秀英 曹颖 沈蕾")
    s.sign_up(reading, crew, starts - timedelta(days=3))
    zhao_li, zhu, guo, gao, yang, resident, cao, shen = crew
    for i, person in enumerate((zhao_li, zhu, resident)):  # a pair of scans each
        s.scan(reading, zhang, person, starts - timedelta(minutes=10 - 2 * i))
        s.scan(reading, zhang, person, ends + timedelta(minutes=3 + i), "exit")
    s.self_scan(reading, guo, starts + timedelta(minutes=4), HOME)  # scanned the venue code
    s.self_scan(reading, guo, ends - timedelta(minutes=10), HOME)
    s.scan(reading, zhang, gao, starts - timedelta(minutes=2))  # left without scanning out
    # the basement has no signal: 张丽娜's phone kept these and uploaded them upstairs
    upload = ends + timedelta(minutes=40)
    s.offline(reading, zhang, yang, starts + timedelta(minutes=25), upload)
    s.offline(reading, zhang, yang, ends - timedelta(minutes=5), upload, "exit")
    # a neighbour who had not signed up, let in at the door
    walk_in = w["何平"]
    s.scan(reading, zhang, walk_in, starts + timedelta(minutes=15), walk_in=True)
    s.scan(reading, zhang, walk_in, ends, "exit")
    s.finish(reading, ends + timedelta(hours=6))  # the nightly close checks 高洁 out
    # 曹颖's phone was flat; she signed the paper sheet and files a 补录 next morning
    ledger.file_retroactive(actor=cao, activity=reading, user=cao, minutes=150, now=s.at(-1, 9),
                            evidence="手机没电未能扫码，纸质签到表第2页有本人签名，张丽娜可证明。")
    del shen  # signed up and did not come: no scans, no hours


def _book_corner(s: Story, w: World) -> None:
    """Yesterday in 东枣林村: putting the donated books on shelves, pending review
    (周伟静, 赵红梅 and 陈志强). The village signal is poor: half the scans went offline."""
    zhou = w["周伟静"]
    starts = s.at(-1, 9)
    ends = starts + timedelta(hours=3)
    corner = s.activity(zhou, w.orgs[CENTRE], "东枣林村图书角图书上架", "book_drive",
                        "东枣林村社工站", starts, 3, 10, node=w.nodes["东枣林村"],
                        contact_name="周伟静", forces=["social_workers", "volunteers", "charity"],
                        description="为基金会捐赠的图书分类、贴标、上架，建立村图书角借阅登记。")
    crew = w.crew("林峰 郑欣 宋佳 谢明 韩雪 冯梅")
    s.sign_up(corner, crew, starts - timedelta(days=2))
    lin, zheng, song, xie, han, feng = crew
    for i, person in enumerate((lin, zheng)):
        s.scan(corner, zhou, person, starts - timedelta(minutes=8 - i))
        s.scan(corner, zhou, person, ends + timedelta(minutes=2), "exit")
    upload = ends + timedelta(hours=1)
    for i, person in enumerate((song, xie)):
        s.offline(corner, zhou, person, starts + timedelta(minutes=3 + i), upload)
        s.offline(corner, zhou, person, ends - timedelta(minutes=20 - i), upload, "exit")
    s.self_scan(corner, han, starts + timedelta(minutes=6))  # her phone gave no location
    s.self_scan(corner, han, ends - timedelta(minutes=1))
    s.scan(corner, zhou, feng, starts + timedelta(minutes=30))  # went home without a scan
    s.finish(corner, ends + timedelta(hours=2), actor=zhou)


def _entry(activity, person) -> HourEntry:
    return db.session.scalar(select(HourEntry).where(
        HourEntry.activity_id == activity.id, HourEntry.user_id == person.id,
        HourEntry.kind == "attendance"))
