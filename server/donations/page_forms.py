"""Reading the donation forms that a flat HTML form cannot express directly: goods lines
(`lines-0-item`, `lines-1-item`, …), the desk's batch textarea, a stock item chosen from a
select, and the withdraw reasons. They come out in the shapes the shared schemas load, so
a page and a JSON client are held to the same rules."""

from __future__ import annotations

import re

import marshmallow as ma
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate as v
from werkzeug.datastructures import MultiDict

from server.core import numbers
from server.core.errors import WusheError
from server.core.fields import Id, Whole
from server.core.labels import sentences
from server.core.pages import form_input
from server.donations import errors
from server.donations.vocab import PLEDGE_STATE, counted

LINE_KEY = re.compile(r"^lines-(\d{1,3})-([a-z_]+)$", re.ASCII)
# fields that keep a value in a line nobody filled in (a select with a default)
DEFAULTED = ("condition", "pledge_line_id")
# one batch row: reference, amount, and optionally the receipt number, apart by spaces or
# semicolons, or by commas in a row written with commas (pasted from a spreadsheet)
BATCH_SPLIT = re.compile(r"([\s,;]+)")
# "REF 1 000": an amount whose thousands are apart by a space, or ¥1 and receipt number 000?
# A word of one to three digits (or already grouped by commas), a bare space, and three
# digits: either reading is plausible, so the line is refused (BatchAmountAmbiguous), never
# guessed. A semicolon or a comma before a receipt number says it is one ("500; 123").
# Only a space groups thousands (a tab is a spreadsheet's column: "REF⇥50⇥123" is ¥50 and
# receipt 123), and a unit written after the digits does not hide it ("1 000元").
SPACED_THOUSANDS = re.compile(r"^\S+?[\s,;]+(¥?\d{1,3}(?:,\d{3})*(?: +\d{3})+(?:\.\d*)?)"
                              r"(?![\d.])", re.ASCII)
STOCK_SEPARATOR = "|"

WITHDRAW_REASONS = {
    "changed_plans": _l("My plans changed"),
    "gave_elsewhere": _l("I gave in another way"),
    "mistake": _l("I made a mistake in the pledge"),
    "cannot_deliver": _l("I cannot deliver it"),
}


def raw_lines(source: MultiDict, *, keep_blank: bool = False) -> list[dict[str, str]]:
    """The goods lines as typed, in the order of their index, without wholly blank ones
    (unless `keep_blank`: the desk's intake lines stand for the pledge's lines, one each).

    Indices may have gaps (a line removed on the phone); the compacted list is what the
    schema sees, so its error keys (lines.0.quantity) match the lines re-rendered from it.
    """
    found: dict[int, dict[str, str]] = {}
    for key in source:
        match = LINE_KEY.match(key)
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = source.get(key, "")
    return [row for _i, row in sorted(found.items())
            if keep_blank or any(value.strip() for name, value in row.items()
                                 if name not in DEFAULTED)]


def lines_input(rows: list[dict[str, str]], schema: ma.Schema) -> list[dict]:
    """Each raw line shaped for the nested line schema (blanks resolved like any form)."""
    return [form_input(schema, MultiDict(row)) for row in rows]


class DeskArgs(ma.Schema):
    """The desk's filters, from the query string."""

    fund = Id(allow_none=True)
    state = ma.fields.String(allow_none=True, validate=v.OneOf(PLEDGE_STATE))
    overdue = ma.fields.Boolean(load_default=False)
    q = ma.fields.String(load_default="", validate=v.Length(max=60))
    page = Whole(load_default=1, validate=v.Range(1, 100_000))


class ReasonChoiceIn(ma.Schema):
    reason_choice = ma.fields.String(allow_none=True)
    reason_other = ma.fields.String(load_default="", validate=v.Length(max=500))


def withdraw_reason(source: MultiDict) -> str:
    """A preset reason's text, or the donor's own words for "other"."""
    data = ReasonChoiceIn().load(form_input(ReasonChoiceIn(), source), unknown=ma.EXCLUDE)
    preset = WITHDRAW_REASONS.get(data.get("reason_choice") or "")
    if preset is None:
        return data["reason_other"].strip()
    # kept in the site's first language, whatever the donor's screen shows: the
    # coordinators read it
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return str(preset)


# --- the desk's batch of money gifts ----------------------------------------------------------

def batch_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, words) for every non-blank line of "REFERENCE AMOUNT [RECEIPT]"."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        words = _words(line.strip())
        if words:
            rows.append((number, words))
    return rows


def _words(line: str) -> list[str]:
    """"7K3M9Q 1,000 JZ-8" is three words, the amount 1,000 yuan (not 1 yuan and receipt
    000). Full-width digits and commas are the ASCII ones (NFKC), and ¥ before the amount
    goes. In a row whose reference is followed by a space, a comma right after the amount
    is the amount's own ("1,000", or "12,50", which the amount's check then refuses as
    no amount: never ¥12 and a receipt numbered 50); in a row written with commas
    ("7K3M9Q,500,001") every comma parts two words."""
    parts = BATCH_SPLIT.split(numbers.typed(line))
    words, gaps = parts[0::2], parts[1::2]
    commas = bool(gaps) and gaps[0] == ","
    merged: list[str] = []
    for i, word in enumerate(words):
        gap = gaps[i - 1] if i else ""
        if len(merged) == 1:
            word = word.removeprefix("¥")
        if len(merged) == 2 and gap == "," and not commas:
            merged[1] += "," + word
        elif word:
            merged.append(word)
    return merged


def batch_input(source: MultiDict, schema: ma.Schema) -> dict:
    """The batch form shaped for BatchIn: the textarea becomes items."""
    data = form_input(schema, source)
    text = source.get("items", "")
    rows = batch_rows(text)
    lines = text.splitlines()
    items = []
    for number, words in rows:
        spaced = SPACED_THOUSANDS.match(numbers.typed(lines[number - 1]))
        if spaced:
            raise errors.BatchAmountAmbiguous(n=number, typed=spaced[1])
        if len(words) not in (2, 3):
            raise errors.BatchUnreadable(n=number)
        item = {"reference": words[0], "amount": words[1]}
        if len(words) == 3:
            item["receipt_no"] = words[2]
        items.append(item)
    data["items"] = items
    return data


def fold_batch_errors(fields: dict[str, list[str]], rows: list[tuple[int, list[str]]],
                      exc: Exception) -> dict[str, list[str]]:
    """items.2.amount -> the textarea's message, naming the line the person typed."""
    folded: dict[str, list[str]] = {}
    for name, texts in fields.items():
        if not name.startswith("items."):
            folded.setdefault(name, []).extend(texts)
            continue
        index = int(name.split(".")[1])
        number = rows[index][0] if index < len(rows) else index + 1
        text = exc.text() if isinstance(exc, WusheError) else sentences(texts)
        folded.setdefault("items", []).append(_("Line %(n)s: %(text)s", n=number, text=text))
    return folded


# --- a goods distribution chooses one item from the stock ------------------------------------

def stock_key(category: str, item: str, unit: str) -> str:
    return STOCK_SEPARATOR.join((category, item, unit))


def stock_choices(stock) -> list[tuple[str, str]]:
    """(value, text) for the select of what is in stock: 儿童绘本 · 48 本."""
    return [(stock_key(s.category, s.item, s.unit),
             f"{s.item} · {counted(s.quantity, s.unit)}") for s in stock]


def distribution_input(source: MultiDict, schema: ma.Schema) -> dict:
    """The distribution form shaped for DistributionIn: the chosen stock item and its
    quantity become the one goods line."""
    data = form_input(schema, source)
    if data.get("kind") == "goods":
        chosen = source.get("stock_item", "")
        category, _sep, rest = chosen.partition(STOCK_SEPARATOR)
        item, _sep, unit = rest.rpartition(STOCK_SEPARATOR)
        line = {"category": category, "item": item, "unit": unit}
        if source.get("quantity", "").strip():
            line["quantity"] = source["quantity"].strip()
        data["lines"] = [line]
        data.pop("amount", None)
    else:
        data["lines"] = []
    return data


def fold_distribution_errors(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """The one goods line's messages go next to the boxes the form has for it."""
    folded: dict[str, list[str]] = {}
    for name, texts in fields.items():
        if name == "lines" or name.startswith("lines."):
            name = "quantity" if name.endswith(".quantity") else "stock_item"
        folded.setdefault(name, []).extend(texts)
    return folded
