"""Demo donations from the seed article (../shared/seeds/ and DOMAIN.md's figures):
赵庄子爱心救助基金 and its serious-illness payouts, the village charity festival (target
210,000 yuan), 3,400 books for the village book corners, the 133 picture books BQteam sent
to 白玉县, and down jackets and care products worth 36,000 yuan.

Everything goes through the services (pledge, receive, give out), each step at its own
moment days ago, so states, stock and the public ledger agree as they would in real use.
Some pledges are left open (one overdue) so the coordinators' desk has work.

Idempotent: a second run finds the relief fund and adds nothing. A demo gone stale is
rebuilt whole by seed.py, so no date here is ever moved.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from server.accounts.models import User
from server.communities.models import Node, Organisation
from server.core.clock import SHANGHAI
from server.donations.models import Fund, Pledge
from server.donations.movements import Distribution, Fulfilment
from server.donations.services import distribute, funds, intake, pledges
from server.extensions import db

RELIEF = "赵庄子爱心救助基金"
# the oldest demo fund opened this many days before the seeding
HISTORY = 120
# (name, where, description, contact phone, person in charge): complete, like every demo body
HOSTS = (
    ("北京市大兴区魏善庄镇慈善协会", "魏善庄镇",
     "镇级慈善组织，为本镇各村的救助基金和募捐活动接收捐赠、开具捐赠票据。",
     "010-89206300", "田春生"),
    ("北京市通州区慈善协会", "通州区",
     "区级慈善组织，为街道和社区的募捐活动接收捐赠、开具捐赠票据。", "010-81526300", "郑和平"),
)
# (subject, pledged by the foundation, unit value at intake)
SUBJECTS = (("人文社科", 500, "35.00"), ("农科种植", 800, "28.00"), ("心理健康", 400, "32.00"),
            ("经典文学", 900, "25.00"), ("老年人生活", 500, "30.00"))
CORNER = (120, 180, 90, 200, 110)  # books of each subject for one village book corner


class Story:
    """Writes the history through the services, each step `days` before the seeding."""

    def __init__(self, now: datetime):
        self.now = now
        self.today = now.astimezone(SHANGHAI).date()
        self.receipt_no = 0

    def at(self, days: int, hour: int = 10) -> datetime:
        day = self.today - timedelta(days=days)
        return datetime(day.year, day.month, day.day, hour,
                        tzinfo=SHANGHAI).astimezone(self.now.tzinfo)

    def day(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def fund(self, actor: User, host: Organisation, node: Node, days: int, **data) -> Fund:
        return funds.create_fund({"host_id": host.id, "node_id": node.id, **data},
                                 actor=actor, now=self.at(days, 9))

    def pledge(self, fund: Fund, donor: User | str, days: int, *, staff: User | None = None,
               amount: str | None = None, lines=(), due: int | None = None,
               **data) -> Pledge:
        """By a resident on their phone, or (a name) taken down by staff for someone."""
        data |= {"kind": "money" if amount else "goods",
                 "amount": Decimal(amount) if amount else None,
                 "lines": [{"category": c, "item": i, "unit": u, "quantity": q,
                            "expires_on": e} for c, i, u, q, e in
                           (tuple(x) + (None,) * (5 - len(x)) for x in lines)],
                 "due_on": self.day(due) if due is not None else None}
        if isinstance(donor, User):
            return pledges.create_pledge(fund, data, actor=donor, now=self.at(days, 20))
        data |= {"for_someone_else": True, "donor_name": donor}
        return pledges.create_pledge(fund, data, actor=staff, now=self.at(days, 11))

    def receive(self, pledge: Pledge, actor: User, days: int, *, amount: str | None = None,
                lines=(), waived: bool = False) -> Fulfilment:
        """Money, or per pledge line (accepted, rejected, why, unit value)."""
        self.receipt_no += 1
        data = {"version": pledge.version, "received_on": self.day(days),
                "receipt_no": None if waived else f"慈捐票{self.today.year}-{self.receipt_no:04d}",
                "receipt_waived": waived}
        if amount:
            data["amount"] = Decimal(amount)
        data["lines"] = [{"pledge_line_id": line.id, "accepted": ok, "rejected": no,
                          "reject_reason": why, "unit_value": Decimal(value)}
                         for line, (ok, no, why, value) in zip(pledge.lines, lines, strict=True)]
        return intake.record(pledge, data, actor=actor, now=self.at(days, 15))

    def give(self, fund: Fund, actor: User, days: int, to: str, *, kind="organisation",
             amount: str | None = None, lines=(), **data) -> Distribution:
        data |= {"kind": "money" if amount else "goods", "recipient_kind": kind,
                 "recipient_name": to, "distributed_on": self.day(days),
                 "amount": Decimal(amount) if amount else None,
                 "lines": [{"category": c, "item": i, "unit": u, "quantity": q}
                           for c, i, u, q in lines]}
        return distribute.distribute(fund.id, data, actor=actor, now=self.at(days, 16))


def seed_donations(*, now: datetime) -> None:
    if db.session.scalar(select(Fund.id).where(Fund.title == RELIEF)) is not None:
        return
    db.session.flush()
    people = {u.name: u for u in db.session.scalars(select(User))}
    for person in people.values():  # roles were just added by the base seed
        db.session.expire(person, ["roles"])
    nodes = {n.name: n for n in db.session.scalars(select(Node))}
    hosts = {}
    for name, where, description, phone, leader in HOSTS:
        hosts[where] = db.session.scalar(select(Organisation).where(
            Organisation.name == name)) or Organisation(
            name=name, kind="charity", node=nodes[where], description=description,
            contact_phone=phone, leader_name=leader, created_at=now, active=True)
        db.session.add(hosts[where])
    db.session.flush()
    story = Story(now)
    _relief_and_festival(story, people, nodes, hosts["魏善庄镇"])
    _books_and_winter(story, people, nodes, hosts["魏善庄镇"])
    _baiyu(story, people, nodes, hosts["通州区"])
    db.session.flush()


def _relief_and_festival(s: Story, p: dict, nodes: dict, host: Organisation) -> None:
    zhao = p["赵红梅"]  # the town's coordinator runs the village's funds
    relief = s.fund(zhao, host, nodes["赵庄子村"], HISTORY, kind="fund", title=RELIEF,
                    accepts_goods=False,
                    purpose="为赵庄子村村民提供大病救助，解决村民的急难愁盼问题。基金已开展55次大病救助。",
                    criteria="本村村民本人或家庭成员患重大疾病、自付医疗费用负担较重；村民申请，"
                             "村“两委”初审，救助基金管理委员会集体决定并公示。",
                    how_to_give="现金或转账交村委会一楼社工站，转账请在备注中写认捐编号。"
                                "捐赠票据由魏善庄镇慈善协会开具。")
    gifts = [("王芳", "2000.00", 110, {"display": "full_name"}),
             ("赵国良", "10000.00", 105, {"display": "surname", "title": "mr"}),
             ("刘建军", "20000.00", 100, {"display": "organisation",
                                         "donor_org": "魏善庄镇梨园种植专业合作社"}),
             ("吴婷", "500.00", 95, {}),
             ("胡军", "1000.00", 80, {"display": "surname", "title": "mr"}),
             ("冯梅", "5000.00", 70, {})]
    for name, amount, days, display in gifts:
        gift = s.pledge(relief, p.get(name, name), days + 2, staff=zhao, amount=amount,
                        **display)
        s.receive(gift, zhao, days, amount=amount, waived=not display)
    # a receipt typed wrong and corrected: a reversing entry with a note, never an edit
    gift = s.pledge(relief, p["郑欣"], 62, amount="300.00")
    wrong = s.receive(gift, zhao, 60, amount="3000.00")
    intake.reverse(wrong, actor=zhao, reason="金额录入错误：实收300元，误录为3000元",
                   now=s.at(59, 9))
    s.receive(gift, zhao, 59, amount="300.00")
    for no, name, amount, days in ((53, "赵建平", "8000.00", 90), (54, "刘桂兰", "12000.00", 50),
                                   (55, "孙德明", "6500.00", 20)):
        s.give(relief, zhao, days, name, kind="household", amount=amount, signed_by=name,
               decision_ref=f"救助基金管委会决议第{no}号", purpose="大病救助")
    s.pledge(relief, p["冯梅"], 3, amount="1000.00", due=-14)
    accepted = s.pledge(relief, p["阿依古丽·买买提"], 6, amount="800.00")
    pledges.transition(accepted, "accept", actor=zhao, now=s.at(5))
    # promised for a month ago and still not here: the desk shows it overdue
    late = s.pledge(relief, "张经理", 40, staff=zhao, amount="5000.00", due=10,
                    display="organisation", donor_org="北京京南物流有限公司")
    pledges.transition(late, "accept", actor=zhao, now=s.at(39))

    festival = s.fund(zhao, host, nodes["赵庄子村"], 30, kind="campaign",
                      title="赵庄子村慈善公益节", target_amount=Decimal("210000.00"),
                      accepts_goods=False, closes_on=s.day(-19),
                      purpose="第五届赵庄子村慈善公益节。前四届全村822人次参与，共筹得资金21万余元；"
                              "本届目标21万元，用于大病救助、困难家庭帮扶和敬老活动。",
                      criteria="善款进入赵庄子爱心救助基金，按基金的救助条件使用，逐笔公示。",
                      how_to_give="公益节当天在文化广场现场认捐，或提前到村委会认捐。")
    box = [s.pledge(festival, name, 8, staff=zhao, amount=amount)
           for name, amount in (("赵淑珍", "200.00"), ("赵德福", "500.00"), ("刘桂芳", "100.00"),
                                ("孙立民", "1000.00"), ("王玉兰", "300.00"), ("张金山", "600.00"))]
    intake.record_batch(festival.id, {
        "expected_count": 6, "expected_total": Decimal("2700.00"), "received_on": s.day(5),
        "receipt_waived": True, "note": "公益节预热：村委会募捐箱开箱，两人清点",
        "items": [{"reference": x.reference, "amount": x.amount} for x in box]},
        actor=zhao, now=s.at(5, 16))
    coop = s.pledge(festival, "刘建军", 20, staff=zhao, amount="10000.00", due=-12,
                    display="organisation", donor_org="魏善庄镇梨园种植专业合作社")
    s.receive(coop, zhao, 3, amount="5000.00")
    s.pledge(festival, "李总", 4, staff=zhao, amount="30000.00", due=-12,
             display="organisation", donor_org="北京京南农业发展有限公司")
    s.pledge(festival, p["王芳"], 2, amount="500.00", display="full_name")
    resident = s.pledge(festival, p["李秀英"], 6, amount="200.00", due=-12,
                        display="surname", title="ms")
    pledges.transition(resident, "accept", actor=zhao, now=s.at(5))
    gone = s.pledge(festival, p["周杰"], 15, amount="300.00")
    pledges.transition(gone, "withdraw", actor=p["周杰"], now=s.at(10),
                       reason="外出打工，改为公益节当天现场捐")


def _books_and_winter(s: Story, p: dict, nodes: dict, host: Organisation) -> None:
    zhao = p["赵红梅"]
    books = s.fund(zhao, host, nodes["魏善庄镇"], 110, kind="campaign", title="乡村图书角图书捐赠",
                   accepts_money=False,
                   purpose="为西南研垡、魏庄、东枣林、大狼垡等村的社工站建立乡村图书角，"
                           "满足村民对人文社科、农科种植、心理健康、经典文学、老年人生活等图书的阅读需求。",
                   goods_wanted="人文社科、农科种植、心理健康、经典文学、老年人生活类图书，八成新以上。",
                   how_to_give="送至魏善庄镇社会工作服务中心，或联系各村社工站上门收取。")
    foundation = s.pledge(books, "陈文博", 108, staff=zhao, display="organisation",
                          donor_org="京南乡村阅读公益基金会",
                          lines=[("books", subject, "book", n) for subject, n, _ in SUBJECTS])
    s.receive(foundation, zhao, 100, lines=[
        (n - (20 if subject == "经典文学" else 0), 20 if subject == "经典文学" else 0,
         "受潮破损" if subject == "经典文学" else None, value) for subject, n, value in SUBJECTS])
    school = s.pledge(books, "魏善庄中学团委", 98, staff=zhao, display="organisation",
                      donor_org="魏善庄中学师生",
                      lines=[("books", "经典文学", "book", 200),
                             ("books", "人文社科", "book", 100)])
    s.receive(school, zhao, 95, lines=[(200, 0, None, "25.00"), (100, 0, None, "35.00")])
    for days, village in enumerate(("西南研垡村", "魏庄村", "东枣林村", "大狼垡村"), start=84):
        s.give(books, zhao, days, f"{village}社工站图书角", signed_by=f"{village}社工站",
               purpose="乡村图书角", lines=[("books", subject, "book", n) for (subject, _, _), n
                                       in zip(SUBJECTS, CORNER, strict=True)])
    s.give(books, zhao, 30, "何秀兰", kind="household", signed_by="何秀兰",
           purpose="高龄老人送书上门", lines=[("books", "老年人生活", "book", 5)])
    partial = s.pledge(books, p["郭燕"], 25, lines=[("books", "经典文学", "book", 50)],
                       display="surname", title="ms")
    s.receive(partial, zhao, 20, lines=[(30, 0, None, "20.00")])
    s.pledge(books, p["高洁"], 2, lines=[("books", "老年人生活", "book", 20)], due=-7)

    winter = s.fund(zhao, host, nodes["魏善庄镇"], 75, kind="campaign", title="冬衣暖心行动",
                    accepts_money=False, closes_on=s.day(-60),
                    purpose="重点关注村里的中老年人：为独居、高龄老人送去羽绒服、看护通等护理用品和玉米油等生活物资。",
                    goods_wanted="全新羽绒服（中老年款）、护理用品、粮油。",
                    criteria="各村社工站入户走访后提出名单，镇社工服务中心复核。")
    jackets = s.pledge(winter, "王经理", 70, staff=zhao, display="organisation",
                       donor_org="北京暖冬服饰有限公司",
                       lines=[("clothing", "中老年羽绒服", "piece", 100)])
    s.receive(jackets, zhao, 60, lines=[(100, 0, None, "180.00")])
    care = s.pledge(winter, "赵女士", 68, staff=zhao, display="organisation",
                    donor_org="京南康护用品有限公司",
                    lines=[("personal_care", "看护通护理用品", "set", 120)])
    s.receive(care, zhao, 58, lines=[(120, 0, None, "150.00")])
    for days, name in ((50, "何秀兰"), (50, "陈玉珍"), (49, "徐长山"), (49, "宋桂英")):
        s.give(winter, zhao, days, name, kind="household", signed_by=name,
               purpose="冬衣暖心行动入户发放",
               lines=[("clothing", "中老年羽绒服", "piece", 1),
                      ("personal_care", "看护通护理用品", "set", 2)])
    s.give(winter, zhao, 45, "魏庄村社工站", signed_by="魏庄村社工站", purpose="高龄老人入户走访",
           lines=[("clothing", "中老年羽绒服", "piece", 30),
                  ("personal_care", "看护通护理用品", "set", 40)])
    s.pledge(winter, "魏善庄镇粮油店", 4, staff=zhao, due=-10,
             lines=[("grain_oil", "玉米油", "barrel", 50, s.day(-300))])
    old = s.pledge(winter, p["孙涛"], 40, lines=[("clothing", "旧棉衣", "piece", 30)])
    pledges.transition(old, "reject", actor=zhao, now=s.at(38),
                       reason="本次只接收全新衣物，旧衣请捐到村里的旧衣回收箱")


def _baiyu(s: Story, p: dict, nodes: dict, host: Organisation) -> None:
    wang = p["王建国"]  # the street's coordinator runs the community's drive
    drive = s.fund(wang, host, nodes["运河园社区"], 50, kind="campaign",
                   title="白玉县儿童绘本募集", accepts_money=False,
                   purpose="运河园社区 BQteam-贤妈智囊团发起的藏区捐赠图书活动："
                           "为四川甘孜州白玉县的孩子募集儿童绘本，由社区统一整理、打包寄出。",
                   goods_wanted="适合3至10岁儿童的绘本，九成新以上。",
                   how_to_give="送至运河园社区居委会一楼，报认捐编号。")
    books = []
    for name, n, display, days in (("张丽娜", 30, {"display": "full_name"}, 46),
                                   ("赵丽", 25, {"display": "surname", "title": "ms"}, 45),
                                   ("朱琳", 20, {}, 45), ("罗兰", 15, {}, 44),
                                   ("李秀英", 20, {"display": "surname", "title": "ms"}, 43),
                                   ("曹颖", 25, {}, 42)):
        gift = s.pledge(drive, p[name], days + 3,
                        lines=[("picture_books", "儿童绘本", "book", n)], **display)
        ok, no = (n - 2, 2) if name == "朱琳" else (n, 0)
        s.receive(gift, wang, days, lines=[(ok, no, "缺页" if no else None, "15.00")])
        books.append(ok)
    s.give(drive, wang, 35, "四川甘孜州白玉县结对小学", signed_by="白玉县结对小学 扎西老师",
           purpose="寄往藏区白玉县，供孩子们阅读",
           lines=[("picture_books", "儿童绘本", "book", sum(books))])
    s.pledge(drive, p["李秀英"], 2, lines=[("picture_books", "儿童绘本", "book", 10)], due=-10)
    next_box = s.pledge(drive, p["沈蕾"], 4, lines=[("picture_books", "儿童绘本", "book", 12)])
    pledges.transition(next_box, "accept", actor=wang, now=s.at(3))

