"""openpyxl's read-only mode, made to read a roster in flat memory.

Three parts of it grow with the rows, and each is replaced here, keeping openpyxl's own
reading of every cell (types, dates, shared strings, escapes):

- **The shared-strings table.** An .xlsx file writes each distinct text once and its
  cells refer to it by number; openpyxl reads the whole table into a list before the
  first row. Here it goes, entry by entry, into a private temporary SQLite database on
  disk (deleted when closed), and a cell's text is looked up by its number; the few texts
  most rows share (community names, activity titles) are remembered.
- **Opening a sheet.** openpyxl looks for the sheet's declared size, and when the file
  declares none (openpyxl's own files, and many exporters') it parses the whole sheet to
  find none. Here only what comes before the rows is read.
- **Reading rows.** openpyxl's parser empties each row it has read but leaves it in the
  sheet's XML tree: about 80 bytes a row, all kept until the sheet is done (and, as the
  parser is a reference cycle, until the garbage collector runs). Here each row is let go
  once read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from typing import IO

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

BATCH = 1_000
_ITEM = f"{{{SHEET_MAIN_NS}}}si"
_DIMENSION = f"{{{SHEET_MAIN_NS}}}dimension"
_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"
_ROW = f"{{{SHEET_MAIN_NS}}}row"


class SpilledStrings:
    """The table as a read-only sequence: strings[i] is the text of entry i."""

    def __init__(self) -> None:
        # "" is SQLite's private temporary database: a file of its own, removed on close;
        # a small page cache keeps its memory flat whatever it holds
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute("PRAGMA cache_size = -1024")
        self._db.execute("CREATE TABLE strings (n INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        self._count = 0
        self._lookup = lru_cache(maxsize=2_048)(self._fetch)

    @classmethod
    def read(cls, source: IO[bytes]) -> SpilledStrings:
        table = cls()
        table.extend(_entries(source))
        return table

    def extend(self, texts) -> None:
        batch: list[tuple[int, str]] = []
        for text in texts:
            batch.append((self._count, text))
            self._count += 1
            if len(batch) >= BATCH:
                self._db.executemany("INSERT INTO strings VALUES (?, ?)", batch)
                batch.clear()
        if batch:
            self._db.executemany("INSERT INTO strings VALUES (?, ?)", batch)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> str:
        if not isinstance(index, int) or not 0 <= index < self._count:
            raise IndexError(index)  # as a list: openpyxl reports a broken file
        return self._lookup(index)

    def _fetch(self, index: int) -> str:
        return self._db.execute("SELECT text FROM strings WHERE n = ?", (index,)).fetchone()[0]

    def close(self) -> None:
        self._db.close()


def _entries(source: IO[bytes]) -> Iterator[str]:
    """The table's texts, in order, each as openpyxl's read_string_table makes it; each
    entry is dropped from the tree once read."""
    table = None
    for event, node in iterparse(source, events=("start", "end")):
        if event == "start":
            if table is None:
                table = node  # <sst>, the root, which each entry is removed from
        elif node.tag == _ITEM:
            text = Text.from_tree(node).content.replace("x005F_", "")
            table.clear()
            yield text


class _RowParser(WorkSheetParser):
    """openpyxl's sheet parser, for the rows alone."""

    def rows(self) -> Iterator[tuple[int, list[dict]]]:
        """(row number, openpyxl's cells) for each row the sheet's XML holds, in order."""
        data = None
        for event, element in iterparse(self.source, events=("start", "end")):
            if event == "start":
                if element.tag == _DATA:
                    data = element
            elif element.tag == _ROW:
                found = self.parse_row(element)
                self.row_dimensions.clear()  # heights and styles: nothing a roster reads
                if data is not None:
                    data.clear()
                yield found


class RosterSheet(ReadOnlyWorksheet):
    """A read-only sheet that opens without reading its rows and reads them in flat
    memory (read_rows())."""

    def _get_size(self) -> None:
        with self._get_source() as src:
            for _, element in iterparse(src, events=("start",)):
                if element.tag == _DIMENSION:
                    (self._min_column, self._min_row, self._max_column,
                     self._max_row) = SheetDimension.from_tree(element).boundaries
                    return
                if element.tag == _DATA:
                    return

    def read_rows(self, first: int, last: int, width: int) -> Iterator[tuple[int, tuple]]:
        """(row number, the values of its first `width` columns) for each row from
        `first` to `last` the sheet holds, as iter_rows(values_only=True) reads them;
        rows the file leaves out are blank, and a row number met again is ignored, as
        openpyxl ignores it."""
        done = first - 1
        with self._get_source() as src:
            parser = _RowParser(src, self._shared_strings, data_only=True,
                                epoch=self.parent.epoch,
                                date_formats=self.parent._date_formats,
                                timedelta_formats=self.parent._timedelta_formats)
            for number, cells in parser.rows():
                if number > last:
                    return
                if number <= done:
                    continue
                done = number
                values = [None] * width
                for cell in cells:
                    if 1 <= cell["column"] <= width:
                        values[cell["column"] - 1] = cell["value"]
                yield number, tuple(values)


class FlatReader(ExcelReader):
    """openpyxl's reader, as load_workbook(read_only=True, data_only=True) would use it
    (as the roster reads a file), with the parts above replaced."""

    def __init__(self, fh: IO[bytes]) -> None:
        super().__init__(fh, read_only=True, data_only=True)

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = SpilledStrings.read(source)

    def read_worksheets(self) -> None:
        # in read-only mode openpyxl makes a ReadOnlyWorksheet of each sheet, and reads
        # nothing else of it; chart sheets are left to openpyxl
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            ws = RosterSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def load(fh: IO[bytes]):
    """The workbook, read only, values only, its shared strings on disk and its sheets
    RosterSheets; close_strings() removes the strings when the workbook is done with."""
    reader = FlatReader(fh)
    try:
        reader.read()
    except BaseException:
        close_strings(reader.shared_strings)
        raise
    reader.wb._wushe_strings = reader.shared_strings
    return reader.wb


def close_strings(strings) -> None:
    if isinstance(strings, SpilledStrings):
        strings.close()
