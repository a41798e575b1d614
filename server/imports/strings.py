"""A workbook's shared strings kept on disk, so reading a roster holds none of them whole.

An .xlsx file writes each distinct text once, in a shared-strings table, and its cells
refer to it by number. openpyxl reads that table into a list before the first row: every
name, phone number written as text and ID number of the file, so memory grew with the
rows (17 MB more for 100,000 rows). Here the table is read as openpyxl reads it, the same
text for each entry, and written in batches to a private temporary SQLite database on
disk (deleted when closed); a cell's text is looked up by its number. The few texts most
rows share (community names, activity titles) are remembered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from typing import IO

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

BATCH = 1_000
_ITEM = f"{{{SHEET_MAIN_NS}}}si"


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
    """The table's texts, in order, each as openpyxl's read_string_table makes it."""
    for _, node in iterparse(source):
        if node.tag == _ITEM:
            text = Text.from_tree(node).content.replace("x005F_", "")
            node.clear()
            yield text


class SpillingReader(ExcelReader):
    """openpyxl's reader, its shared strings on disk (load_workbook(read_only=True),
    data_only=True, as the roster reads it)."""

    def __init__(self, fh: IO[bytes]) -> None:
        super().__init__(fh, read_only=True, data_only=True)

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = SpilledStrings.read(source)


def load(fh: IO[bytes]):
    """The workbook, read only, values only, its shared strings on disk; close_strings()
    removes them when the workbook is done with."""
    reader = SpillingReader(fh)
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
