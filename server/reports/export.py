"""Any view of the dashboard as an Excel workbook: the dashboard itself (figures, the five
forces, services by kind, the places below, the months), or the whole list behind a figure.

Written with XlsxWriter in constant_memory mode to a temporary file, then sent a block at a
time: a list of 100,000 rows is read from the database in batches (no ORM objects) and
never held whole, neither in the app nor in the workbook.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO

import xlsxwriter
from flask_babel import gettext as _

from server.communities.models import Node
from server.core import timefmt
from server.core.clock import local
from server.core.labels import ACTIVITY_KIND, FORCE, ORG_KIND, label
from server.core.sheets import XLSX_OPTIONS
from server.donations.vocab import PLEDGE_STATE, unit_word
from server.extensions import db
from server.reports import lists
from server.reports.figures import HEADLINES, Figures
from server.reports.labels import headline_label, own_label, period_label
from server.reports.periods import Period

BATCH = 2000
CHUNK = 64 * 1024
XLSX = ".xlsx"


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _stream(build: Callable[[xlsxwriter.Workbook], None],
            write: Callable[[IO[bytes]], object] | None = None) -> Iterator[bytes]:
    """Build a workbook in a temporary file (or let `write` write it there) and hand it
    out a block at a time."""
    fh = tempfile.TemporaryFile()
    try:
        if write is not None:
            write(fh)
        else:
            workbook = xlsxwriter.Workbook(fh, XLSX_OPTIONS)
            try:
                build(workbook)
            finally:
                workbook.close()
    except BaseException:
        fh.close()
        raise
    fh.seek(0)

    def blocks() -> Iterator[bytes]:
        try:
            while data := fh.read(CHUNK):
                yield data
        finally:
            fh.close()
    return blocks()


def _sheet(workbook, title: str, header: list[str], rows, bold) -> None:
    sheet = workbook.add_worksheet(title)
    sheet.write_row(0, 0, header, bold)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, len(header), 14)
    for n, row in enumerate(rows, start=1):
        sheet.write_row(n, 0, [_number(v) for v in row])


def dashboard_workbook(d) -> tuple[Iterator[bytes], str]:
    def figures_row(f: Figures) -> list:
        return [f.headline(h) for h in HEADLINES]

    def build(workbook) -> None:
        bold = workbook.add_format({"bold": True})
        now, before = d.now, d.before
        _sheet(workbook, _("Figures"), [d.node.name, period_label(d.period),
                                        period_label(d.period.previous())],
               [[headline_label(h), now.headline(h), before.headline(h)] for h in HEADLINES]
               + [[_("Communities and villages with a station"), d.coverage.with_station,
                   d.coverage.places]], bold)
        _sheet(workbook, _("Five forces"), [_("Force"), _("Activities")],
               [[label(FORCE, f), n] for f, n in now.forces.items()]
               + [[headline_label("linked3"), now.get("linked3")]], bold)
        _sheet(workbook, _("Services by kind"), [_("Kind"), _("Activities")],
               [[label(ACTIVITY_KIND, k), n] for k, n in now.by_kind.items()], bold)
        _sheet(workbook, _("Places below"), [_("Place")] + [headline_label(h) for h in HEADLINES],
               [[c.name, *figures_row(f)] for c, f in d.children]
               + ([[own_label(d.node.name), *figures_row(d.own)]] if d.own else []), bold)
        _sheet(workbook, _("By month"), [_("Month")] + [headline_label(h) for h in HEADLINES],
               [[period_label(p), *figures_row(f)] for p, f in d.trend], bold)
    return _stream(build), f"{d.node.name}-{d.period.key}{XLSX}"


def _columns(figure: str) -> tuple[list[str], Callable]:
    """The header of a figure's list and how a row of its query becomes a sheet row."""
    from server.accounts.privacy import mask_phone
    from server.donations.services.ledger import recipient_public
    which = lists.LIST_OF[figure]
    if which == "activities":
        return ([_("Date"), _("Activity"), _("Kind"), _("Place"), _("Organisation"),
                 _("Forces")],
                lambda r: [local(r[0]).strftime("%Y-%m-%d %H:%M"), r[1],
                           label(ACTIVITY_KIND, r[2]), r[3], r[4],
                           "、".join(label(FORCE, f) for f in (r[5] or []))])
    if which == "people":
        return ([_("Name"), _("Mobile"), _("Person-times"), _("Hours")],
                lambda r: [r[0], mask_phone(r[1]), r[2], float(timefmt.hours(r[3]))])
    # kinds and states in words, as the page shows them: never a raw code in a cell
    if which == "organisations":
        return ([_("Organisation"), _("Kind"), _("Based in"), _("Activities")],
                lambda r: [r[0], label(ORG_KIND, r[1]), r[2], r[3]])
    if which == "pledges":
        return ([_("Date"), _("Reference"), _("Fund"), _("Amount (yuan)"), _("Ended")],
                lambda r: [local(r[0]).strftime("%Y-%m-%d"), r[1], r[2], r[3],
                           label(PLEDGE_STATE, r[4]) if r[4] else ""])
    if which == "gifts":
        return ([_("Date"), _("Fund"), _("Money (yuan)")],
                lambda r: [r[0].isoformat(), r[1], r[3]])
    if which in ("goods_in", "goods_out"):
        shaped = lists.goods_in_row if which == "goods_in" else lists.goods_out_row
        header = [_("Date"), _("Fund"), _("Item"), _("Quantity"), _("Unit"), _("Value (yuan)")]
        return (header + ([_("Recipient")] if which == "goods_out" else []),
                lambda r: [(row := shaped(r))[0].isoformat(), row[1], row[2], row[3],
                           unit_word(row[4], row[3]), *row[5:]])
    return ([_("Date"), _("Fund"), _("Money (yuan)"), _("Recipient")],
            lambda r: [r[0].isoformat(), r[1], r[3], recipient_public(r[4], r[5])])


def write_list(fh: IO[bytes], node: Node, period: Period, figure: str,
               progress: Callable[[int], None] | None = None) -> int:
    """Every row behind a figure into the .xlsx `fh`, read in batches as they are written;
    `progress(rows)` every batch. Returns the rows written."""
    query = lists.query_of(figure, node, period).execution_options(yield_per=BATCH)
    workbook = xlsxwriter.Workbook(fh, XLSX_OPTIONS)
    n = 0
    try:
        bold = workbook.add_format({"bold": True})
        header, shape = _columns(figure)
        sheet = workbook.add_worksheet(headline_label(figure)[:31])
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 0)
        for n, row in enumerate(db.session.execute(query), start=1):
            sheet.write_row(n, 0, [_number(v) for v in shape(row)])
            if progress is not None and n % BATCH == 0:
                progress(n)
    finally:
        workbook.close()
    return n


def count_list(node: Node, period: Period, figure: str) -> int:
    """How many rows the list behind a figure has (one count query)."""
    from sqlalchemy import func, select
    query = lists.query_of(figure, node, period)
    return db.session.scalar(select(func.count()).select_from(query.order_by(None)
                                                              .subquery())) or 0


def list_filename(node: Node, period: Period, figure: str) -> str:
    """"通运街道-2026年-志愿者.xlsx": the words of the page it was downloaded from."""
    return f"{node.name}-{period_label(period)}-{headline_label(figure)}{XLSX}"


def list_workbook(node: Node, period: Period, figure: str) -> tuple[Iterator[bytes], str]:
    """Every row behind a figure, read in batches as they are written."""
    return (_stream(lambda workbook: None, lambda fh: write_list(fh, node, period, figure)),
            list_filename(node, period, figure))
