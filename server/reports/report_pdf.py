"""The period report: one A4 page that reads like the seed article's summary ("累计开展服务
5000余次, 动员社会组织500余家, 志愿者6000人次, 链接慈善资源150万元"), with the place's name,
the period and its figures filled in, then the table of figures beside the period before.

In Chinese whatever the interface language: it is the document a place files upward.
Chinese is set as the certificates' (server.core.pdf_text), so the text stays text: it can
be searched, copied and read back.
"""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import force_locale
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from server.core import pdf_text
from server.core.clock import local
from server.reports.figures import HEADLINES
from server.reports.labels import headline_label, period_label

MARGIN = 56


def period_zh(period) -> str:
    """The period's name in Chinese, as the pages name it ("2026年9月", "2026年第3季度")."""
    with force_locale("zh_CN"):
        return period_label(period)


def _amount(value) -> str:
    value = Decimal(value)
    if value >= 10000:
        return f"{(value / 10000).quantize(Decimal('0.1'))}万元"
    return f"{value.quantize(Decimal('0.01'))}元"


def summary(d) -> str:
    """The paragraph, as a report to the level above would put it."""
    f = d.now
    text = (f"{period_zh(d.period)}，{d.node.name}共开展服务{f.activities}次，"
            f"动员社会组织{f.get('organisations')}家（其中社区社会组织"
            f"{f.get('community_orgs')}家），志愿者参与{f.get('person_times')}人次"
            f"（{f.get('volunteers')}人），累计志愿服务{f.hours}小时；"
            f"{f.get('linked3')}次活动实现三社及以上联动；"
            f"链接慈善资源：认捐{_amount(f.yuan('money_pledged'))}，"
            f"到账{_amount(f.yuan('money_received'))}，"
            f"拨付{_amount(f.yuan('money_distributed'))}，"
            f"接收物资{f.get('goods_received')}件（价值{_amount(f.yuan('goods_received_value'))}）。")
    if d.coverage.places:
        text += (f"辖区{d.coverage.places}个村（社区）中，{d.coverage.with_station}个已建社工站"
                 f"（覆盖率{d.coverage.share}%）。")
    return text


def filename(d) -> str:
    return f"{d.node.name}-{d.period.key}-五社联动报告.pdf"


def render(d) -> bytes:
    buffer = io.BytesIO()
    page = Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(f"{d.node.name} {period_zh(d.period)} 五社联动工作情况")
    page.setAuthor("五社通")
    width, height = A4
    y = height - MARGIN

    def text(x, y, value, size, align="left"):
        pdf_text.draw(page, x, y, value, size=size, align=align)
    text(width / 2, y, f"{d.node.name}{period_zh(d.period)}五社联动工作情况", 18, "centre")
    y -= 36
    for line in pdf_text.wrap(summary(d), 11.5, width - 2 * MARGIN):
        text(MARGIN, y, line, 11.5)
        y -= 19
    y -= 14
    columns = (MARGIN, width - MARGIN - 190, width - MARGIN - 80)
    text(columns[0], y, "指标", 11)
    text(columns[1] + 60, y, period_zh(d.period), 11, "right")
    text(columns[2] + 80, y, period_zh(d.period.previous()), 11, "right")
    y -= 6
    page.line(MARGIN, y, width - MARGIN, y)
    y -= 16
    with force_locale("zh_CN"):
        names = {name: headline_label(name) for name in HEADLINES}
    for name in HEADLINES:
        text(columns[0], y, names[name], 11)
        text(columns[1] + 60, y, str(d.now.headline(name)), 11, "right")
        text(columns[2] + 80, y, str(d.before.headline(name)), 11, "right")
        y -= 17
    y -= 10
    refreshed = local(d.refreshed_at).strftime("%Y-%m-%d %H:%M") if d.refreshed_at else "—"
    text(MARGIN, MARGIN, f"数据来源：五社通（统计更新于{refreshed}）。"
                         f"一个地区的数字包含其下所有街道（乡镇）、村（社区）。", 9)
    page.showPage()
    page.save()
    return buffer.getvalue()
