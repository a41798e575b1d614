"""How much one person may have promised a fund and not yet given, and whose gift the desk
may not confirm.

A pledge counts in a fund's public "pledged" figure and in the statistics from the moment
it is made, before anyone at the desk has seen it. So one account may hold only a few open
pledges per fund, of at most the largest single pledge in all: enough for a real donor
(a monthly gift, a second one for goods), not enough to make a fund's page or a street's
report say what nobody promised. Goods the same way: at most 100,000 items open in all.
The desk taking pledges down for others is staff work and is not limited here; the fund's
stored total still never passes what its column holds (stored.pledge_made refuses it
instead of failing).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from sqlalchemy import func, select

from server.accounts.erasure import ERASED_NAME
from server.accounts.errors import AccountClosed
from server.accounts.models import User
from server.donations import errors
from server.donations.models import Pledge, PledgeLine
from server.donations.money import ZERO, fmt, yuan
from server.extensions import db

OPEN_PLEDGES = 5  # per person and fund, not yet ended or fulfilled
OPEN_AMOUNT = yuan("10000000")  # the largest single pledge (money.Yuan's maximum)
OPEN_ITEMS = 100_000  # goods, in all: the most one line of a pledge may hold


def _open(fund_id: int, donor_id: int, *, besides: int | None):
    """(open pledges, money promised in them, goods items promised in them)."""
    mine = [Pledge.fund_id == fund_id, Pledge.donor_id == donor_id,
            Pledge.end_state.is_(None), Pledge.fulfilled.is_(False)]
    if besides is not None:
        mine.append(Pledge.id != besides)
    count, promised = db.session.execute(select(
        func.count(), func.coalesce(func.sum(Pledge.amount), ZERO)).where(*mine)).one()
    items = db.session.scalar(select(func.coalesce(func.sum(PledgeLine.quantity), 0))
                              .join(Pledge, Pledge.id == PledgeLine.pledge_id).where(*mine))
    return count, promised, int(items or 0)


def check_open(fund_id: int, donor: User, amount: Decimal | None, *,
               besides: int | None = None, items: int | None = None) -> None:
    """Before a person's pledge of money (`amount`) or goods (`items` in all) is made (or,
    `besides` it, raised): under the person's row lock, so that two of theirs at once are
    counted one after the other."""
    active = db.session.scalar(select(User.active).where(User.id == donor.id)
                               .with_for_update(key_share=True))
    if not active:  # deleted (accounts.erasure holds the row) while this waited for it
        raise AccountClosed()
    count, promised, promised_items = _open(fund_id, donor.id, besides=besides)
    if besides is None and count >= OPEN_PLEDGES:
        raise errors.TooManyOpenPledges(count=OPEN_PLEDGES)
    if amount is not None and yuan(promised) + amount > OPEN_AMOUNT:
        raise errors.OpenAmountTooLarge(limit=fmt(OPEN_AMOUNT),
                                        left=fmt(max(OPEN_AMOUNT - yuan(promised), ZERO)))
    if items is not None and promised_items + items > OPEN_ITEMS:
        raise errors.OpenGoodsTooMany(limit=OPEN_ITEMS,
                                      left=max(OPEN_ITEMS - promised_items, 0))


def items_of(data: dict) -> int:
    """The goods items a pledge's lines promise, in all."""
    return sum(int(line.get("quantity") or 0) for line in data.get("lines") or [])


def more_goods(before: list[dict], after: list[dict]) -> bool:
    """Whether `after` promises any kind of goods in a greater number (or newly)."""
    def totals(lines):
        out: dict[tuple, int] = {}
        for x in lines:
            key = (x["category"], x["item"], x["unit"])
            out[key] = out.get(key, 0) + (x["quantity"] or 0)
        return out
    had = totals(before)
    return any(n > had.get(key, 0) for key, n in totals(after).items())


def left_named(user: User, now) -> bool:
    """accounts.erasure.LEFT_OPEN: a pledge of the person that still names them once the
    erasure's domains let go and their row is locked: made while the erasure looked (it
    held the row), so the erasure runs again and forgets it too."""
    return db.session.scalar(select(Pledge.id).where(
        Pledge.donor_id == user.id,
        (Pledge.donor_name != ERASED_NAME) | Pledge.donor_phone.is_not(None)).limit(1)) \
        is not None


def _bare(name: str | None) -> str:
    """A name as compared for "the same person": without spaces of any width or invisible
    characters (赵 红梅, 赵　红梅 and 赵\u200b红梅 are 赵红梅)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name or "")
                   if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Mn", "Cc"))


def is_own(pledge: Pledge, actor: User | None) -> bool:
    """The actor's own gift, which someone else at the desk confirms (four eyes): pledged
    by them, under their phone number, or taken down by them in their own name."""
    if actor is None:
        return False
    return (pledge.donor_id == actor.id
            or bool(actor.phone and pledge.donor_phone == actor.phone)
            or (pledge.created_by_id == actor.id and pledge.donor_id is None
                and bool(_bare(actor.name)) and _bare(pledge.donor_name) == _bare(actor.name)))
