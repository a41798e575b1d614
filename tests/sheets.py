"""Reading back a workbook the project handed out: what in it Excel would run or follow."""

from __future__ import annotations

import io

import openpyxl


def formulas_and_links(data: bytes) -> list[str]:
    """Every formula cell and every hyperlink in the .xlsx `data`, as sheet!cell."""
    book = openpyxl.load_workbook(io.BytesIO(data))  # not read-only: hyperlinks are read
    found = []
    for sheet in book.worksheets:
        found += [f"{sheet.title}!{link.ref}" for link in sheet._hyperlinks]
        for row in sheet.iter_rows():
            found += [f"{sheet.title}!{cell.coordinate}={cell.value!r}" for cell in row
                      if cell.data_type == "f" or cell.hyperlink is not None]
    return found


# text that a spreadsheet would run or follow, were it written as anything but a string
HOSTILE = ('=HYPERLINK("http://example.invalid/x","点这里")', "@SUM(1+1)", "+1-1",
           "http://example.invalid/y")
