"""The paper sign-in sheet as an A4 PDF (reportlab, as the certificates).

Fixed Chinese text, like the certificate: the sheet is handed to residents in Beijing and
printed as it is, whatever the organiser's browser language. Chinese is set as the
certificate's (server.core.pdf_text: the CID font PDF readers supply, and a font with the
rarer characters of names), so the names can be extracted and searched. Phones are
masked: the sheet lies on a table at the door.
Each row's QR is a PNG of the row's signed code (codes.sheet_payload), not the person's
own code: it is worth nothing anywhere but on this activity's sheet.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from server.accounts.privacy import mask_phone
from server.activities.models import Activity
from server.checkin import qr
from server.checkin.paper import SheetRow
from server.core import pdf_text
from server.core.clock import local

WIDTH, HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 40, WIDTH - 40, HEIGHT - 40, 50
ROW_H, QR_SIZE = 48, 42
WALK_IN_ROWS = 3
# (heading, width); None takes what is left
COLUMNS = (("序号", 30), ("姓名", None), ("手机号", 82), ("签到", 42), ("签退", 42),
           ("时间（签到—签退）", 110), ("二维码", 52))



def _name_lines(name: str, width: float) -> tuple[float, list[str]]:
    """A name in its cell: two lines at 11 pt, or three smaller ones for a long name (up
    to 40 characters fit); past that, the third ends in "…", never a silent cut."""
    lines = pdf_text.wrap(name, 11, width)
    if len(lines) <= 2:
        return 11, lines
    lines = pdf_text.wrap(name, 9, width)
    if len(lines) > 3:
        last = lines[2]
        while last and pdf_text.width(last + "…", pdf_text.CJK, 9) > width:
            last = last[:-1]
        lines = [*lines[:2], last + "…"]
    return 9, lines


def _when(activity: Activity) -> str:
    start, end = local(activity.starts_at), local(activity.ends_at)
    same_day = start.date() == end.date()
    tail = end.strftime("%H:%M") if same_day else f"{end.month}月{end.day}日 {end:%H:%M}"
    return f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}—{tail}"


class _Sheet:
    def __init__(self, canvas: Canvas, activity: Activity, rows: list[SheetRow],
                 pages: int | None):
        self.c, self.activity, self.rows, self.pages = canvas, activity, rows, pages
        self.page, self.y = 1, TOP
        fixed = sum(w for _h, w in COLUMNS if w)
        self.widths = [w or (RIGHT - LEFT - fixed) for _h, w in COLUMNS]

    def text(self, x, y, value, size=10.0, align="left"):
        pdf_text.draw(self.c, x, y, value, size=size, align=align)

    def header(self):
        a = self.activity
        self.text(WIDTH / 2, self.y - 16, "志愿服务活动纸质签到表", 18, align="centre")
        self.y -= 40
        organiser = a.organisation.name + (f"（联系人：{a.contact_name}）" if a.contact_name
                                           else "")
        for label, value in (("活动名称", a.title), ("活动时间", _when(a)),
                             ("活动地点", a.place), ("组织单位", organiser)):
            line = pdf_text.wrap(f"{label}：{value}", 10.5, RIGHT - LEFT)[0]
            self.text(LEFT, self.y, line, 10.5)
            self.y -= 16
        self.text(LEFT, self.y, "请在“签到”“签退”栏打勾，并写下时间；未写时间的以扫码时间为准，"
                  "未扫码的按活动开始、结束时间录入。录入后由审核人审核时长。", 8.5)
        self.y -= 14

    def table_head(self):
        x, h = LEFT, 20
        self.c.setFillGray(0.92)
        self.c.rect(LEFT, self.y - h, RIGHT - LEFT, h, stroke=1, fill=1)
        self.c.setFillGray(0)
        for (label, _w), width in zip(COLUMNS, self.widths, strict=True):
            self.text(x + width / 2, self.y - 14, label, 9.5, align="centre")
            x += width
        self.y -= h

    def footer(self):
        total = f" / 共 {self.pages} 页" if self.pages else ""
        self.text(LEFT, 28, f"{self.activity.title[:30]}　签到表", 8)
        self.text(RIGHT, 28, f"第 {self.page} 页{total}", 8, align="right")

    def new_page(self):
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = TOP
        self.text(LEFT, self.y - 10, f"{self.activity.title}　签到表（续）", 11)
        self.y -= 24
        self.table_head()

    def box(self, cx, cy, size=11):
        self.c.rect(cx - size / 2, cy - size / 2, size, size)

    def row(self, number: str, name: str, phone: str, token: str | None):
        if self.y - ROW_H < BOTTOM:
            self.new_page()
        top, x, mid = self.y, LEFT, self.y - ROW_H / 2
        for i, width in enumerate(self.widths):
            self.c.rect(x, top - ROW_H, width, ROW_H)
            if i == 0:
                self.text(x + width / 2, mid - 4, number, 10, align="centre")
            elif i == 1:
                size, lines = _name_lines(name, width - 8)
                leading = size + 3
                for k, line in enumerate(lines):
                    self.text(x + 4, mid - 4 + (len(lines) - 1) * leading / 2 - leading * k,
                              line, size)
            elif i == 2:
                self.text(x + width / 2, mid - 4, phone, 9.5, align="centre")
            elif i in (3, 4):
                self.box(x + width / 2, mid)
            elif i == 5:
                self.text(x + width / 2, mid - 4, "____:____—____:____", 8.5, align="centre")
            elif i == 6 and token:
                image = ImageReader(io.BytesIO(qr.png(token, box=4)))
                self.c.drawImage(image, x + (width - QR_SIZE) / 2, top - ROW_H + 3,
                                 QR_SIZE, QR_SIZE)
            x += width
        self.y -= ROW_H

    def draw(self) -> int:
        self.header()
        self.table_head()
        for r in self.rows:
            self.row(str(r.number), r.user.name, mask_phone(r.user.phone), r.token)
        for k in range(WALK_IN_ROWS):
            self.row(f"+{k + 1}", "", "", None)
        if self.y - 20 < BOTTOM:
            self.new_page()
        self.text(LEFT, self.y - 14, "空白行供现场加入的人员手写姓名和手机号，其时长请按手机号"
                  "补录。录入人：__________　录入时间：__________", 8.5)
        self.footer()
        self.c.showPage()
        return self.page


def _canvas(buffer: io.BytesIO, activity: Activity) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{activity.title} 签到表")
    canvas.setCreator("五社通")
    return canvas


def render(activity: Activity, rows: list[SheetRow]) -> bytes:
    """The PDF's bytes; drawn twice, the first pass counting the pages for 共 N 页."""
    pages = _Sheet(_canvas(io.BytesIO(), activity), activity, rows, None).draw()
    buffer = io.BytesIO()
    sheet = _Sheet(_canvas(buffer, activity), activity, rows, pages)
    sheet.draw()
    sheet.c.save()
    return buffer.getvalue()
