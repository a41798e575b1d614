"""A roster's shared strings are read from disk (server.imports.strings), cell for cell the
texts openpyxl's own reader gives."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from xml.sax.saxutils import escape

import pytest
from openpyxl import load_workbook

from server.imports import errors, strings
from server.imports.sheet import Workbook

TEXTS = ["王小明", "13800000001", "运河园社区", "", "  spaced  ", "emoji 🎉",
         "literal _x005F_x000D_ escape", "line\nbreak", "x" * 3000]


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _roster(rows: list[list[str]], header=("姓名", "手机号", "社区")) -> bytes:
    """A small .xlsx whose texts are in a shared-strings table, as Excel and WPS write
    them (openpyxl writes its own texts inline, so it cannot make one)."""
    table: dict[str, int] = {}
    body = []
    for r, row in enumerate([list(header), *rows], start=1):
        cells = "".join(f'<c r="{chr(65 + i)}{r}" t="s"><v>{table.setdefault(v, len(table))}'
                        f"</v></c>" for i, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    texts = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in table)
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{_PKG}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_TYPE}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{_TYPE}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets><sheet name="志愿者" '
            f'sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
            f'Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'</Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_NS}"><sheetData>{"".join(body)}</sheetData></worksheet>'),
        "xl/sharedStrings.xml": f'<sst xmlns="{_NS}">{texts}</sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return out.getvalue()


def _values(book) -> list[tuple]:
    return [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)]


def test_every_cell_reads_as_openpyxl_reads_it():
    rows = [[text, f"1380000{n:04d}", TEXTS[(n + 3) % len(TEXTS)]]
            for n, text in enumerate(TEXTS * 3)]
    data = _roster(rows)
    ours = strings.load(io.BytesIO(data))
    theirs = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        assert isinstance(ours._wushe_strings, strings.SpilledStrings)
        assert _values(ours) == _values(theirs)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # the texts came from the table
            assert "xl/sharedStrings.xml" in zf.namelist()
        assert len(ours._wushe_strings) >= len(set(TEXTS))
    finally:
        ours.close()
        theirs.close()
        strings.close_strings(ours._wushe_strings)


def test_the_table_is_a_sequence_that_refuses_numbers_it_does_not_have():
    table = strings.SpilledStrings()
    table.extend(f"第{n}条" for n in range(2_500))  # more than one batch
    try:
        assert len(table) == 2_500
        assert (table[0], table[1_999], table[2_499]) == ("第0条", "第1999条", "第2499条")
        for wrong in (-1, 2_500, "3"):
            with pytest.raises(IndexError):
                table[wrong]
    finally:
        table.close()


def test_closing_the_roster_removes_its_strings():
    book = Workbook(io.BytesIO(_roster([["李四", "13800000002", "运河园社区"]])))
    kept = book.book._wushe_strings
    assert kept[0] == "姓名"
    book.close()
    with pytest.raises(sqlite3.ProgrammingError):
        kept[len(kept) - 1]


def test_a_refused_roster_removes_its_strings_at_once(monkeypatch):
    made: list[strings.SpilledStrings] = []
    real = strings.SpilledStrings.read

    def read(source):
        made.append(real(source))
        return made[-1]
    monkeypatch.setattr(strings.SpilledStrings, "read", staticmethod(read))
    with pytest.raises(errors.EmptyWorkbook):  # no column a roster needs
        Workbook(io.BytesIO(_roster([["a", "b"]], header=("备注", "其他"))))
    assert len(made) == 1
    with pytest.raises(sqlite3.ProgrammingError):
        made[0]._fetch(0)
