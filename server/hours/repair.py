"""Approved hours left counting beside their approved replacement.

Before 7caf784, a replacement approved after a chain of late uploads (or the reviewer's own
minutes for a waiting late upload) did not reverse the approved entry a few links behind
it, so both counted. `flask hours check-replaced` lists such pairs; `flask hours
settle-replaced` appends the missing reversals, as the approval would have (the ledger
stays append-only: nothing is edited or deleted). Running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from server.extensions import db
from server.hours import ledger
from server.hours.models import HourEntry, HourReview


@dataclass
class Counted:
    behind: HourEntry  # approved, not reversed, yet stood in for
    replacement: HourEntry  # approved

    def describe(self) -> str:
        return (f"entry {self.behind.id} ({self.behind.minutes} min) still counts beside its "
                f"approved replacement {self.replacement.id} ({self.replacement.minutes} min)"
                f", activity {self.replacement.activity_id}, person "
                f"{self.replacement.user_id}")


def _reversed(entry_id: int) -> bool:
    return db.session.scalar(select(HourEntry.id).where(
        HourEntry.reverses_id == entry_id).limit(1)) is not None


def double_counted() -> list[Counted]:
    """Each approved replacement whose entry behind it (ledger._behind) still counts."""
    found = []
    for replacement in db.session.scalars(
            select(HourEntry).join(HourReview, HourReview.entry_id == HourEntry.id)
            .where(HourEntry.kind == "replacement", HourReview.decision == "approved")
            .order_by(HourEntry.id)):
        behind = ledger.behind(replacement.replaces_id, lock=False)
        if behind.status == "approved" and not _reversed(behind.id):
            found.append(Counted(behind, replacement))
    return found


def settle(*, now: datetime) -> list[Counted]:
    """Reverse what each approved replacement stands in for, in the name of whoever
    approved it. Flushes; the caller commits."""
    found = double_counted()
    for pair in found:
        review = pair.replacement.review
        ledger.take_place_of(pair.replacement.replaces_id, reviewer=review.reviewer,
                             reason=pair.replacement.reason, now=now)
    return found
