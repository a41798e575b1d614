"""Paper sign-in sheets: print the activity's places, enter the ticks back in one batch.

The sheet lists the confirmed places (not the waitlist), each row with a QR that names
that sign-up of that activity only (codes.sheet_payload): scanning it elsewhere, or a
forged or edited one, is refused. Entering back is one batch for the whole sheet:

- All or nothing. Every row is checked first (its code or sign-up, its times); if any
  row is wrong the batch is refused with the reason of each wrong row and nothing is
  saved, so the organiser corrects the sheet and sends it again. A half-entered sheet
  would be the worst outcome: nobody would know which rows are in.
- Once checked, each tick is a scan with source "paper", redeemed by the same service
  as every other scan (checkin.services.redeem), at the time written on the sheet or,
  without one, the activity's start (check-in) or end (check-out). Someone already
  checked in at that time gets a duplicate answer, recorded as such, not a second stay:
  that is a fact about the person, not an error of the sheet.
- The batch row (PaperBatch) says who entered it and when; its nonce is unique, so a
  batch sent twice is entered once and the second sending reads the first's answers.
  Every sign-up the batch names is locked first, in id order, as offline batches do, so
  two organisers entering the same sheet at once take turns and one attendance results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.activities.models import Activity, Signup
from server.activities.services import can_oversee
from server.checkin import codes
from server.checkin.errors import NothingTicked, PaperNonceReused, PaperNotOpen, PaperRowsRefused
from server.checkin.models import PaperBatch, Scan
from server.checkin.services import ScanRequest, redeem
from server.core import events
from server.core.clock import from_local, local
from server.core.errors import Forbidden, NotFound
from server.extensions import db


@dataclass
class SheetRow:
    number: int
    signup: Signup
    token: str

    @property
    def user(self) -> User:
        return self.signup.user


def overseen(activity_id: int, user: User | None) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound()
    if not can_oversee(user, activity):
        raise Forbidden()
    return activity


def sheet(activity: Activity) -> list[SheetRow]:
    """The people holding a place, in the order they signed up."""
    signups = db.session.scalars(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status == "confirmed")
        .options(joinedload(Signup.user)).order_by(Signup.queue_no, Signup.id)).all()
    return [SheetRow(n, s, codes.sheet_payload(activity.id, s.id))
            for n, s in enumerate(signups, start=1)]


@dataclass
class Tick:
    """One row as entered: whose (a printed code or a sign-up) and what was ticked."""

    signup_id: int | None = None
    token: str | None = None
    entry: bool = False
    exit: bool = False
    entry_time: datetime | None = None
    exit_time: datetime | None = None


def _day_bounds(activity: Activity) -> tuple[datetime, datetime]:
    """From midnight of the activity's first day to midnight after its last (Beijing)."""
    first = local(activity.starts_at).date()
    last = local(activity.ends_at).date()
    return (from_local(datetime.combine(first, time())),
            from_local(datetime.combine(last + timedelta(days=1), time())))


def sheet_time(activity: Activity, hours: int, minutes: int) -> datetime:
    """A time written on the sheet as HH:MM (Beijing), on the day of the activity's span
    it falls in, or else the day nearest to the span, the first of equals: an activity
    that runs past midnight reads 00:30 as the night after it began, not the morning
    before. Out-of-range hours or minutes raise ValueError."""
    day, last = local(activity.starts_at).date(), local(activity.ends_at).date()
    best: tuple[timedelta, datetime] | None = None
    while day <= last:
        at = from_local(datetime(day.year, day.month, day.day, hours, minutes))
        gap = max(activity.starts_at - at, at - activity.ends_at, timedelta(0))
        if best is None or gap < best[0]:
            best = (gap, at)
        day += timedelta(days=1)
    assert best is not None  # an activity ends after it starts
    return best[1]


@dataclass
class _Checked:
    index: int
    signup_id: int
    entry: datetime | None
    exit: datetime | None
    signup: Signup | None = None
    untimed: tuple[str, ...] = ()  # ticked without a time written (confirms a scan)


@dataclass
class _Findings:
    rows: list[_Checked] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def _check(activity: Activity, ticks: list[Tick], now: datetime) -> list[_Checked]:
    """Every ticked row, checked; the rows' reasons if any is wrong (nothing saved)."""
    found = _Findings()
    day_from, day_to = _day_bounds(activity)
    wanted: dict[int, int] = {}
    for i, tick in enumerate(ticks):
        if not (tick.entry or tick.exit or tick.entry_time or tick.exit_time):
            continue  # an empty line of the sheet
        if (tick.signup_id is None) == (tick.token is None):
            found.refused[i] = "one_of"
            continue
        signup_id = tick.signup_id
        if tick.token is not None:
            named = codes.read_sheet(tick.token)
            if named is None:
                found.refused[i] = "invalid_code"
                continue
            if named[0] != activity.id:
                found.refused[i] = "other_activity"
                continue
            signup_id = named[1]
        entry = (tick.entry_time or activity.starts_at) if (tick.entry or tick.entry_time) \
            else None
        exit_ = (tick.exit_time or activity.ends_at) if (tick.exit or tick.exit_time) else None
        times = [t for t in (entry, exit_) if t is not None]
        if any(not day_from <= t < day_to for t in times):
            found.refused[i] = "outside_day"
        elif any(t > now for t in times):
            found.refused[i] = "future"
        elif entry is not None and exit_ is not None and exit_ < entry:
            found.refused[i] = "exit_before_entry"
        elif signup_id in wanted:
            found.refused[i] = "twice"
        else:
            wanted[signup_id] = i
            untimed = tuple(d for d, ticked, written in (
                ("entry", tick.entry, tick.entry_time), ("exit", tick.exit, tick.exit_time))
                if ticked and written is None)
            found.rows.append(_Checked(i, signup_id, entry, exit_, untimed=untimed))
    places = {s.id: s for s in db.session.scalars(select(Signup).where(
        Signup.id.in_(wanted), Signup.activity_id == activity.id,
        Signup.status == "confirmed"))} if wanted else {}
    for row in found.rows:
        row.signup = places.get(row.signup_id)
        if row.signup is None:
            found.refused[row.index] = "not_on_sheet"
    if found.refused:
        raise PaperRowsRefused(dict(sorted(found.refused.items())))
    if not found.rows:
        raise NothingTicked()
    return found.rows


def _replay(nonce: str, activity: Activity, operator: User) -> PaperBatch | None:
    done = db.session.scalar(select(PaperBatch).where(PaperBatch.nonce == nonce))
    if done is None:
        return None
    if done.entered_by_id != operator.id or done.activity_id != activity.id:
        raise PaperNonceReused()
    return done


def enter(activity_id: int, ticks: list[Tick], *, nonce: str, operator: User,
          now: datetime) -> PaperBatch:
    """Enter a paper sheet's ticks as one batch; a batch sent again changes nothing."""
    activity = overseen(activity_id, operator)
    done = _replay(nonce, activity, operator)
    if done is not None:
        return done
    if activity.status in ("draft", "cancelled") or activity.starts_at > now:
        raise PaperNotOpen()
    rows = _check(activity, ticks, now)
    batch = PaperBatch(activity_id=activity.id, nonce=nonce, entered_by_id=operator.id,
                       entered_at=now, rows=len(rows))
    try:
        with db.session.begin_nested():
            db.session.add(batch)
    except IntegrityError:
        # the same batch arrived twice at once: the first one's answers stand
        done = _replay(nonce, activity, operator)
        if done is None:
            raise
        return done
    # one lock order for every batch (see checkin.batch): sign-ups by id
    db.session.scalars(select(Signup.id).where(Signup.id.in_([r.signup.id for r in rows]))
                       .order_by(Signup.id).with_for_update(key_share=True)).all()
    with events.gathered():  # a person's entry and exit make one hours change
        for row in sorted(rows, key=lambda r: r.index):
            for direction, at in (("entry", row.entry), ("exit", row.exit)):
                if at is None:
                    continue
                redeem(ScanRequest(
                    activity_id=activity.id, direction=direction, source="paper",
                    operator=operator, user_id=row.signup.user_id, client_time=at,
                    nonce=f"p:{nonce}:{row.signup.id}:{direction[:2]}", device="paper",
                    paper_batch_id=batch.id, confirms=direction in row.untimed), now=now)
    db.session.flush()
    db.session.expire(batch, ["scans"])
    return batch


@dataclass
class EnteredRow:
    signup_id: int
    user: User
    entry: Scan | None = None
    exit: Scan | None = None


def entered_rows(batch: PaperBatch) -> list[EnteredRow]:
    """The batch's answers, one line per person, in the order entered."""
    rows: dict[int, EnteredRow] = {}
    for scan in batch.scans:
        row = rows.setdefault(scan.signup_id, EnteredRow(scan.signup_id, scan.user))
        setattr(row, scan.direction, scan)
    return list(rows.values())


def batches(activity: Activity) -> list[PaperBatch]:
    return list(db.session.scalars(select(PaperBatch).where(
        PaperBatch.activity_id == activity.id).options(joinedload(PaperBatch.entered_by))
        .order_by(PaperBatch.id.desc())))

