"""Chinese text on the PDFs (certificates, paper sign-in sheets, period reports): measured,
wrapped and drawn in one way.

The text is set in STSong-Light, the CID font every PDF reader supplies, so nothing is
embedded and it can be searched. That font is addressed in UCS-2 and has no character
beyond the Basic Multilingual Plane: names with rarer characters (生僻字 such as 𠮷 or
𪚥, in CJK Extension B and later) printed with a hole. Those characters are drawn in a
font that has them, embedded (a subset of only the characters used): Hanazono Mincho B
(Debian's fonts-hanazono, which `make system-deps` installs). Where it is not installed
they fall back to STSong-Light, and a warning says so once; `unprintable` names what no
font here draws (and certificates, which are issued once, refuse it).

Lines break between characters (Chinese has no spaces) but never inside a number or a
Latin word ("12 / 9人次" stays "129人次"), unless the word alone is wider than the line, and
never before closing punctuation (a lone "。" at the start of a line).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont

log = logging.getLogger(__name__)

CJK = "STSong-Light"
RARE = "WusheRareHan"
RARE_FONT_FILES = (Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),)
# what stays together on a line: a number (with its separators) or a Latin word, or one
# character; with the closing punctuation after it, which never begins a line (避头尾)
TOKEN = re.compile(r"(?:[0-9A-Za-z][0-9A-Za-z.,:/%+\-]*[0-9A-Za-z%]|.)"
                   r"[。，、；：？！）》」』】”’,.;:?!)]*", re.S)

pdfmetrics.registerFont(UnicodeCIDFont(CJK))
_rare: list[str | None] = []  # the rare font's name once looked for (None: not installed)


class _RareFont(TTFont):
    """reportlab's TrueType font, whose ToUnicode map writes a character beyond the BMP as
    five hex digits (<20BB7>), which no reader takes: a PDF's map wants UTF-16, a surrogate
    pair (<D842DFB7>). Rewritten here, so that 𠮷 is found, copied and read aloud."""

    def addObjects(self, doc):
        state = self.state.get(doc)
        subsets = [list(subset) for subset in state.subsets] if state else []
        super().addObjects(doc)
        for n, subset in enumerate(subsets):
            base = (b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX))
                    .decode("pdfdoc"))
            stream = doc.idToObject.get("toUnicodeCMap:" + base)
            if stream is not None:
                head, _, rest = stream.content.partition("beginbfchar\n")
                _, _, tail = rest.partition("\nendbfchar")
                pairs = (f"<{i:02X}> <{chr(code).encode('utf-16-be').hex().upper()}>"
                         for i, code in enumerate(subset))
                stream.content = f"{head}beginbfchar\n" + "\n".join(pairs) + f"\nendbfchar{tail}"


def rare_font() -> str | None:
    """The font for characters beyond the BMP, registered on first use (a few ms)."""
    if not _rare:
        found = next((path for path in RARE_FONT_FILES if path.is_file()), None)
        if found is None:
            log.warning("no font for characters beyond the BMP (install fonts-hanazono): "
                        "they print as blanks on PDFs")
            _rare.append(None)
        else:
            pdfmetrics.registerFont(_RareFont(RARE, str(found)))
            _rare.append(RARE)
    return _rare[0]


def _beyond_bmp(ch: str) -> bool:
    return ord(ch) > 0xFFFF


def unprintable(text: str) -> list[str]:
    """The characters beyond the BMP that no font here draws (the rare font is missing, or
    lacks them: CJK Extension G and later), each once: what would print as a box."""
    beyond = [ch for ch in text if _beyond_bmp(ch)]
    if not beyond:  # the common case: the rare font is not even loaded
        return []
    rare = rare_font()
    drawn = pdfmetrics.getFont(rare).face.charToGlyph if rare else {}
    return list(dict.fromkeys(ch for ch in beyond if ord(ch) not in drawn))


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """(piece, font) in order: characters beyond the BMP in the rare font, if there is one."""
    if not any(_beyond_bmp(ch) for ch in text):
        return [(text, font)] if text else []
    rare = rare_font()
    out: list[tuple[str, str]] = []
    for ch in text:
        use = rare if rare and _beyond_bmp(ch) else font
        if out and out[-1][1] == use:
            out[-1] = (out[-1][0] + ch, use)
        else:
            out.append((ch, use))
    return out


def width(text: str, font: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(piece, f, size) for piece, f in runs(text, font))


def draw(canvas, x: float, y: float, text: str, *, font: str = CJK, size: float = 10.0,
         align: str = "left") -> None:
    """drawString, drawRightString or drawCentredString, with the rare characters' runs
    in their own font."""
    pieces = runs(text, font)
    if len(pieces) <= 1:
        canvas.setFont(font if not pieces else pieces[0][1], size)
        {"left": canvas.drawString, "right": canvas.drawRightString,
         "centre": canvas.drawCentredString}[align](x, y, text)
        return
    total = sum(pdfmetrics.stringWidth(piece, f, size) for piece, f in pieces)
    x -= {"left": 0.0, "right": total, "centre": total / 2}[align]
    for piece, f in pieces:
        canvas.setFont(f, size)
        canvas.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, f, size)


def wrap(text: str, size: float, line_width: float, font: str = CJK) -> list[str]:
    """Lines no wider than line_width, by measured width."""
    lines, current, used = [], "", 0.0
    for token in TOKEN.findall(text):
        w = width(token, font, size)
        if current and used + w > line_width:
            lines.append(current)
            current, used = "", 0.0
        if w > line_width:  # a word wider than a whole line: broken where it must be
            for ch in token:
                cw = width(ch, font, size)
                if current and used + cw > line_width:
                    lines.append(current)
                    current, used = "", 0.0
                current += ch
                used += cw
            continue
        current += token
        used += w
    return [*lines, current] if current or not lines else lines
