"""Who a person is, for sending: the accounts domain provides the lookup when the app
registers its domains (server/domains.py), so this package imports no domain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    phone: str | None
    email: str | None
    locale: str | None


_lookup: Callable[[int], Recipient] | None = None


def provide(lookup: Callable[[int], Recipient]) -> None:
    global _lookup
    _lookup = lookup


def of(user_id: int) -> Recipient:
    if _lookup is None:
        raise RuntimeError("no recipient lookup: server.domains registers accounts'")
    return _lookup(user_id)
