"""From scans to served minutes: check-in to check-out, clipped to the activity.

Pairs are read in time order from the successful scans only: a second entry while
inside, or an exit while outside, changes nothing (so two offline phones never count
twice). Time outside the activity's start and end (travel, waiting) is excluded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.activities.models import Activity, Signup
from server.checkin.models import Scan
from server.extensions import db

ROUNDING = {"minute": 1, "quarter": 15, "half_hour": 30}


def intervals(scans: list[Scan], start: datetime, end: datetime,
              close: datetime) -> list[tuple[datetime, datetime]]:
    """Served intervals; someone still inside at `close` is counted until then."""
    spans, opened = [], None
    for scan in sorted(scans, key=lambda s: (s.effective_time, s.id)):
        if scan.direction == "entry" and opened is None:
            opened = scan.effective_time
        elif scan.direction == "exit" and opened is not None:
            spans.append((opened, scan.effective_time))
            opened = None
    if opened is not None:
        spans.append((opened, close))
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans)
    merged: list[tuple[datetime, datetime]] = []
    for a, b in clipped:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def served_minutes(spans: list[tuple[datetime, datetime]], rounding: str = "minute") -> int:
    """Whole minutes served, rounded down to the activity's unit."""
    total = sum(((b - a) for a, b in spans), timedelta())
    minutes = int(total.total_seconds() // 60)
    unit = ROUNDING.get(rounding, 1)
    return minutes - minutes % unit


def activity_minutes(activity: Activity) -> int:
    return int((activity.ends_at - activity.starts_at).total_seconds() // 60)


def attendance(signup: Signup, activity: Activity, *, close: datetime) -> dict:
    """Minutes, the interval, how it was recorded and what a reviewer should look at."""
    scans = list(db.session.scalars(select(Scan).where(Scan.signup_id == signup.id)))
    ok = [s for s in scans if s.result == "ok"]
    spans = intervals(ok, activity.starts_at, activity.ends_at, min(close, activity.ends_at))
    flags = set()
    if any(s.source == "automatic" for s in ok) or (
            ok and max(ok, key=lambda s: (s.effective_time, s.id)).direction == "entry"):
        flags.add("auto_checkout")
    # a person's own scans (the automatic check-out at the end is not one: an offline exit
    # uploaded after the finish sits beside it, scanned once)
    in_order = sorted((s for s in ok if s.source != "automatic"),
                      key=lambda s: (s.effective_time, s.id))
    if any(s.duplicate_of_id for s in scans) or any(
            a.direction == b.direction for a, b in zip(in_order, in_order[1:], strict=False)):
        # a repeat refused at the door, or two phones' `ok` for one step: an offline scan
        # uploaded after a later one of the same step was decided (each counted at its
        # phone's time: the first entry and the first exit are the ones that count)
        flags.add("duplicate_scans")
    if any(s.source in ("self", "self_poster") for s in ok):
        flags.add("self_checkin")
        if any(s.source in ("self", "self_poster") and s.latitude is None for s in ok):
            flags.add("no_location")
    if any(s.source == "self_poster" for s in ok):
        flags.add("poster_checkin")
    if signup.walk_in:
        flags.add("walk_in")
    if any(s.forced for s in ok):
        flags.add("forced")
    if any(s.assisted for s in ok):
        flags.add("assisted")
    if any(s.late for s in ok):
        flags.add("late_scan")
    if any(s.source == "paper" for s in ok):
        flags.add("paper")
    return {"minutes": served_minutes(spans, activity.hours_rounding),
            "served_from": spans[0][0] if spans else None,
            "served_to": spans[-1][1] if spans else None,
            "sources": sorted({s.source for s in ok}), "flags": sorted(flags),
            "any_scan": bool(ok)}
