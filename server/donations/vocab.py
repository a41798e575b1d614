"""The fixed vocabularies of donations, with translated labels for both doors."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

FUND_KIND = {
    "fund": _l("Fund"),          # standing: 爱心救助基金
    "campaign": _l("Campaign"),  # time-bound: 慈善公益节, a book drive
}
PLEDGE_KIND = {"money": _l("Money"), "goods": _l("Goods")}
# DOMAIN.md: derived from fulfilments, except the hand-set ends
PLEDGE_STATE = {
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "partial": _l("Partly received"),
    "fulfilled": _l("Received in full"),
    "rejected": _l("Declined by the fund"),
    "withdrawn": _l("Withdrawn by the donor"),
    "cancelled": _l("Pledge cancelled"),
    "released": _l("Released"),
}
OPEN_STATES = ("submitted", "accepted", "partial")
ENDS = ("rejected", "withdrawn", "cancelled", "released")
# how the donor's name may appear in public; anonymous unless they choose otherwise
DISPLAY = {
    "anonymous": _l("Anonymous"),
    "surname": _l("Surname and title (e.g. 王女士)"),
    "full_name": _l("Full name"),
    "organisation": _l("Organisation name"),
}
TITLE = {"ms": _l("Ms"), "mr": _l("Mr")}
TITLE_ZH = {"ms": "女士", "mr": "先生"}
CATEGORY = {
    "books": _l("Books"),
    "picture_books": _l("Children's picture books"),
    "clothing": _l("Clothing"),
    "personal_care": _l("Personal care"),
    "grain_oil": _l("Grain and oil"),
    "food": _l("Food"),
    "stationery": _l("Stationery"),
    "medical": _l("Medical supplies"),
    "household": _l("Household goods"),
    "other": _l("Other"),
}
# categories that spoil: an expiry date is required
PERISHABLE = ("grain_oil", "food", "medical")
UNIT = {
    "book": _l("book(s)"),       # 本
    "piece": _l("piece(s)"),     # 件
    "set": _l("set(s)"),         # 套
    "box": _l("box(es)"),        # 箱
    "bag": _l("bag(s)"),         # 袋
    "bottle": _l("bottle(s)"),   # 瓶
    "barrel": _l("barrel(s)"),   # 桶
    "pair": _l("pair(s)"),       # 双
    "kg": _l("kg"),              # 千克
    "item": _l("item(s)"),       # 个
}
# a unit after a quantity, in the reader's language: 1 book, 20 books (本 in Chinese); the
# list above names the units where no quantity goes with them (a form's choices)
_COUNTED = {
    "book": lambda n: ngettext("book", "books", n),
    "piece": lambda n: ngettext("piece", "pieces", n),
    "set": lambda n: ngettext("set", "sets", n),
    "box": lambda n: ngettext("box", "boxes", n),
    "bag": lambda n: ngettext("bag", "bags", n),
    "bottle": lambda n: ngettext("bottle", "bottles", n),
    "barrel": lambda n: ngettext("barrel", "barrels", n),
    "pair": lambda n: ngettext("pair", "pairs", n),
    "kg": lambda n: str(UNIT["kg"]),  # the same in the plural
    "item": lambda n: ngettext("item", "items", n),
}


def unit_word(unit: str | None, quantity: int | None) -> str:
    counted = _COUNTED.get(unit or "")
    return counted(abs(int(quantity or 0))) if counted else str(UNIT.get(unit, unit or ""))


def counted(quantity: int, unit: str | None) -> str:
    """"20 books", "20本": a quantity and its unit as a sentence reads them."""
    from server.core.language import chinese
    between = "" if chinese() else " "
    return f"{quantity}{between}{unit_word(unit, quantity)}"


CONDITION = {
    "new": _l("Brand new"),
    "like_new": _l("Like new"),
    "used": _l("Used, good"),
}
RECIPIENT = {
    "household": _l("Household"),
    "organisation": _l("Partner organisation"),
}
LEDGER_KIND = {
    "cash_in": _l("Donation received"),
    "goods_in": _l("Goods received"),
    "payout": _l("Payout"),
    "goods_out": _l("Goods distributed"),
}
MAX_QUANTITY = 100_000
