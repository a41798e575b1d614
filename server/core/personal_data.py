"""What Wushe holds about a person, section by section, for them to see and to take away
(个人信息保护法: the rights to access and to copy one's own information).

Each domain provides its sections (wired in server/domains.py); this module knows no
domain. A section is a list of plain rows (texts, numbers, times as Beijing ISO strings),
so the page counts them and the download is JSON as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from server.core.clock import local


@dataclass(frozen=True)
class Section:
    name: str
    label: Any  # a lazy translation
    rows: Callable[[Any], list[dict]]


SECTIONS: dict[str, Section] = {}


def provide(name: str, label: Any, rows: Callable[[Any], list[dict]]) -> None:
    if name in SECTIONS and SECTIONS[name].rows is not rows:
        raise TypeError(f"personal data section {name!r} is provided twice")
    SECTIONS[name] = Section(name, label, rows)


def when(value: datetime | date | None) -> str | None:
    """A time as the person reads it (Beijing), or a day, in ISO form."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return local(value).isoformat(timespec="minutes")
    return value.isoformat()


def collect(user) -> list[tuple[Section, list[dict]]]:
    return [(section, section.rows(user)) for section in SECTIONS.values()]


def document(user, *, now: datetime) -> dict:
    """Everything, for the download: one JSON document."""
    return {"generated_at": when(now), "person_id": user.id,
            "sections": {section.name: rows for section, rows in collect(user)}}
