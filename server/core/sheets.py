"""Spreadsheets handed out hold what people typed as text, never as a formula or a link.

A name, a title or a note beginning with `=`, `+`, `-` or `@` is a formula to Excel and
WPS, and `http://…` a live link: whoever opens the file would run what a stranger wrote
(formula injection). Every workbook the project writes goes through one of these:
- XlsxWriter: XLSX_OPTIONS, which writes every str as a string cell (numbers it is given
  as numbers stay numbers);
- openpyxl (write-only): text_row(), whose strings are string cells whatever they begin
  with.
tests/reports/test_export_cells.py and tests/imports/test_api_pages_cli.py open the files
back and fail on any formula or link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell

XLSX_OPTIONS: dict[str, Any] = {
    "constant_memory": True,  # rows go to disk as they are written: flat memory
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "remove_timezone": True,
}


def text_row(sheet, values: Iterable[Any]) -> list:
    """One row for an openpyxl write-only sheet: each str a string cell (openpyxl would
    make `=…` a formula), anything else as it is."""
    row = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        row.append(cell)
    return row
