"""The one rule for digits, everywhere numbers come in.

Text a person typed (a phone, an ID number, an amount, a count in a form) is first
normalised with NFKC, so that full-width digits from a Chinese keyboard (１３８) become
ASCII (138) and an ideographic space becomes a space; after that only the ASCII digits
0-9 count as digits. Digits of other scripts (١٢, ১২) are refused, never converted:
Python's int() would accept them, and two strings that look alike would then name two
different things. JSON numbers are ASCII by the grammar; ids in URLs are ASCII digits
only, without NFKC (machines write them).
"""

from __future__ import annotations

import re
import unicodedata

WHOLE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)
DECIMAL = re.compile(r"[+-]?[0-9]{1,18}(\.[0-9]{1,18})?", re.ASCII)


def typed(text: str) -> str:
    """What a person typed, NFKC-normalised and stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def whole_text(text: str) -> int | None:
    """"42", "４２", " +42 " → 42; a fraction, another script's digits or words → None."""
    cleaned = typed(text)
    return int(cleaned) if WHOLE.fullmatch(cleaned) else None


def decimal_text(text: str) -> str | None:
    """"1.5", "１.５" → "1.5"; anything else → None (no exponents, no other scripts)."""
    cleaned = typed(text)
    return cleaned if DECIMAL.fullmatch(cleaned) else None


def only_ascii_digits(text: str) -> bool:
    return bool(text) and text.isascii() and text.isdigit()


MAX_ID = 2**31 - 1  # the largest key PostgreSQL's integer holds (core.fields.Id too)
NO_ROW = 0  # an id no row has: what an impossible id looks up


def id_arg(raw: str | None) -> int | None:
    """An id from a URL's query or a form's hidden field. Blank: None (none given). ASCII
    digits naming an id that can exist: that id. Anything else (², ٣, 20 digits) is
    NO_ROW, which every lookup finds nowhere, so it is answered as an unknown id is, never
    taken for "none given" (machines write ids: no NFKC)."""
    if raw is None or not raw.strip():
        return None
    if not only_ascii_digits(raw) or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        return NO_ROW
    return int(raw)


def page_arg(raw: str | None, *, first: int = 1, last: int = 100_000) -> int:
    """?page=: a page number from `first` to `last` (a larger one is the last); anything
    that is not a page number is the first."""
    if not raw or not only_ascii_digits(raw):
        return first
    return min(max(int(raw) if len(raw) <= 7 else last, first), last)
