"""Chinese text on the PDFs (server/core/pdf_text.py): numbers and words stay whole on a
line, and the rarer characters of names (beyond the BMP) are drawn in an embedded font
that has them, not left as holes. Checked on the PDF's fonts and text, as a reader finds
them."""

from __future__ import annotations

import io

from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from server.core import pdf_text

RARE_NAME = "黄𠮷磊䶮𪚥"


def _fonts_and_text(data: bytes) -> tuple[set[str], str]:
    reader = PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts, "\n".join(page.extract_text() for page in reader.pages)


def test_a_number_is_not_broken_across_lines():
    text = "志愿者参与129人次（10人），累计志愿服务12.5小时"
    size = 11.5
    # a width that ends just inside "129" when breaking anywhere
    cut = pdf_text.width("志愿者参与12", pdf_text.CJK, size) + 0.1
    lines = pdf_text.wrap(text, size, cut)
    assert "".join(lines) == text
    assert lines[0] == "志愿者参与" and lines[1].startswith("129")
    assert all("12.5" in line for line in lines if "12." in line)
    # a word wider than a whole line is still broken, not lost
    long = "x" * 200
    assert "".join(pdf_text.wrap(long, 10, 50)) == long


def _drawn(*lines: tuple[float, float, str, str]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    for x, y, value, align in lines:
        pdf_text.draw(canvas, x, y, value, size=12, align=align)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_rare_characters_are_drawn_in_a_font_that_has_them():
    lines = ((50, 700, f"姓名：{RARE_NAME}", "left"), (500, 650, RARE_NAME, "right"))
    data = _drawn(*lines)
    fonts, text = _fonts_and_text(data)
    assert any("HanaMinB" in f for f in fonts), fonts
    assert "STSong-Light" in " ".join(fonts)
    assert RARE_NAME in text.replace("\n", "")
    # the same text draws the same bytes (certificates are identified by their SHA-256)
    assert _drawn(*lines) == data


def test_common_text_embeds_nothing():
    fonts, _text = _fonts_and_text(_drawn((50, 700, "黄磊 13800000001", "left")))
    assert not any("HanaMin" in f for f in fonts)


def test_closing_punctuation_does_not_begin_a_line():
    text = "服务记录明细如下。"
    size = 10.5
    cut = pdf_text.width("服务记录明细如下", pdf_text.CJK, size) + 0.1
    assert pdf_text.wrap(text, size, cut) == ["服务记录明细如", "下。"]
