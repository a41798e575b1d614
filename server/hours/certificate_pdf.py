"""The certificate as an A4 PDF (reportlab), pre-filled for the body's 负责人, 经办人 and seal.

Deterministic on purpose: the same frozen fields give the same bytes, so the SHA-256 kept
at issue identifies the genuine file, and the download is simply rendered again. Hence:
reportlab's invariant mode, the creation date set to the issue time, and fixed Chinese text
rather than translated strings (an official document, and a catalogue update must not change
the bytes of every certificate already issued), and Certificate.layout: a certificate is
drawn in the layout it was issued in. Chinese uses the STSong-Light CID font, which PDF
readers supply, so the text can be extracted and searched; from layout 2 the rarer
characters of names (beyond the BMP) are embedded from a font that has them
(server.core.pdf_text).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from hashlib import md5

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from server.accounts.identity import ID_TYPE_NAMES_ZH
from server.core import pdf_text
from server.core.clock import local
from server.hours.certificates import duration_text as _duration
from server.hours.certificates import hours_text as _hours
from server.hours.models import Certificate

CJK = pdf_text.CJK  # registered there
LATIN = "Helvetica"
WIDTH, HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 56, WIDTH - 56, HEIGHT - 56, 64
BODY = 10.5
ROW_PAD = 5
CLOSING_HEIGHT = 250  # statement, signatures, seal and QR: kept together on the last page
COLUMNS = (("序号", 32), ("服务日期", 78), ("活动名称", None), ("服务时长", 92))
# Certificate.layout of the certificates issued now. 1: each field in the boxes at the top
# on one line, cut at its width; text wrapped anywhere; 2: a long name or body wraps and
# its row grows, lines break around numbers and words, and characters beyond the BMP
# (生僻字) are drawn in a font that has them (server.core.pdf_text)
LAYOUT = 2
LINE = 14



def _wrap_v1(text: str, size: float, width: float, font: str = CJK) -> list[str]:
    """Layout 1's wrapping: anywhere, by measured width (kept for the certificates issued
    under it; pdf_text.wrap keeps numbers and words whole)."""
    lines, current, used = [], "", 0.0
    for ch in text:
        w = pdfmetrics.stringWidth(ch, font, size)
        if current and used + w > width:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    return [*lines, current] if current or not lines else lines


def _chinese_date(value) -> str:
    day = local(value).date()
    return f"{day.year}年{day.month}月{day.day}日"


class _Writer:
    """Draws the certificate, turning pages as the activity table grows."""

    def __init__(self, canvas: Canvas, cert: Certificate, verify_url: str, pages: int | None):
        self.c, self.cert, self.url, self.pages = canvas, cert, verify_url, pages
        self.page, self.y = 1, TOP
        self.modern = (cert.layout or 1) >= 2
        widths = [w for _label, w in COLUMNS if w]
        self.widths = [w or (RIGHT - LEFT - sum(widths)) for _label, w in COLUMNS]

    # primitives
    def text(self, x: float, y: float, value: str, size: float = BODY, font: str = CJK,
             align: str = "left") -> None:
        if self.modern:  # rare characters in a font that has them (pdf_text)
            pdf_text.draw(self.c, x, y, value, font=font, size=size, align=align)
            return
        self.c.setFont(font, size)
        draw: Callable = {"left": self.c.drawString, "right": self.c.drawRightString,
                          "centre": self.c.drawCentredString}[align]
        draw(x, y, value)

    def wrap(self, value: str, size: float, width: float, font: str = CJK) -> list[str]:
        if self.modern:
            return pdf_text.wrap(value, size, width, font)
        return _wrap_v1(value, size, width, font)

    def paragraph(self, value: str, size: float = BODY, leading: float = 17) -> None:
        for line in self.wrap(value, size, RIGHT - LEFT):
            self.text(LEFT, self.y, line, size)
            self.y -= leading

    def footer(self) -> None:
        total = f" / 共 {self.pages} 页" if self.pages else ""
        self.text(WIDTH / 2, 34, f"证明编号 {self.cert.number}　第 {self.page} 页{total}", 8,
                  align="centre")

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = TOP
        self.text(WIDTH / 2, self.y - 4, "志愿服务记录证明（续）", 14, align="centre")
        self.y -= 34

    # parts
    def heading(self) -> None:
        cert = self.cert
        self.text(WIDTH / 2, self.y - 18, "志愿服务记录证明", 22, align="centre")
        self.y -= 46
        self.text(RIGHT, self.y, f"证明编号：{cert.number}", 9.5, align="right")
        self.y -= 26
        self.paragraph(f"兹证明 {cert.volunteer_name} 参加由{cert.issuer_name}组织开展的志愿服务"
                       f"活动，经记录累计志愿服务时长 {_hours(cert.total_minutes)} 小时"
                       f"（不含往返路途时间），服务记录明细如下。")
        self.y -= 6

    def fields(self) -> None:
        cert = self.cert
        # the number is printed masked, as on screen: the certificate travels (schools,
        # employers), and the masked digits plus the name and the QR identify the holder
        rows = (("志愿者姓名", cert.volunteer_name), ("志愿者编号", cert.volunteer_number),
                ("证件类型", ID_TYPE_NAMES_ZH.get(cert.id_type, cert.id_type or "")),
                ("证件号码", cert.id_number_masked),
                ("累计服务时长", f"{_hours(cert.total_minutes)} 小时"),
                ("出具单位", cert.issuer_name))
        half, label_w = (RIGHT - LEFT) / 2, 78
        self.c.setLineWidth(0.6)
        for i in range(0, len(rows), 2):
            top = self.y
            pair = [(label, self.wrap(value or "", BODY, half - label_w - 12))
                    for label, value in rows[i:i + 2]]
            if (self.cert.layout or 1) < 2:  # as issued then: the first line only
                pair = [(label, lines[:1]) for label, lines in pair]
            row_h = 22 + LINE * (max(len(lines) for _label, lines in pair) - 1)
            for j, (label, lines) in enumerate(pair):
                x = LEFT + j * half
                self.c.rect(x, top - row_h, half, row_h)
                self.c.line(x + label_w, top, x + label_w, top - row_h)
                self.text(x + 6, top - 15, label)
                for k, line in enumerate(lines):
                    self.text(x + label_w + 6, top - 15 - LINE * k, line)
            self.y -= row_h
        self.y -= 20

    def table_head(self) -> None:
        x, top, h = LEFT, self.y, 22
        self.c.setFillGray(0.93)
        self.c.rect(LEFT, top - h, RIGHT - LEFT, h, stroke=1, fill=1)
        self.c.setFillGray(0)
        for (label, _w), width in zip(COLUMNS, self.widths, strict=True):
            self.text(x + width / 2, top - 15, label, BODY, align="centre")
            x += width
        self.y -= h

    def row(self, cells: list[str], bold_gray: bool = False) -> None:
        title_lines = self.wrap(cells[2], BODY, self.widths[2] - 10)
        h = max(1, len(title_lines)) * 14 + 2 * ROW_PAD + 2
        if self.y - h < BOTTOM:
            self.new_page()
            self.table_head()
        top, x = self.y, LEFT
        if bold_gray:
            self.c.setFillGray(0.96)
            self.c.rect(LEFT, top - h, RIGHT - LEFT, h, stroke=0, fill=1)
            self.c.setFillGray(0)
        for i, width in enumerate(self.widths):
            self.c.rect(x, top - h, width, h)
            if i == 2:
                for k, line in enumerate(title_lines):
                    self.text(x + 5, top - ROW_PAD - 11 - 14 * k, line)
            else:
                self.text(x + width / 2, top - ROW_PAD - 11, cells[i], align="centre")
            x += width
        self.y -= h

    def table(self) -> None:
        self.text(LEFT, self.y, "志愿服务记录明细", 12)
        self.y -= 10
        self.table_head()
        for n, line in enumerate(self.cert.lines, start=1):
            self.row([str(n), line["date"], line["title"], _duration(line["minutes"])])
        self.row(["", "", "合计", _duration(self.cert.total_minutes)], bold_gray=True)
        self.y -= 22

    def closing(self) -> None:
        cert = self.cert
        if self.y - CLOSING_HEIGHT < BOTTOM:
            self.new_page()
        self.paragraph("本证明由志愿服务活动的组织单位依据《志愿服务条例》和《志愿服务记录与证明"
                       "出具办法（试行）》如实出具，免费开具，不收取任何费用。平台仅提供记录与核验"
                       "服务。扫描右下方二维码可核验本证明的真伪。", 9.5, 15)
        self.y -= 10
        top = self.y
        for label, value in (("出具单位", f"{cert.issuer_name}（盖章）"),
                             ("负责人", f"{cert.leader_name}　　签字：____________"),
                             ("经办人", cert.handler_name), ("联系电话", cert.contact),
                             ("出具日期", _chinese_date(cert.issued_at))):
            self.text(LEFT, self.y, f"{label}：{value}")
            self.y -= 24
        self.seal(RIGHT - 170, top - 58)
        self.qr(RIGHT - 84, top - 190)
        self.text(LEFT, top - 150, "核验地址：", 8)
        for k, piece in enumerate(self.wrap(self.url, 6.5, RIGHT - LEFT - 150, LATIN)):
            self.text(LEFT, top - 162 - 9 * k, piece, 6.5, LATIN)

    def seal(self, cx: float, cy: float) -> None:
        """An empty place for the body's seal, drawn light so the real seal covers it."""
        self.c.saveState()
        self.c.setStrokeGray(0.6)
        self.c.setDash(3, 3)
        self.c.circle(cx, cy, 46)
        self.c.setFillGray(0.55)
        self.text(cx, cy - 4, "（单位盖章）", 9, align="centre")
        self.c.restoreState()

    def qr(self, x: float, y: float, size: float = 84) -> None:
        widget = QrCodeWidget(self.url, barLevel="M")
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0),
                                                 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, self.c, x, y)
        self.text(x + size / 2, y - 10, "扫码核验", 8, align="centre")

    def draw(self) -> int:
        self.heading()
        self.fields()
        self.table()
        self.closing()
        self.footer()
        self.c.showPage()
        return self.page


def _canvas(buffer: io.BytesIO, cert: Certificate) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    stamp = local(cert.issued_at).strftime("D:%Y%m%d%H%M%S+08'00'")
    canvas.setDateFormatter(lambda *_parts: stamp)
    # invariant mode seeds the file ID from SOURCE_DATE_EPOCH when that is set: seed it from
    # the certificate instead, so the environment cannot change the bytes
    canvas._doc.signature = md5(f"wushe certificate {cert.number}".encode(),
                                usedforsecurity=False)
    canvas.setTitle("志愿服务记录证明")
    canvas.setSubject(cert.number or "")
    canvas.setAuthor(cert.issuer_name or "")
    canvas.setCreator("五社通")
    canvas.setKeywords("")
    return canvas


def render(cert: Certificate, *, verify_url: str) -> bytes:
    """The PDF's bytes. Drawn twice: the first pass only counts the pages for 共 N 页."""
    pages = _Writer(_canvas(io.BytesIO(), cert), cert, verify_url, None).draw()
    buffer = io.BytesIO()
    writer = _Writer(_canvas(buffer, cert), cert, verify_url, pages)
    writer.draw()
    writer.c.save()
    return buffer.getvalue()
