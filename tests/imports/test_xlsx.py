"""A roster is read in flat memory (server.imports.xlsx), cell for cell as openpyxl's own
reader reads it: its shared strings from disk, each row let go once read."""

from __future__ import annotations

import gc
import io
import sqlite3
import tracemalloc
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook

from server.imports import errors, xlsx
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
    return _package("".join(body), list(table))


def _package(sheet_data: str, texts: list[str]) -> bytes:
    """An .xlsx of one sheet, 志愿者, with these rows (XML) and shared strings."""
    items = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in texts)
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
            f'<worksheet xmlns="{_NS}"><sheetData>{sheet_data}</sheetData></worksheet>'),
        "xl/sharedStrings.xml": f'<sst xmlns="{_NS}">{items}</sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return out.getvalue()


def _values(book) -> list[tuple]:
    return [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)]


def _theirs(data: bytes, width: int = 30) -> list[tuple[int, tuple]]:
    """openpyxl's own rows, numbered, the blank ones left out."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = book.active.iter_rows(max_col=width, values_only=True)
        return [(n, row) for n, row in enumerate(rows, start=1)
                if any(v is not None for v in row)]
    finally:
        book.close()


def _ours(data: bytes, width: int = 30, first: int = 1, last: int = 10_000):
    book = xlsx.load(io.BytesIO(data))
    try:
        return [(n, row) for n, row in book.active.read_rows(first, last, width)
                if any(v is not None for v in row)]
    finally:
        book.close()
        xlsx.close_strings(book._wushe_strings)


def _saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("write_only", [False, True], ids=["declared-size", "no-size"])
def test_rows_read_as_openpyxl_reads_them(write_only):
    """Texts, whole and decimal numbers, booleans, dates and date-times, empty cells
    between full ones, a gap of rows, and columns beyond the width read."""
    book = OpenpyxlWorkbook(write_only=write_only)
    ws = book.create_sheet("志愿者") if write_only else book.active
    rows = [["姓名", "手机号", "日期", "时长"],
            ["王小明", 13800000001, date(2026, 3, 10), 1.5],
            ["李四", "13800000002", datetime(2026, 3, 10, 9, 30), 2],
            [None, None, None, None],
            ["赵六", None, "2026/3/10", True, None, "第六列"],
            ["x" * 300, 0, -1.25, False] + [None] * 30 + ["beyond the width"]]
    for row in rows:
        ws.append(row)
    for _ in range(5):
        ws.append([])
    ws.append(["after a gap", 1])
    data = _saved(book)
    ours, theirs = _ours(data), _theirs(data)
    assert ours == theirs
    assert [n for n, _ in ours] == [1, 2, 3, 5, 6, 12]
    assert ours[2][1][2] == datetime(2026, 3, 10, 9, 30)
    assert len(ours[0][1]) == 30
    assert _ours(data, width=2, first=3, last=5) == [(3, ("李四", "13800000002")),
                                                      (5, ("赵六", None))]


def test_a_row_number_met_again_is_ignored_as_openpyxl_ignores_it():
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c></row>'
            '<row r="4"><c r="B4" t="s"><v>2</v></c></row>')
    data = _package(rows, ["姓名", "第一个", "第二个"])
    ours = _ours(data, width=2)
    assert ours == [(1, ("姓名", None)), (2, ("第一个", None)), (4, (None, "第二个"))]
    assert ours == _theirs(data, width=2)


def _peak_kib(work) -> float:
    """Python's peak allocation, in KiB, while `work()` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def _inline_roster(rows: int) -> bytes:
    """openpyxl's own kind of file: texts inline, no declared size."""
    book = OpenpyxlWorkbook(write_only=True)
    ws = book.create_sheet("志愿者")
    ws.append(["姓名", "手机号", "社区"])
    for i in range(rows):
        ws.append([f"志愿者{i}", f"137{i:08d}", "运河园社区"])
    return _saved(book)


def test_opening_and_reading_a_sheet_takes_the_same_memory_for_ten_times_the_rows():
    """openpyxl parsed a sheet without a declared size to its end when opening it, and
    kept every row it had read in the tree: 660 KiB more for 9,000 more rows here."""
    def read(data):
        def work():
            book = Workbook(io.BytesIO(data))
            try:
                assert sum(1 for _ in book.rows("people")) > 0
            finally:
                book.close()
        return work
    small, large = _inline_roster(1_000), _inline_roster(10_000)
    assert _peak_kib(read(large)) - _peak_kib(read(small)) < 150


def test_reading_the_strings_table_takes_the_same_memory_for_ten_times_the_entries():
    def read(count):
        items = "".join(f"<si><t>志愿者{n}</t></si>" for n in range(count))
        part = f'<sst xmlns="{_NS}">{items}</sst>'.encode()

        def work():
            xlsx.SpilledStrings.read(io.BytesIO(part)).close()
        return work
    assert _peak_kib(read(50_000)) - _peak_kib(read(5_000)) < 100


def test_every_cell_reads_as_openpyxl_reads_it():
    rows = [[text, f"1380000{n:04d}", TEXTS[(n + 3) % len(TEXTS)]]
            for n, text in enumerate(TEXTS * 3)]
    data = _roster(rows)
    ours = xlsx.load(io.BytesIO(data))
    theirs = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        assert isinstance(ours._wushe_strings, xlsx.SpilledStrings)
        assert _values(ours) == _values(theirs)
        assert list(ours.active.read_rows(1, 1_000, 3)) == list(
            enumerate(theirs.active.iter_rows(max_col=3, values_only=True), start=1))
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # the texts came from the table
            assert "xl/sharedStrings.xml" in zf.namelist()
        assert len(ours._wushe_strings) >= len(set(TEXTS))
    finally:
        ours.close()
        theirs.close()
        xlsx.close_strings(ours._wushe_strings)


def test_the_table_is_a_sequence_that_refuses_numbers_it_does_not_have():
    table = xlsx.SpilledStrings()
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
    made: list[xlsx.SpilledStrings] = []
    real = xlsx.SpilledStrings.read

    def read(source):
        made.append(real(source))
        return made[-1]
    monkeypatch.setattr(xlsx.SpilledStrings, "read", staticmethod(read))
    with pytest.raises(errors.EmptyWorkbook):  # no column a roster needs
        Workbook(io.BytesIO(_roster([["a", "b"]], header=("备注", "其他"))))
    assert len(made) == 1
    with pytest.raises(sqlite3.ProgrammingError):
        made[0]._fetch(0)
