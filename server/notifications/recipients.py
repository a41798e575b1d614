"""Who a person is, for sending: the accounts domain provides the lookup when the app
registers its domains (server/domains.py), so this package imports no domain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    """Where a person's messages go. For a family member without a phone (managed by
    someone, accounts.family) that is their manager: `reader_id` is who reads it, and
    `for_*` name the member, so the message says whom it is about."""

    phone: str | None
    email: str | None
    locale: str | None
    reader_id: int | None = None
    for_id: int | None = None
    for_name: str | None = None
    for_relation: str | None = None
    # the account was deleted (accounts.erasure): nobody is told anything any more
    gone: bool = False


_lookup: Callable[[int], Recipient] | None = None


def provide(lookup: Callable[[int], Recipient]) -> None:
    global _lookup
    _lookup = lookup


def of(user_id: int) -> Recipient:
    if _lookup is None:
        raise RuntimeError("no recipient lookup: server.domains registers accounts'")
    return _lookup(user_id)
