"""The demo's places, organisations and people, from the seed article (../shared/seeds/):
大兴区魏善庄镇 and its village stations, 通州区通运街道 and 运河园社区 with its
BQteam-贤妈智囊团, the lawyers' 公益讲堂 team; the staff of the README's logins and
thirty-six volunteers.

Every organisation has a contact phone and a person in charge (负责人): certificates print
both, and one without them cannot certify. Numbers and names are made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from server.accounts import family, identity
from server.accounts.models import Consent, RoleAssignment, User
from server.accounts.passwords import hash_password
from server.communities.models import Node, Organisation
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
ADMIN_PHONE = "13800000009"
VOLUNTEERS = ("王芳 刘洋 陈静 杨敏 黄磊 赵丽 吴婷 周杰 徐娜 孙涛 马超 朱琳 胡军 郭燕 何平 "
              "高洁 林峰 罗兰 郑欣 梁勇 宋佳 谢明 韩雪 唐亮 冯梅 于洋 董丹 萧红 程刚 曹颖 "
              "阿依古丽·买买提 袁媛 邓超 许晴 傅强 沈蕾").split()
# who lives in 运河园社区 (通州区); the others live in 魏善庄镇's villages (大兴区), forty
# kilometres away, and volunteer there
YUNHEYUAN = set("王芳 刘洋 陈静 杨敏 黄磊 赵丽 吴婷 徐娜 朱琳 郭燕 何平 高洁 罗兰 唐亮 曹颖 "
                "沈蕾".split())
VILLAGES = ("赵庄子村", "西南研垡村", "魏庄村", "东枣林村", "大狼垡村")
# 身份证 numbers for the people who ask for certificates: area (通州区 110112), birth date,
# sequence (even: female); the check character is computed, so the number is valid
ID_PREFIXES = {"李秀英": "11011219580602024", "王芳": "11011219670202028"}

# (name, kind, where, description, contact phone, person in charge)
ORGANISATIONS = (
    ("运河园社区 BQteam-贤妈智囊团", "volunteer_team", "运河园社区",
     "由社区全职妈妈组成的志愿队伍，全职妈妈成长计划的核心力量。", "010-81526001", "刘晓燕"),
    ("运河园社区居委会", "community", "运河园社区", "", "010-81526000", "孙玉梅"),
    ("通运街道社会工作指导中心", "social_work", "通运街道",
     "街道社会工作指导中心与社区社工站两级专业社会工作体系。", "010-81526100", "马卫东"),
    ("魏善庄镇社会工作服务中心", "social_work", "魏善庄镇",
     "镇村两级“1+N”社会工作服务体系，统筹13个村级社工站。", "010-89206100", "吕慧敏"),
    ("赵庄子村村民委员会", "community", "赵庄子村", "", "010-89206201", "赵德胜"),
    ("赵庄子爱心救助基金", "charity", "赵庄子村", "为村民提供大病救助，已开展55次救助。",
     "010-89206202", "赵德胜"),
    ("法律问题进社区公益讲堂志愿团", "social_org", "通运街道",
     "律师与法律专业人才组成的公益讲堂团队。", "13911526100", "韩志远"),
)


@dataclass
class World:
    nodes: dict[str, Node] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)

    def __getitem__(self, name: str) -> User:
        return self.people[name]

    def crew(self, names: str) -> list[User]:
        return [self.people[n] for n in names.split()]


def build_world(*, now: datetime) -> World:
    w = World()
    _places(w, now)
    for name, kind, where, description, phone, leader in ORGANISATIONS:
        w.orgs[name] = Organisation(name=name, kind=kind, node=w.nodes[where],
                                    description=description, contact_phone=phone,
                                    leader_name=leader, created_at=now, active=True)
        db.session.add(w.orgs[name])
    db.session.flush()
    _people(w, now)
    _roles(w, now)
    return w


def _places(w: World, now: datetime) -> None:
    def node(name, kind, parent=None, platform=None, since=None):
        n = Node(name=name, kind=kind, parent=parent, platform_name=platform,
                 platform_since=since, created_at=now)
        db.session.add(n)
        db.session.flush()
        n.path = f"{parent.path if parent else '/'}{n.id}/"
        w.nodes[name] = n
        return n

    daxing = node("大兴区", "district", platform="大兴区社会工作指导中心")
    town = node("魏善庄镇", "town", daxing, "魏善庄镇社会工作服务中心", "2021-10")
    for village in VILLAGES:
        node(village, "village", town, f"{village}社工站")
    tongzhou = node("通州区", "district", platform="通州区社会工作指导中心")
    street = node("通运街道", "street", tongzhou, "通运街道社会工作指导中心", "2018-12")
    node("运河园社区", "community", street, "运河园社区社工站")


def _people(w: World, now: datetime) -> None:
    pw = hash_password(DEMO_PASSWORD)

    def person(phone, name, home, birth=date(1988, 3, 15), skills=(), gender="female"):
        u = User(phone=phone, password_hash=pw, name=name, gender=gender, birth_date=birth,
                 home_node_id=home.id, skills=list(skills), created_at=now, active=True,
                 care_mode=False)
        db.session.add(u)
        db.session.flush()
        db.session.add(Consent(user_id=u.id, kind="privacy", notice_version="2026-11",
                               accepted_at=now))
        w.people[name] = u
        return u

    n = w.nodes
    person("13800000001", "李秀英", n["运河园社区"], date(1958, 6, 2), ["elderly_care"])
    person("13800000002", "张丽娜", n["运河园社区"], date(1989, 9, 9), ["education"])
    person("13800000003", "周伟静", n["魏善庄镇"], date(1985, 4, 20), ["psychology"])
    person("13800000004", "王建国", n["通运街道"], date(1976, 1, 5), gender="male")
    person("13800000005", "赵红梅", n["魏善庄镇"], date(1980, 8, 18))
    person(ADMIN_PHONE, "陈志强", n["通运街道"], date(1979, 11, 30), gender="male")

    villages = [n[v] for v in VILLAGES]
    skill_sets = [(), ("education",), ("legal",), ("medical",), ("photography",),
                  ("elderly_care",), ("psychology",), ("first_aid",)]
    for i, name in enumerate(VOLUNTEERS, start=1):
        home = n["运河园社区"] if name in YUNHEYUAN else villages[i % len(villages)]
        person(f"139{i:08d}", name, home, date(1960 + (i * 7) % 45, 1 + i % 12, 1 + i % 27),
               skill_sets[i % len(skill_sets)], "female" if i % 3 else "male")
    db.session.flush()
    for name, first17 in ID_PREFIXES.items():
        identity.set_identity(w.people[name], id_type="resident_id",
                              id_number=first17 + identity.check_character(first17), now=now)
    # 李秀英's grandson has no phone: she signs him up and shows his code (家庭成员)
    family.add_member(w["李秀英"], name="李乐乐", relation="other",
                      birth_date=date(now.year - 9, 5, 1), now=now, consent=True,
                      gender="male")


def _roles(w: World, now: datetime) -> None:
    n, o = w.nodes, w.orgs

    def role(name, what, where, organisation=None):
        db.session.add(RoleAssignment(user_id=w[name].id, role=what, node_id=n[where].id,
                                      organisation_id=o[organisation].id if organisation
                                      else None, granted_at=now))

    role("张丽娜", "organiser", "运河园社区", "运河园社区 BQteam-贤妈智囊团")
    role("张丽娜", "organiser", "通运街道", "通运街道社会工作指导中心")
    role("周伟静", "organiser", "魏善庄镇", "魏善庄镇社会工作服务中心")
    role("王建国", "organiser", "通运街道", "法律问题进社区公益讲堂志愿团")
    role("王建国", "coordinator", "通运街道")
    role("赵红梅", "coordinator", "魏善庄镇")
    role("陈志强", "admin", "大兴区")
    role("陈志强", "admin", "通州区")
    db.session.flush()
    for person in w.people.values():  # the services read roles through the relationship
        db.session.expire(person, ["roles"])
