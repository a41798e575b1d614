"""The kinds of export: each domain that offers one registers it here on import (the
exports domain never imports them back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any


@dataclass(frozen=True)
class Prepared:
    """What asking for an export settles before anything is written: the parameters in
    their stored form, the file's name and how many rows to expect."""

    params: dict[str, Any]
    title: str
    rows: int


@dataclass(frozen=True)
class Kind:
    name: str
    # (actor, raw params, now) -> Prepared; raises the domain's errors (no right, bad period)
    prepare: Callable[[Any, dict, datetime], Prepared]
    # (file, actor, stored params, now, progress(rows done)) -> rows written
    write: Callable[[IO[bytes], Any, dict, datetime, Callable[[int], None]], int]
    mimetype: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # (actor, stored params) -> None, raising the domain's refusal: the right to the data,
    # checked again when the finished file is fetched (a coordinator who lost the role
    # since asking gets no file); None: asking was the only check
    may_fetch: Callable[[Any, dict], None] | None = None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind
