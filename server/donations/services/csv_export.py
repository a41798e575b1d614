"""The fund's public ledger as a CSV download, streamed: a ledger of 100,000 rows is read
in chunks and written as it goes, so memory stays flat.

- UTF-8 with a byte order mark: without it Excel guesses the local code page and shows
  the Chinese as mojibake.
- Amounts are exact decimal text ("50.10", "-20.00"), quantities whole numbers.
- The same privacy as the public page: donors as they consented, recipients masked.
- Text people typed (items, purposes, notes, names) cannot start a formula: Excel would
  run =HYPERLINK(...) from a downloaded ledger (CSV injection), so such a cell gets a
  leading apostrophe. Amounts and quantities are numbers, written as they are, sign and all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import quote

from flask import Flask, Response, current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from server.donations.models import Fund
from server.donations.money import yuan
from server.donations.movements import LedgerEntry
from server.donations.services import donor_display
from server.donations.vocab import CATEGORY, LEDGER_KIND, UNIT
from server.extensions import db

CHUNK = 500
BOM = "\ufeff"
MIME = "text/csv"  # werkzeug adds "; charset=utf-8"
# what spreadsheet programs take as the start of a formula (OWASP's list)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value) -> str:
    """A text cell that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def money_text(value) -> str:
    return "" if value is None else f"{yuan(value):.2f}"


def header() -> list[str]:
    return [_("No."), _("Date"), _("Kind"), _("Category"), _("Item"), _("Quantity"),
            _("Not accepted"), _("Unit"), _("Cash amount (yuan)"), _("In-kind value (yuan)"),
            _("Purpose"), _("Donor"), _("Recipient"), _("Note"), _("Reversal of No.")]


def labels() -> dict[str, dict[str, str]]:
    """The vocabularies in the reader's language."""
    return {name: {code: str(text) for code, text in table.items()}
            for name, table in (("kind", LEDGER_KIND), ("category", CATEGORY), ("unit", UNIT))}


def chunk(fund_id: int, after: tuple | None) -> list[LedgerEntry]:
    """The next rows, newest first as the public page reads them. Keyset (after the last
    row sent), not OFFSET, which slows down page by page and skips rows added meanwhile."""
    query = (select(LedgerEntry).where(LedgerEntry.fund_id == fund_id)
             .options(joinedload(LedgerEntry.pledge))
             .order_by(LedgerEntry.occurred_on.desc(), LedgerEntry.id.desc()).limit(CHUNK))
    if after is not None:
        query = query.where(or_(LedgerEntry.occurred_on < after[0],
                                and_(LedgerEntry.occurred_on == after[0],
                                     LedgerEntry.id < after[1])))
    return list(db.session.scalars(query))


def row(entry: LedgerEntry, names: dict[str, dict[str, str]]) -> list[str]:
    categories = names["category"]
    return [
        str(entry.id),
        entry.occurred_on.isoformat(),
        names["kind"].get(entry.kind, entry.kind),
        categories.get(entry.category, safe_text(entry.category)) if entry.category else "",
        safe_text(entry.item),
        "" if entry.quantity is None else str(entry.quantity),
        "" if not entry.rejected else str(entry.rejected),
        names["unit"].get(entry.unit, safe_text(entry.unit)) if entry.unit else "",
        money_text(entry.amount),
        money_text(entry.value),
        safe_text(entry.purpose),
        safe_text(donor_display.public_name(entry.pledge)) if entry.pledge else "",
        safe_text(entry.recipient_public),
        safe_text(entry.note),
        "" if entry.reverses_id is None else str(entry.reverses_id),
    ]


def lines(app: Flask, fund_id: int, locale: str) -> Iterator[str]:
    """The CSV text, a chunk of rows at a time; the first chunk opens with the BOM and the
    header. By the time a server sends the body the request's contexts are gone, so each
    chunk opens its own application context (and database session) in the reader's
    language, and closes it before it is handed over."""
    after = None
    while True:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        with app.app_context(), force_locale(locale):
            if after is None:
                buffer.write(BOM)
                writer.writerow(header())
            found = chunk(fund_id, after)
            names = labels()
            writer.writerows(row(entry, names) for entry in found)
            after = (found[-1].occurred_on, found[-1].id) if found else None
        yield buffer.getvalue()
        if len(found) < CHUNK:
            return


def response(fund: Fund) -> Response:
    """The download, streamed and named after the fund."""
    body = lines(current_app._get_current_object(), fund.id, str(get_locale() or "zh_CN"))
    resp = Response(body, mimetype=MIME)
    fallback = f"wushe-fund-{fund.id}-ledger.csv"
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; "
        f"filename*=UTF-8''{quote(fund.title + '.csv', safe='')}")
    return resp
