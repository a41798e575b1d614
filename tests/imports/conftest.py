"""A place tree, a coordinator and an activity in the past, and xlsx files made with
openpyxl.

    district
    └── street          ← coordinator
        ├── 运河园社区   activity 法律讲堂 (ended, 2 hours)
        └── 新华社区
    other street
        └── 外区社区     ← outside the coordinator's area
"""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from server.core.clock import local

PEOPLE = ["姓名", "手机号", "社区", "身份证号(可选)", "技能"]
HOURS = ["手机号", "活动", "日期", "时长(小时)"]


def xlsx(people=None, hours=None, people_header=PEOPLE, hours_header=HOURS) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "志愿者"
    ws.append(people_header)
    for row in people or []:
        ws.append(row)
    if hours is not None:
        ws2 = book.create_sheet("服务时长")
        ws2.append(hours_header)
        for row in hours:
            ws2.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def world(make_node, make_org, make_user, make_activity, grant, now):
    district = make_node("大兴区", kind="district")
    street = make_node("魏善庄镇", kind="street", parent=district)
    home = make_node("运河园社区", kind="community", parent=street)
    other_home = make_node("新华社区", kind="community", parent=street)
    elsewhere = make_node("外区社区", kind="community",
                          parent=make_node("外街道", kind="street", parent=district))
    coordinator = make_user(name="王协调", phone="13700000001")
    grant(coordinator, "coordinator", street)
    outsider = make_user(name="赵外人", phone="13700000002")
    grant(outsider, "coordinator", elsewhere)
    org = make_org(node=home)
    lecture = make_activity(org=org, node=home, title="法律讲堂", status="finished",
                            starts_in=timedelta(days=-10), hours=2)
    day = local(lecture.starts_at).date().isoformat()
    return SimpleNamespace(district=district, street=street, home=home,
                           other_home=other_home, elsewhere=elsewhere,
                           coordinator=coordinator, outsider=outsider, org=org,
                           lecture=lecture, day=day)
