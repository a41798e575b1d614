"""Worksheet XML written by hand, the way XlsxWriter writes it.

XlsxWriter spends about 5 µs a cell in Python; the export's 100,000-row detail sheet
is rendered here as XML text instead and spliced into the workbook XlsxWriter made.
tests/hours/test_export.py compares both byte for byte, pinning XlsxWriter's layout.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timedelta
from typing import IO
from xml.etree import ElementTree

from server.core.clock import SHANGHAI, as_utc

EXCEL_EPOCH = datetime(1899, 12, 30)
_DAY = timedelta(days=1)
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

_CONTROL_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")


def inline(text: str) -> str:
    """A string as an inline-string cell's content, escaped as XlsxWriter does it:
    XML entities, control characters as _xHHHH_, whitespace kept, at most 32,767
    UTF-16 units."""
    if len(text) > 16383 and len(text.encode("utf-16-le")) > 65534:
        text = text.encode("utf-16-le")[:65534].decode("utf-16-le", "ignore")
    text = _CONTROL_ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<is><t{space}>{text}</t></is>"


def number(value: float) -> str:
    return f"{value:.16G}"


def serial(value: datetime) -> float:
    """An aware datetime as an Excel serial number in Beijing time."""
    return (as_utc(value).astimezone(SHANGHAI).replace(tzinfo=None) - EXCEL_EPOCH) / _DAY


_BUILTIN_FORMATS = {"2": "0.00", "14": "mm-dd-yy", "22": "m/d/yy h:mm"}


def style_tokens(styles_xml: bytes, tokens: dict[str, bytes]) -> list[tuple[bytes, bytes]]:
    """(token, the style index XlsxWriter gave its number format), from styles.xml."""
    root = ElementTree.fromstring(styles_xml)
    codes = dict(_BUILTIN_FORMATS)
    for fmt in root.iter(f"{_MAIN_NS}numFmt"):
        codes[fmt.get("numFmtId")] = fmt.get("formatCode")
    index: dict[str | None, int] = {}
    for i, xf in enumerate(root.find(f"{_MAIN_NS}cellXfs")):
        index.setdefault(codes.get(xf.get("numFmtId", "0")), i)
    return [(token, str(index[code]).encode()) for code, token in tokens.items()]


def splice(output: IO[bytes] | str, shell_fh: IO[bytes], rows_fh: IO[bytes], *, part: str,
           dimension: str, tokens: dict[str, bytes], compresslevel: int) -> None:
    """Copy the workbook in `shell_fh` to `output`, with the rows in `rows_fh` written
    into worksheet `part` (its style tokens replaced by the real style indexes)."""
    size = rows_fh.tell()
    shell_fh.seek(0)
    with zipfile.ZipFile(shell_fh) as shell, zipfile.ZipFile(
            output, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as out:
        indexes = style_tokens(shell.read("xl/styles.xml"), tokens)
        for info in shell.infolist():
            data = shell.read(info)
            if info.filename != part:
                out.writestr(info.filename, data)
                continue
            head, tail = data.decode().split("</sheetData>", 1)
            head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>',
                          head, count=1)
            with out.open(part, "w", force_zip64=size > 2**31 - 2**24) as sheet:
                sheet.write(head.encode())
                rows_fh.seek(0)
                while block := rows_fh.read(1 << 20):
                    for token, index in indexes:
                        block = block.replace(token, index)
                    sheet.write(block)
                sheet.write(b"</sheetData>" + tail.encode())
